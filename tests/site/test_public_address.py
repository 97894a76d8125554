"""BASE_URL is the one public address: every absolute link uses it (issue 11, point 19).

The default Wagtail Site starts as Wagtail's migration makes it, ``localhost`` port 80, and BASE_URL
is ``https://verhalen.example.org`` (not the test client's ``testserver``). After ``migrate`` (its
``post_migrate`` signal, sent here for the website app as ``migrate`` sends it) the feeds, the
sitemap, a dispatched social post, the story page's canonical and Open Graph links and the post
previews on the signing page all point at BASE_URL, and check vertel.W002 is silent; while the
Site still disagrees, the check warns and says how to fix it.
"""

import json
import re

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree as ET
from django.apps import apps as global_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_migrate
from wagtail.models import Site

from channels.models import ChannelAccount, Dispatch, PostPlan
from consent.models import ConsentRequest
from consent.services import create_request
from stories.models import PatientStoryPage
from tests.channels import conftest as channel_fixtures
from tests.channels.dispatch_support import add_plan, publish
from website.checks import check_public_address
from website.public_address import site_address, sync_after_migrate, sync_default_site

pytestmark = pytest.mark.django_db

# The loopback networks of the channel tests (tests/channels/conftest.py), for the dispatch test.
_fake_servers = channel_fixtures._fake_servers
fake_networks = channel_fixtures.fake_networks
make_account = channel_fixtures.make_account

PUBLIC = "https://verhalen.example.org"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
LOCAL = re.compile(r"https?://(localhost|testserver|127\.0\.0\.1)\b")


def as_wagtail_made_it():
    """The default Site with the address Wagtail's migration gives it: localhost, port 80."""
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    Site.clear_site_root_paths_cache()
    return Site.objects.get(is_default_site=True)


def run_post_migrate(verbosity=0):
    """What ``migrate`` does at its end for the website app: send ``post_migrate``."""
    config = global_apps.get_app_config("website")
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=verbosity,
        interactive=False,
        using="default",
        apps=global_apps,
        plan=[],
    )


@pytest.fixture
def public(settings, home):
    """BASE_URL is the public address; the Site is as Wagtail made it until ``migrate`` has run."""
    settings.BASE_URL = PUBLIC
    settings.WAGTAILADMIN_BASE_URL = PUBLIC  # base.py sets it to BASE_URL
    as_wagtail_made_it()
    return PUBLIC


@pytest.fixture
def migrated(public):
    run_post_migrate()
    return public


def warnings():
    return check_public_address(None, databases=["default"])


# -- the Site follows BASE_URL -------------------------------------------------------------------


def test_migrate_gives_wagtails_placeholder_site_the_public_address(public):
    run_post_migrate()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("verhalen.example.org", 443)
    assert site.root_url == PUBLIC


def test_the_receiver_reports_what_it_changed(public, capsys):
    sync_after_migrate(sender=None, verbosity=1, using="default", apps=global_apps)
    assert f"now {PUBLIC}" in capsys.readouterr().out
    sync_after_migrate(sender=None, verbosity=1, using="default", apps=global_apps)
    assert capsys.readouterr().out == ""  # in step: nothing to do, nothing said


@pytest.mark.parametrize(
    ("base_url", "address"),
    [
        ("https://verhalen.example.org", ("verhalen.example.org", 443)),
        ("https://Verhalen.Example.org:443", ("verhalen.example.org", 443)),
        ("http://localhost:8000", ("localhost", 8000)),
        ("http://zorg.example", ("zorg.example", 80)),
        ("https://zorg.example:8443", None),  # Wagtail uses https only on port 443
        ("http://zorg.example:443", None),
        ("https://zorg.example/verhalen", None),  # a Site has no path
        ("zorg.example", None),
    ],
)
def test_the_site_address_of_a_base_url(base_url, address):
    assert site_address(base_url) == address


def test_a_local_development_address_follows_base_url(public):
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=8000)
    assert sync_default_site() is not None
    assert Site.objects.get(is_default_site=True).root_url == PUBLIC


def test_an_address_the_operator_configured_is_kept_unless_forced(public):
    Site.objects.filter(is_default_site=True).update(hostname="zorg.example", port=443)
    assert sync_default_site() is None
    assert Site.objects.get(is_default_site=True).root_url == "https://zorg.example"
    assert sync_default_site(force=True) is not None
    assert Site.objects.get(is_default_site=True).root_url == PUBLIC


def test_with_several_sites_only_wagtails_placeholder_is_replaced(public, home):
    Site.objects.create(hostname="intranet.zorg.example", port=443, root_page=home)
    Site.objects.filter(is_default_site=True).update(hostname="127.0.0.1", port=8000)
    assert sync_default_site() is None  # a local name, but there is more than one Site
    as_wagtail_made_it()
    assert sync_default_site() is not None
    assert Site.objects.get(is_default_site=True).root_url == PUBLIC


def test_an_address_base_url_cannot_say_leaves_the_site_alone(public, settings):
    settings.BASE_URL = "https://verhalen.example.org/verhalen"
    assert sync_default_site() is None
    assert Site.objects.get(is_default_site=True).root_url == "http://localhost"


def test_seed_demo_leaves_the_site_on_the_public_address(public):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Site.objects.get(is_default_site=True).root_url == PUBLIC


def test_the_command_sets_the_address_and_refuses_to_replace_a_configured_one_silently(public):
    Site.objects.filter(is_default_site=True).update(hostname="zorg.example", port=443)
    with pytest.raises(CommandError, match="--force"):
        call_command("sync_site_address", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("sync_site_address", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Site.objects.get(is_default_site=True).root_url == PUBLIC


# -- the system check ----------------------------------------------------------------------------


def test_the_check_warns_while_the_site_disagrees_and_says_how_to_fix_it(public):
    (warning,) = warnings()
    assert warning.id == "vertel.W002"
    assert "http://localhost" in warning.msg and PUBLIC in warning.msg
    assert "manage.py migrate" in warning.hint


def test_the_check_names_the_force_for_a_configured_site(public):
    Site.objects.filter(is_default_site=True).update(hostname="zorg.example", port=443)
    (warning,) = warnings()
    assert "sync_site_address --force" in warning.hint and "verhalen.example.org, port 443" in warning.hint


def test_the_check_explains_a_base_url_no_site_can_have(public, settings):
    settings.BASE_URL = "https://verhalen.example.org:8443"
    (warning,) = warnings()
    assert warning.id == "vertel.W002" and "port 443" in warning.hint


def test_the_check_is_silent_once_in_step_and_without_a_database(migrated):
    assert warnings() == []
    as_wagtail_made_it()
    assert check_public_address(None, databases=None) == []  # a database check: only when asked for


# -- every absolute link -------------------------------------------------------------------------


def assert_public(urls):
    urls = list(urls)
    assert urls
    for url in urls:
        assert url.startswith(PUBLIC + "/"), url
        assert not LOCAL.search(url), url


def test_feeds_link_to_the_public_address(client, migrated, story_index, make_org_story):
    story = make_org_story(title="Nieuwe polikliniek")
    rss = ET.fromstring(client.get("/nl/feeds/rss/").content)
    channel = rss.find("channel")
    assert_public([channel.findtext("link"), *(item.findtext("link") for item in rss.iter("item"))])
    # The feed's own address (atom:link rel=self), which Django takes from the request's host by default.
    assert [link.get("href") for link in rss.iter(f"{ATOM_NS}link")] == [f"{PUBLIC}/nl/feeds/rss/"]
    assert rss.find("channel/item").findtext("link") == PUBLIC + story.url
    atom = ET.fromstring(client.get("/nl/feeds/atom/").content)
    assert_public(link.get("href") for link in atom.iter(f"{ATOM_NS}link"))
    assert f"{PUBLIC}/nl/feeds/atom/" in [link.get("href") for link in atom.iter(f"{ATOM_NS}link")]
    assert_public(entry.findtext(f"{ATOM_NS}id") for entry in atom.iter(f"{ATOM_NS}entry"))
    feed = json.loads(client.get("/nl/feeds/json/").content)
    assert_public([feed["home_page_url"], feed["feed_url"], *(item["url"] for item in feed["items"])])


def test_the_sitemap_lists_public_addresses(client, migrated, story_index, make_org_story):
    story = make_org_story(title="Nieuwe polikliniek")
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in sitemap.iter(f"{SITEMAP_NS}loc")]
    assert_public(locations)
    assert PUBLIC + story.url in locations


def test_a_dispatched_post_links_to_the_public_address(
    migrated, make_org_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    story = make_org_story(title="Nieuwe polikliniek", publish=False)
    add_plan(story, make_account("webhook"))
    add_plan(story, make_account("mastodon"), text="Onze nieuwe polikliniek is open.")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    assert set(Dispatch.objects.filter(page=story).values_list("state", flat=True)) == {Dispatch.State.SENT}
    (data,) = fake_networks.webhook.posts.values()
    assert data["link"].startswith(PUBLIC + story.url + "?utm_source=webhook-")
    (status,) = fake_networks.mastodon.posts.values()
    (link,) = re.findall(r"https?://\S+", status["text"])
    assert link.startswith(PUBLIC + story.url + "?utm_source=mastodon-")


def test_canonical_and_open_graph_links_are_the_public_address(client, migrated, story_index, make_org_story, image):
    story = make_org_story(title="Nieuwe polikliniek", hero_image=image, hero_image_alt="De wachtkamer")
    html = BeautifulSoup(client.get(story.url).content, "html.parser")
    assert html.select_one("link[rel=canonical]")["href"] == PUBLIC + story.url
    assert html.select_one("meta[property='og:url']")["content"] == PUBLIC + story.url
    assert_public([html.select_one("meta[property='og:image']")["content"]])


def test_the_signing_page_previews_posts_with_the_public_address(
    client, migrated, make_patient_story, django_user_model
):
    editor = django_user_model.objects.create_user(username="redactie", password="pw")
    story = make_patient_story(title="Mijn nieuwe knie")
    account = ChannelAccount.objects.create(
        name="Mastodon (@zorg@zorg.social)",
        kind="mastodon",
        status="ok",
        config={"instance_url": "http://127.0.0.1:9"},
    )
    draft = PatientStoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    draft.post_plans = [PostPlan(account=account, text="Anna wandelt weer.")]
    revision = draft.save_revision()
    _request, token = create_request(
        story=story,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website", account.channel_key],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
        revision=revision,
    )
    response = client.get(f"/nl/consent/sign/{token}/")
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    previews = [post.get_text() for post in html.select(".planned-post__text")]
    assert previews and all("Anna wandelt weer." in text for text in previews)
    assert_public(re.findall(r"https?://\S+", " ".join(previews)))
