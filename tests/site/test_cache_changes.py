"""Every kind of change reaches the cached pages on the next request: moves, deletions, new slugs,
scheduled expiry, storytellers and departments, view restrictions, and the cached navigation.
Also: which query strings make a cache entry of their own, and what a CDN is told to forget."""

import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import PageViewRestriction

from stories.models import Department, StoryIndexPage
from tests.site.test_cache import unrelated_pair, visit
from website import cache as page_cache_module
from website import cache_store, navigation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_ENABLED = True


def cached(client, *urls):
    """Visit each address twice; the second answer must come from the cache."""
    for url in urls:
        visit(client, url)
        assert visit(client, url)[1] == "hit", url


def page_entries():
    store = caches["pages"]
    return [key for key in store._cache if cache_store.PAGE_PREFIX in key]


@pytest.fixture
def second_index(home):
    index = home.add_child(instance=StoryIndexPage(title="Archief", slug="archief", locale=home.locale))
    index.save_revision().publish()
    return index


def test_a_moved_story_leaves_its_old_address_and_listing(client, story_index, second_index, make_org_story):
    story = make_org_story(title="Verhuisd verhaal")
    old_url = story.url
    cached(client, old_url, story_index.url, second_index.url)

    story.move(second_index, pos="last-child")
    story.refresh_from_db()

    moved = client.get(old_url)  # Wagtail's automatic redirect, not the cached story
    assert moved.status_code == 301 and moved["Location"] == story.url
    assert old_url not in visit(client, story_index.url)[2]
    status, state, body = visit(client, second_index.url)
    assert state == "miss" and story.url in body


def test_a_deleted_story_is_gone_from_every_cached_page(client, home, story_index, make_org_story):
    story = make_org_story(title="Verwijderd verhaal")
    url = story.url
    cached(client, url, story_index.url, "/nl/", "/nl/feeds/rss/", "/sitemap.xml")

    story.delete()

    assert client.get(url).status_code == 404
    for listing in [story_index.url, "/nl/", "/nl/feeds/rss/", "/sitemap.xml"]:
        status, state, body = visit(client, listing)
        assert state == "miss" and url not in body and "Verwijderd verhaal" not in body, listing


def test_a_new_slug_retires_the_old_address(client, story_index, make_org_story, django_capture_on_commit_callbacks):
    story = make_org_story(title="Oude naam")
    old_url = story.url
    cached(client, old_url, story_index.url)

    # Wagtail announces a new slug once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        story.slug = "nieuwe-naam"
        story.save_revision().publish()
    story.refresh_from_db()

    assert story.url != old_url
    renamed = client.get(old_url)  # Wagtail's automatic redirect, not the cached story
    assert renamed.status_code == 301 and renamed["Location"] == story.url
    assert client.get(story.url).status_code == 200
    status, state, body = visit(client, story_index.url)
    assert story.url in body and old_url not in body


def test_scheduled_expiry_takes_the_story_off_the_cached_pages(client, home, story_index, make_org_story):
    story = make_org_story(title="Tijdelijk nieuws")
    url = story.url
    cached(client, url, story_index.url, "/nl/feeds/json/")
    type(story).objects.filter(pk=story.pk).update(expire_at=timezone.now() - datetime.timedelta(minutes=1))

    call_command("publish_scheduled")

    story.refresh_from_db()
    assert not story.live and story.expired
    assert client.get(url).status_code == 404
    for listing in [story_index.url, "/nl/feeds/json/"]:
        status, state, body = visit(client, listing)
        assert state == "miss" and url not in body, listing


def test_editing_a_storyteller_purges_their_stories(client, story_index, make_org_story, make_patient_story, person):
    from tests.consent.gate_fixtures import build_consent

    # Published first, so it does not show the patient story as its next story (issue 13), and
    # sharing a theme with another, so its related box does not fall back to the newest stories.
    other = unrelated_pair(make_org_story, "Ander nieuws")
    story = make_patient_story(title="Mijn herstel", naming="first_name")
    build_consent(story, channels=("website",))
    story.get_latest_revision().publish()
    story.refresh_from_db()
    cached(client, story.url, other.url)
    assert "Anna" in visit(client, story.url)[2]

    person.first_name = "Annie"
    person.save()

    # The new name is not what the patient signed for: the story goes offline (consent.coverage)
    # and no cached copy with either name is served.
    status, state, body = visit(client, story.url)
    assert status == 404 and "Annie" not in body and "Anna" not in body
    assert visit(client, other.url)[1] == "hit"  # other people's stories stay cached


def test_renaming_a_department_purges_the_pages_that_show_it(client, story_index, make_org_story):
    department = Department.objects.create(name="Cardiologie")
    story = make_org_story(title="Hartzorg", department=department)
    cached(client, story.url, story_index.url)
    assert "Cardiologie" in visit(client, story.url)[2]

    department.name = "Hart en vaten"
    department.save()

    status, state, body = visit(client, story.url)
    assert state == "miss" and "Hart en vaten" in body and "Cardiologie" not in body


def test_a_page_made_private_is_no_longer_served_from_the_cache(client, story_index, make_org_story):
    story = make_org_story(title="Alleen voor personeel")
    cached(client, story.url, story_index.url)

    # A restriction on the index covers every story below it.
    restriction = PageViewRestriction.objects.create(
        page=story_index, restriction_type=PageViewRestriction.PASSWORD, password="geheim"
    )

    for url in [story.url, story_index.url]:
        response = client.get(url)
        assert response.get("X-Cache") != "hit", url
        assert "Alleen voor personeel" not in response.content.decode(), url
        assert "X-Cache" not in client.get(url), url  # the password form is never stored

    restriction.delete()
    status, state, body = visit(client, story.url)
    assert status == 200 and state == "miss" and "Alleen voor personeel" in body


def test_changing_the_groups_of_a_restriction_purges(story_index):
    from django.contrib.auth.models import Group

    restriction = PageViewRestriction.objects.create(page=story_index, restriction_type=PageViewRestriction.GROUPS)
    generation = cache_store.page_cache().get(cache_store.SITE_GENERATION_KEY)
    # The admin saves the row first and its groups after: the group list must purge on its own.
    restriction.groups.add(Group.objects.create(name="Verpleging"))
    assert cache_store.page_cache().get(cache_store.SITE_GENERATION_KEY) != generation


def test_navigation_built_from_data_older_than_a_purge_is_never_served(home, story_index, monkeypatch):
    """A page rendering while a change commits must not put back the navigation of before the change."""
    build = navigation._build
    stale = build()

    def build_during_a_commit():
        page_cache_module.purge_everything()  # the change commits while this render is under way
        return stale

    monkeypatch.setattr(navigation, "_build", build_during_a_commit)
    assert navigation.site_navigation() is not None
    monkeypatch.setattr(navigation, "_build", lambda: {**build(), "organisation": {"organisation_name": "Nieuw"}})
    assert navigation.site_navigation()["organisation"]["organisation_name"] == "Nieuw"


# Query strings ---------------------------------------------------------------------------------


def test_unknown_parameters_never_make_a_cache_entry(client, story_index, make_org_story):
    story = make_org_story(title="Open dag")
    cached(client, story.url, story_index.url, "/nl/feeds/rss/")
    entries = len(page_entries())
    for number in range(5):
        # Nothing a story or feed reads: served from the one copy.
        assert client.get(f"{story.url}?page={number}&x={number}")["X-Cache"] == "hit"
        assert client.get(f"/nl/feeds/rss/?theme=t{number}")["X-Cache"] == "hit"
        assert client.get(f"{story_index.url}?sort={number}&utm_source=mastodon")["X-Cache"] == "hit"
    assert len(page_entries()) == entries
    # A filter the index knows is a page of its own.
    assert client.get(f"{story_index.url}?type=organisation")["X-Cache"] == "miss"
    assert len(page_entries()) == entries + 1


def test_a_first_visit_with_unknown_parameters_is_not_stored(client, story_index, make_org_story):
    story = make_org_story()
    response = client.get(f"{story.url}?ref=nieuwsbrief")
    assert response.status_code == 200 and "X-Cache" not in response
    assert page_entries() == []
    assert client.get(story.url)["X-Cache"] == "miss"


def test_filter_values_the_index_does_not_know_are_not_stored(client, story_index, make_org_story):
    make_org_story()
    for query in ["theme=bestaat-niet", "tag=onbekend", "type=x", "page=999", "page=abc", "type=patient&type=patient"]:
        response = client.get(f"{story_index.url}?{query}")
        assert response.status_code == 200 and "X-Cache" not in response, query
    assert page_entries() == []


def test_a_copy_made_for_a_social_link_hands_no_campaign_to_later_visitors(client, story_index, make_org_story):
    make_org_story(title="Open dag")
    first = client.get(f"{story_index.url}?utm_source=mastodon&utm_campaign=open-dag")
    assert first["X-Cache"] == "miss"
    later = client.get(story_index.url)
    assert later["X-Cache"] == "hit"
    assert "utm_" not in later.content.decode()  # the filter links carry no tracking parameters


# CDN -------------------------------------------------------------------------------------------


@pytest.fixture
def no_automatic_redirects(settings):
    """Wagtail's redirects app purges the old addresses it redirects; the purge must not depend on it."""
    settings.WAGTAILREDIRECTS_AUTO_CREATE = False


def test_the_cdn_forgets_the_old_address_of_a_moved_story(
    cdn, no_automatic_redirects, story_index, second_index, make_org_story, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_org_story(title="Verhuisd")
    old = story.url
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        story.move(second_index, pos="last-child")
    story.refresh_from_db()
    purged = {path for _host, path in cdn}
    assert old in purged and story.url in purged


def test_the_cdn_forgets_the_old_addresses_below_a_renamed_index(
    cdn,
    no_automatic_redirects,
    story_index,
    make_org_story,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_org_story(title="Onder de index")
    old_story, old_index = story.url, story_index.url
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        story_index.slug = "alle-verhalen"
        story_index.save_revision().publish()
    story.refresh_from_db()
    purged = {path for _host, path in cdn}
    assert {old_story, old_index, story.url, "/nl/alle-verhalen/"} <= purged


def test_the_cdn_forgets_a_deleted_story(cdn, story_index, make_org_story, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_org_story(title="Weg ermee")
    url = story.url
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    assert url in {path for _host, path in cdn}
    assert story_index.url in {path for _host, path in cdn}
