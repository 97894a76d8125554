"""Reach without tracking: the beacon endpoint, race-safe counting and the report."""

import datetime
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from channels import reach
from channels.models import Dispatch, ReachCount

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.usefixtures("networks")

BEACON = "/reach/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def counts():
    return {(row.page_id, row.source, row.day): row.count for row in ReachCount.objects.all()}


@pytest.mark.django_db
def test_beacon_counts_per_story_source_and_day(client, make_org_story):
    story = make_org_story()
    other = make_org_story()
    for source in ["mastodon", "mastodon", "bluesky", "newsletter"]:
        response = client.post(BEACON, {"page": story.pk, "source": source})
        assert response.status_code == 204
    client.post(BEACON, {"page": other.pk, "source": "mastodon"})
    today = timezone.localdate()
    assert counts() == {
        (story.pk, "mastodon", today): 2,
        (story.pk, "bluesky", today): 1,
        (story.pk, "newsletter", today): 1,
        (other.pk, "mastodon", today): 1,
    }
    # Another day is another row.
    reach.record_read(story.pk, "mastodon", day=today - datetime.timedelta(days=1))
    assert ReachCount.objects.filter(page=story, source="mastodon").count() == 2


@pytest.mark.django_db
def test_beacon_answers_without_cookies_or_cache(client, make_org_story):
    story = make_org_story()
    response = client.post(BEACON, {"page": story.pk, "source": "mastodon"}, HTTP_COOKIE="")
    assert response.status_code == 204
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_beacon_ignores_unknown_sources_and_pages_that_are_not_live_stories(client, make_org_story, home):
    draft = make_org_story(publish=False)
    live = make_org_story()
    assert client.post(BEACON, {"page": live.pk, "source": "tracker"}).status_code == 204
    assert client.post(BEACON, {"page": draft.pk, "source": "mastodon"}).status_code == 204
    assert client.post(BEACON, {"page": home.pk, "source": "mastodon"}).status_code == 204
    assert client.post(BEACON, {"page": 999999, "source": "mastodon"}).status_code == 204
    assert not ReachCount.objects.exists()


@pytest.mark.django_db
def test_beacon_refuses_get(client, make_org_story):
    story = make_org_story()
    response = client.get(BEACON, {"page": story.pk, "source": "mastodon"})
    assert response.status_code == 405
    assert not ReachCount.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"page": "abc", "source": "mastodon"},
        {"page": "-1", "source": "mastodon"},
        {"page": "1" * 40, "source": "mastodon"},
        {"page": "1", "source": ""},
        {"page": "1", "source": "x" * 500},
        {"page": "1\x00", "source": "mastodon\x00"},
    ],
)
def test_beacon_never_fails_on_junk(client, body):
    response = client.post(BEACON, body)
    assert response.status_code in (204, 400)
    assert not ReachCount.objects.exists()


@pytest.mark.django_db
def test_beacon_survives_a_junk_body(client):
    response = client.post(BEACON, data=b"\xff\xfe\x00garbage", content_type="application/octet-stream")
    assert response.status_code in (204, 400)


@pytest.mark.django_db
def test_story_page_carries_its_id_for_the_beacon(client, make_org_story):
    story = make_org_story()
    response = client.get(story.url + "?utm_source=mastodon")
    html = response.content.decode()
    assert f'data-story-id="{story.pk}"' in html
    # The page itself counts nothing (a cached copy would not): only the beacon does.
    assert not ReachCount.objects.exists()
    assert "connect-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
def test_concurrent_reads_are_all_counted(make_org_story):
    story = make_org_story()
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    errors = []

    def read():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for _ in range(per_thread):
                reach.record_read(story.pk, "bluesky")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            thread_connection.close()

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert ReachCount.objects.get(page=story, source="bluesky").count == threads * per_thread


# The report


@pytest.fixture
def reads(make_org_story):
    first = make_org_story(title="Nieuwe poli")
    second = make_org_story(title="Open dag")
    today = timezone.localdate()
    ReachCount.objects.create(page=first, source="mastodon", day=today, count=5)
    ReachCount.objects.create(page=first, source="bluesky", day=today - datetime.timedelta(days=3), count=2)
    ReachCount.objects.create(page=second, source="mastodon", day=today - datetime.timedelta(days=20), count=7)
    ReachCount.objects.create(page=second, source="newsletter", day=today - datetime.timedelta(days=60), count=11)
    return first, second


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user(username="editor", password="pw")
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    return user


@pytest.mark.django_db
def test_reach_report_shows_reads_per_story_and_channel_with_totals(client, editor, reads):
    client.force_login(editor)
    url = reverse("channels_reach_report")
    response = client.get(url)
    assert response.status_code == 200
    rows = {(row["page__title"], row["source"]): row["reads"] for row in response.context["object_list"]}
    assert rows == {("Nieuwe poli", "mastodon"): 5, ("Nieuwe poli", "bluesky"): 2, ("Open dag", "mastodon"): 7}
    assert response.context["totals"] == [("Mastodon", 12), ("Bluesky", 2)]
    html = response.content.decode()
    assert "Nieuwe poli" in html and "Open dag" in html
    week = client.get(url, {"period": "7"})
    assert {(row["page__title"], row["source"]) for row in week.context["object_list"]} == {
        ("Nieuwe poli", "mastodon"),
        ("Nieuwe poli", "bluesky"),
    }
    quarter = client.get(url, {"period": "90"})
    assert ("Mastodon", 12) in quarter.context["totals"] and ("Newsletter", 11) in quarter.context["totals"]


@pytest.mark.django_db
def test_reach_report_needs_page_permissions(client, django_user_model, reads):
    url = reverse("channels_reach_report")
    assert client.get(url).status_code == 302  # to the login page
    outsider = django_user_model.objects.create_user(username="outsider", password="pw")
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "Nieuwe poli" not in response.content.decode()


@pytest.mark.django_db
def test_story_editor_shows_its_reach(client, editor, reads):
    first, _second = reads
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[first.pk])).content.decode()
    panel = html[html.index("data-reach-panel") :][:1500]
    assert "Mastodon" in panel and "5" in panel and "Bluesky" in panel


# Per account, not per network


@pytest.fixture
def two_mastodon_accounts(db):
    from channels.models import ChannelAccount

    return [
        ChannelAccount.objects.create(name=name, kind="mastodon", config={"instance_url": "http://127.0.0.1:9"})
        for name in ("Mastodon (@zorg@zorg.social)", "Mastodon (@jeugd@zorg.social)")
    ]


@pytest.mark.django_db
def test_two_accounts_on_one_network_are_counted_apart(client, make_org_story, two_mastodon_accounts):
    from channels.links import link_for_account, source_for_account

    story = make_org_story()
    adults, youth = two_mastodon_accounts
    assert f"utm_source=mastodon-{adults.pk}&" in link_for_account(story, adults)
    for account, reads in ((adults, 3), (youth, 1)):
        for _ in range(reads):
            client.post(BEACON, {"page": story.pk, "source": source_for_account(account)})
    client.post(BEACON, {"page": story.pk, "source": "mastodon"})  # a link from before: the network
    client.post(BEACON, {"page": story.pk, "source": "mastodon-999999"})  # no such account: ignored
    today = timezone.localdate()
    assert counts() == {
        (story.pk, f"mastodon-{adults.pk}", today): 3,
        (story.pk, f"mastodon-{youth.pk}", today): 1,
        (story.pk, "mastodon", today): 1,
    }
    assert reach.reach_for_story(story.pk) == [
        (f"mastodon-{adults.pk}", 3),
        ("mastodon", 1),
        (f"mastodon-{youth.pk}", 1),
    ]


@pytest.mark.django_db
def test_the_report_names_each_account(client, editor, make_org_story, two_mastodon_accounts):
    from channels.links import source_for_account

    story = make_org_story(title="Nieuwe poli")
    adults, youth = two_mastodon_accounts
    today = timezone.localdate()
    ReachCount.objects.create(page=story, source=source_for_account(adults), day=today, count=4)
    ReachCount.objects.create(page=story, source=source_for_account(youth), day=today, count=2)
    ReachCount.objects.create(page=story, source="bluesky", day=today, count=1)
    client.force_login(editor)
    response = client.get(reverse("channels_reach_report"))
    assert response.context["totals"] == [
        ("Mastodon (@zorg@zorg.social)", 4),
        ("Mastodon (@jeugd@zorg.social)", 2),
        ("Bluesky", 1),
    ]
    html = response.content.decode()
    assert "Mastodon (@jeugd@zorg.social)" in html
    youth_id = youth.pk
    youth.delete()
    assert reach.source_label(f"mastodon-{youth_id}") == f"Mastodon (account {youth_id}, deleted)"


@pytest.mark.django_db
def test_each_account_gets_its_own_utm_source(
    make_org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    first, second = testnet_account("Zorg"), testnet_account("Zorg Jeugd")
    story = make_org_story(publish=False)
    add_plan(story, first)
    add_plan(story, second)
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    links = {d.account_id: d.link for d in Dispatch.objects.filter(page=story)}
    assert f"utm_source=testnet-{first.pk}&" in links[first.pk]
    assert f"utm_source=testnet-{second.pk}&" in links[second.pk]
