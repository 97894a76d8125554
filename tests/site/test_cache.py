"""The full-page cache: what a visitor is served, and that a change shows on the very next request."""

import pytest
from django.test import Client

from consent.models import hash_token, new_token
from consent.services import withdraw
from stories.models import RelatedStory, Theme
from tests.consent.gate_fixtures import build_consent
from website import cache_store

pytestmark = pytest.mark.django_db

FEEDS = ["/nl/feeds/rss/", "/nl/feeds/atom/", "/nl/feeds/json/"]


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_ENABLED = True


def visit(client, url):
    response = client.get(url)
    return response.status_code, response.get("X-Cache"), response.content.decode()


@pytest.fixture
def diabetes(locales):
    return Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])


def unrelated_pair(make_org_story, title="Blijft staan"):
    """Two stories that share a theme of their own: each one's related box shows the other only.

    Without it a story with no theme falls back to the newest stories (``stories.related``) and
    shows whatever was published last. Returns the older one, published before everything else.
    """
    from wagtail.models import Locale

    theme = Theme.objects.create(
        name="Vrijwilligers", slug="vrijwilligers", locale=Locale.objects.get(language_code="nl")
    )
    stories = []
    for name in (title, f"{title} ook"):
        story = make_org_story(title=name, publish=False)
        story.themes.add(theme)
        story.save_revision().publish()
        stories.append(story)
    return stories[0]


@pytest.fixture
def live_patient_story(make_patient_story, diabetes, django_capture_on_commit_callbacks):
    """A live patient story with a website consent, and the consent."""
    story = make_patient_story(title="Terug op de fiets")
    story.themes.add(diabetes)
    story.tags.add("revalidatie")
    story.save_revision()
    consent = build_consent(story, channels=("website",), withdrawal_token_hash=hash_token(new_token()))
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()
    story.refresh_from_db()
    assert story.live
    return story, consent


def listing_urls(story_index):
    return [
        "/nl/",
        story_index.url,
        f"{story_index.url}?theme=diabetes",
        f"{story_index.url}?type=patient",
        f"{story_index.url}?tag=revalidatie",
        f"{story_index.url}?theme=diabetes&type=patient&utm_source=nieuwsbrief",
        *FEEDS,
        "/sitemap.xml",
    ]


def test_second_visit_is_a_cache_hit_without_queries(
    client, home, story_index, make_org_story, django_assert_max_num_queries
):
    story = make_org_story(title="Nieuwe scanner")
    for url in [story.url, story_index.url, "/nl/", FEEDS[0], FEEDS[2], "/sitemap.xml"]:
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["X-Cache"] == "miss"
        with django_assert_max_num_queries(0):
            second = client.get(url)
        assert second["X-Cache"] == "hit", url
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]
        # Shared caches may keep these pages: no cookie, no Vary: Cookie, and the security headers stay.
        for response in (first, second):
            assert not response.cookies, url
            assert "cookie" not in response.get("Vary", "").lower(), url
            assert "Content-Security-Policy" in response


def test_head_is_answered_from_the_cache_without_a_body(client, story_index, make_org_story):
    story = make_org_story()
    client.get(story.url)
    response = client.head(story.url)
    assert response["X-Cache"] == "hit"
    assert response.content == b""


def test_tracking_parameters_and_parameter_order_share_one_copy(client, story_index, make_org_story):
    story = make_org_story(title="Open dag")
    assert client.get(f"{story.url}?utm_source=facebook&utm_medium=social")["X-Cache"] == "miss"
    assert client.get(f"{story.url}?utm_campaign=open-dag&fbclid=abc")["X-Cache"] == "hit"
    assert client.get(story.url)["X-Cache"] == "hit"
    assert client.get(f"{story_index.url}?type=organisation&page=1")["X-Cache"] == "miss"
    assert client.get(f"{story_index.url}?page=1&utm_source=x&type=organisation")["X-Cache"] == "hit"
    # A real filter is a different page.
    assert client.get(f"{story_index.url}?type=patient")["X-Cache"] == "miss"


def test_logged_in_editor_is_never_served_nor_fills_the_cache(client, story_index, make_org_story, django_user_model):
    story = make_org_story(title="Achter de schermen")
    editor = Client()
    editor.force_login(django_user_model.objects.create_superuser("redacteur", "r@example.org", "pw"))
    first = editor.get(story.url)
    assert first.status_code == 200 and "X-Cache" not in first
    assert client.get(story.url)["X-Cache"] == "miss"  # the editor's visit stored nothing
    assert client.get(story.url)["X-Cache"] == "hit"
    again = editor.get(story.url)
    assert "X-Cache" not in again  # an anonymous copy is never handed to an editor


def stored_pages():
    """The bodies of every page in the (local-memory) page cache."""
    from django.core.cache import caches

    store = caches["pages"]
    return [store.get(key.split(":", 2)[2]) for key in list(store._cache) if cache_store.PAGE_PREFIX in key]


def test_personal_links_are_never_stored_nor_served_from_the_cache(client, live_patient_story, make_patient_story):
    """A real signing link, withdrawal link and newsletter preferences link: answered, never kept."""
    from consent.models import ConsentRequest
    from consent.services import create_request
    from newsletter.models import Subscriber

    story, consent = live_patient_story
    draft = make_patient_story(title="Nog te tekenen")
    _request, sign_token = create_request(
        story=draft,
        signer_name="Bram Jansen",
        signer_email="bram@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=None,
    )
    withdraw_token = new_token()
    consent.withdrawal_token_hash = hash_token(withdraw_token)
    consent.save(update_fields=["withdrawal_token_hash"])
    subscriber = Subscriber(email="lezer@example.org", language="nl", status=Subscriber.Status.CONFIRMED)
    subscriber.save()
    links = {
        f"/nl/consent/sign/{sign_token}/": "Nog te tekenen",
        f"/en/consent/withdraw/{withdraw_token}/": consent.reference,
        f"/nl/newsletter/preferences/{subscriber.link_token}/": f"/unsubscribe/{subscriber.link_token}/",
    }
    client.get(story.url)  # an ordinary page is stored, so the cache is in use
    assert len(stored_pages()) == 1
    for url, personal in links.items():
        for _visit in range(2):
            response = client.get(url)
            assert response.status_code == 200, url
            assert personal in response.content.decode(), url  # the real personal page, not an error
            assert "X-Cache" not in response, url
    for content, _headers, _shared, _parameters in stored_pages():
        for url, personal in links.items():
            assert personal.encode() not in content and url.split("/")[-2].encode() not in content, url
    assert len(stored_pages()) == 1


def test_search_missing_pages_and_the_language_redirect_are_never_stored(client, story_index, make_org_story):
    make_org_story(title="Fietsen")
    for url in ["/nl/search/?q=fiets", "/nl/bestaat-niet/", "/"]:
        client.get(url)
        assert "X-Cache" not in client.get(url), url
    assert stored_pages() == []


def test_not_found_is_not_cached(client, story_index, make_org_story):
    story = make_org_story(title="Later", publish=False)
    assert client.get(f"{story_index.url}later/").status_code == 404
    story.save_revision().publish()
    assert client.get(story.url).status_code == 200


def test_cache_can_be_switched_off(client, settings, story_index, make_org_story):
    settings.PAGE_CACHE_ENABLED = False
    story = make_org_story()
    client.get(story.url)
    assert "X-Cache" not in client.get(story.url)


def test_a_published_story_shows_at_once_on_listings_feeds_and_sitemap(client, home, story_index, make_org_story):
    make_org_story(title="Eerste verhaal")
    urls = ["/nl/", story_index.url, f"{story_index.url}?type=organisation", *FEEDS, "/sitemap.xml"]
    for url in urls:
        visit(client, url)
        assert visit(client, url)[1] == "hit"
    fresh = make_org_story(title="Tweede verhaal")
    for url in urls:
        status, state, body = visit(client, url)
        assert status == 200 and state == "miss", url
        assert ("Tweede verhaal" in body) or (fresh.url in body), url


def test_withdrawal_takes_the_story_off_every_cached_page_at_once(
    client, home, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    story, consent = live_patient_story
    story_url = story.url
    urls = listing_urls(story_index)
    assert visit(client, story_url)[0] == 200
    assert visit(client, story_url)[1] == "hit"
    for url in urls:
        visit(client, url)
        status, state, body = visit(client, url)
        assert state == "hit" and story_url in body, url

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")

    assert client.get(story_url).status_code == 404
    for url in urls:
        status, state, body = visit(client, url)
        assert status == 200 and state == "miss", url
        assert story_url not in body and "Terug op de fiets" not in body, url


def test_expiry_takes_the_story_off_like_a_withdrawal(
    client, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    story, consent = live_patient_story
    story_url = story.url
    for url in [story_url, story_index.url, FEEDS[0]]:
        visit(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="expired", actor="system")
    assert client.get(story_url).status_code == 404
    assert story_url not in visit(client, story_index.url)[2]
    assert story_url not in visit(client, FEEDS[0])[2]


def test_a_copy_stored_before_the_withdrawal_commits_is_dropped_at_commit(
    client, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    # Another worker may render the index between the unpublish and the commit; the purge that
    # runs at commit must drop what it stored.
    story, consent = live_patient_story
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        withdraw(consent, reason="withdrawn", actor="signer")
        visit(client, story_index.url)
        assert visit(client, story_index.url)[1] == "hit"
    assert callbacks
    for callback in callbacks:
        callback()
    assert visit(client, story_index.url)[1] == "miss"


def test_unpublishing_purges_the_story_in_both_languages(client, home_en, story_index, make_org_story, locales):
    story = make_org_story(title="Onze nieuwe afdeling")
    index_en = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index_en.save_revision().publish()
    english = story.copy_for_translation(locales["en"], copy_parents=False)
    english.title = "Our new ward"
    english.save_revision().publish()
    english.refresh_from_db()
    for url in [story.url, english.url, "/en/feeds/rss/"]:
        visit(client, url)
        assert visit(client, url)[1] == "hit", url
    assert story.url in visit(client, english.url)[2]  # the language switch links the Dutch story

    story.unpublish()

    assert client.get(story.url).status_code == 404
    status, state, body = visit(client, english.url)
    assert state != "hit" and story.url not in body
    assert visit(client, "/en/feeds/rss/")[1] == "miss"


def test_purging_one_story_keeps_unrelated_stories_cached(client, story_index, make_org_story):
    # Published first: the oldest story's page shows no other as its next story (issue 13), and its
    # related box the story it shares a theme with.
    unrelated = unrelated_pair(make_org_story)
    gone = make_org_story(title="Verdwijnt")
    linking = make_org_story(title="Verwijst", publish=False)
    RelatedStory.objects.create(page=linking, story=gone)
    linking.save_revision().publish()
    for page in (gone, unrelated, linking):
        visit(client, page.url)
    assert gone.url in visit(client, linking.url)[2]

    gone.unpublish()

    assert visit(client, unrelated.url)[1] == "hit"
    status, state, body = visit(client, linking.url)
    assert state == "miss" and gone.url not in body


def test_theme_rename_purges_every_page(client, story_index, make_org_story, diabetes):
    story = make_org_story(title="Suiker", publish=False)
    story.themes.add(diabetes)
    story.save_revision().publish()
    visit(client, story_index.url)
    diabetes.name = "Suikerziekte"
    diabetes.save()
    status, state, body = visit(client, story_index.url)
    assert state == "miss" and "Suikerziekte" in body


def test_withdrawal_purges_the_same_addresses_from_a_cdn(
    cdn, client, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    story, consent = live_patient_story
    story_path = story.url
    index_path = story_index.url
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")
    paths = {path for _host, path in cdn}
    assert story_path in paths
    assert {
        index_path,
        f"{index_path}?theme=diabetes",
        f"{index_path}?type=patient",
        f"{index_path}?tag=revalidatie",
    } <= paths
    assert {"/nl/", "/en/feeds/rss/", "/sitemap.xml", *FEEDS} <= paths
    assert all(host for host, _path in cdn)


def test_the_cdn_is_purged_only_once_the_transaction_commits(
    cdn, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    story, consent = live_patient_story
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        withdraw(consent, reason="withdrawn", actor="signer")
    # Nothing reaches the CDN before the commit (Wagtail's own frontend-cache handlers are not connected).
    assert story_index.url not in {path for _host, path in cdn}
    for callback in callbacks:
        callback()
    assert story_index.url in {path for _host, path in cdn}


def test_one_purger_only_wagtails_own_frontend_cache_handlers_are_not_connected(
    cdn, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    """``website.cache`` decides every purge; Wagtail's handlers would purge the page again, before the commit."""
    from wagtail.contrib.frontend_cache import signal_handlers
    from wagtail.signals import page_published, page_unpublished

    story, consent = live_patient_story
    for signal in (page_published, page_unpublished):
        receivers = [entry[1]() for entry in signal.receivers]
        assert signal_handlers.page_published_signal_handler not in receivers
        assert signal_handlers.page_unpublished_signal_handler not in receivers
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        withdraw(consent, reason="withdrawn", actor="signer")
    assert cdn == []  # Wagtail's own handler would purge the story here, before the commit
    for callback in callbacks:
        callback()
    assert story.url in {path for _host, path in cdn}


def test_normalised_query_keeps_only_the_parameters_a_view_reads_in_a_fixed_order():
    index = cache_store.INDEX_PARAMETERS
    assert cache_store.normalised_query("type=x&utm_source=x&theme=a&gclid=y&q=1", index) == "theme=a&type=x"
    assert cache_store.normalised_query("page=2&x=1", frozenset()) == ""


def test_with_a_cdn_only_addresses_a_purge_names_may_be_kept_by_shared_caches(
    cdn, client, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    """A CDN keys the whole address; it may keep a page only where a withdrawal would purge it."""
    story, consent = live_patient_story
    index = story_index.url
    shareable = [story.url, index, f"{index}?theme=diabetes", f"{index}?type=patient", f"{index}?tag=revalidatie"]
    shareable += [f"{index}?page=1", "/nl/", *FEEDS, "/sitemap.xml"]
    private = [
        f"{story.url}?utm_source=mastodon&utm_medium=social",  # the link a social post carries
        f"{story.url}?fbclid=abc",
        f"{story.url}?x=1",
        f"{index}?theme=diabetes&type=patient",  # two filters: not enumerated by the purge
        f"{index}?theme=diabetes&utm_source=nieuwsbrief",
        f"{index}?theme=bestaat-niet",
        f"{index}?page=7",
        f"{index}?page=01",
        "/nl/feeds/rss/?page=2",
    ]
    for url in shareable + private:
        for _visit in range(2):  # the fresh render and the copy replayed from the cache say the same
            control = client.get(url)["Cache-Control"]
            if url in shareable:
                assert control == "public, max-age=0, s-maxage=3600", url
            else:
                assert control == "private, max-age=0", url
    assert "s-maxage" not in client.get("/nl/search/?q=x").get("Cache-Control", "")
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")
    purged = {path for _host, path in cdn}
    assert set(shareable) <= purged


def test_the_cdn_is_purged_again_a_few_seconds_after_the_commit(
    cdn, settings, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    """A visitor's render that read the database just before the commit may reach the CDN after the first purge."""
    import datetime

    from django.utils import timezone
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    story, consent = live_patient_story
    cdn.clear()
    committed = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")
    purges = [result for result in default_task_backend.results if result.task.name == "purge_urls_from_cache_task"]
    now = [result.args for result in purges if result.task.run_after is None]
    later = [result for result in purges if result.task.run_after is not None]
    assert later and all(result.args in now for result in later)
    delay = datetime.timedelta(seconds=settings.PAGE_CACHE_CDN_REPURGE_SECONDS)
    for result in later:
        assert delay <= result.task.run_after - committed < delay + datetime.timedelta(seconds=30)
    assert any(url.endswith(story_index.url) for result in later for url in result.args[0])
    # Queued, not done inside the committing request.
    assert cdn == []
    for result in later:
        result.task.call(*result.args)
    assert story_index.url in {path for _host, path in cdn}


def test_without_a_deferring_queue_the_cdn_is_still_purged_at_commit(
    cdn, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    # The tests' immediate queue cannot wait: the first purge runs, the second is left out.
    story, consent = live_patient_story
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")
    assert story_index.url in {path for _host, path in cdn}


@pytest.fixture(params=["files", "redis"])
def shared_page_cache(request, settings, tmp_path):
    """The page cache as production has it: files on disk, or Redis when REDIS_URL is set (CI's PostgreSQL run)."""
    import os
    import uuid

    if request.param == "files":
        settings.CACHES = {
            **settings.CACHES,
            "pages": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "page-cache"),
            },
        }
    else:
        if not os.environ.get("REDIS_URL"):
            pytest.skip("REDIS_URL is not set")
        settings.CACHES = {
            **settings.CACHES,
            "pages": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ["REDIS_URL"],
                "KEY_PREFIX": f"vertel-test-{uuid.uuid4().hex}",
            },
        }
    from django.core.cache import caches

    yield caches["pages"]
    if request.param == "files":
        caches["pages"].clear()
    else:
        # Only this test's keys: clear() would empty the whole Redis database.
        client = caches["pages"]._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{settings.CACHES['pages']['KEY_PREFIX']}:*"):
            client.delete(key)


def test_the_production_page_caches_store_and_purge(
    shared_page_cache, client, home, story_index, live_patient_story, django_capture_on_commit_callbacks
):
    """Not per-process memory: a withdrawal in the task worker must reach what every web worker serves."""
    from django.core.cache.backends.locmem import LocMemCache

    assert not isinstance(cache_store.page_cache(), LocMemCache)
    story, consent = live_patient_story
    story_url = story.url
    for url in [story_url, story_index.url, FEEDS[0]]:
        assert visit(client, url)[1] == "miss", url
        status, state, body = visit(client, url)
        assert state == "hit" and story_url in body, url

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")

    assert client.get(story_url).status_code == 404
    for url in [story_index.url, FEEDS[0]]:
        status, state, body = visit(client, url)
        assert status == 200 and state == "miss" and story_url not in body, url
