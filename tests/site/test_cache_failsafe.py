"""The page cache is an optimisation, never a dependency: when it fails, pages and withdrawals still work."""

import logging

import pytest
from django.core.cache.backends.base import BaseCache
from django.test import Client
from django.utils import translation

from consent.models import Consent, hash_token, new_token
from consent.services import withdraw
from consent.signals import consent_withdrawn
from tests.consent.gate_fixtures import build_consent
from website import cache as page_cache_module
from website import cache_store


class BrokenCache(BaseCache):
    """A cache server that is down: every read and write raises."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("page cache unreachable")

    get = set = add = delete = get_many = set_many = delete_many = touch = has_key = incr = _down

    def clear(self):
        pass  # the test fixtures empty every cache between tests


BROKEN = {"BACKEND": "tests.site.test_cache_failsafe.BrokenCache"}


@pytest.fixture
def broken_page_cache(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.CACHES = {**settings.CACHES, "pages": BROKEN}


@pytest.fixture
def withdrawn_signals():
    """The consent_withdrawn receivers that ran, after the site's, the channels' and the newsletter's."""
    received = []

    def receiver(sender, consent, channels, reason, **kwargs):
        received.append((consent.pk, reason))

    consent_withdrawn.connect(receiver, dispatch_uid="test-failsafe-withdrawn")
    yield received
    consent_withdrawn.disconnect(dispatch_uid="test-failsafe-withdrawn")


def visitor():
    return Client(raise_request_exception=False)


def test_every_public_page_is_served_when_the_page_cache_is_down(broken_page_cache, home, story_index, make_org_story):
    story = make_org_story(title="Nieuwe scanner")  # publishing purges the (broken) cache: no error
    for url in ["/nl/", story_index.url, f"{story_index.url}?type=organisation", story.url, "/nl/feeds/rss/"]:
        for _visit in range(2):
            response = visitor().get(url)
            assert response.status_code == 200, url
            assert "X-Cache" not in response, url
        assert "Nieuwe scanner" in response.content.decode(), url
    assert visitor().get("/sitemap.xml").status_code == 200


def test_a_broken_cache_is_reported_once_a_minute_not_on_every_request(
    broken_page_cache, story_index, make_org_story, caplog, monkeypatch
):
    story = make_org_story()
    monkeypatch.setattr(cache_store, "_last_report", {})
    with caplog.at_level(logging.ERROR, logger="website.cache"):
        for _visit in range(3):
            assert visitor().get(story.url).status_code == 200
    assert [record.getMessage() for record in caplog.records].count(
        "The page cache failed to read; serving and purging without it"
    ) == 1


@pytest.fixture
def live_patient_story(make_patient_story, django_capture_on_commit_callbacks):
    story = make_patient_story(title="Terug op de fiets")
    token = new_token()
    consent = build_consent(story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(token))
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()
    story.refresh_from_db()
    assert story.live
    return story, consent, token


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_withdrawal_goes_through_when_the_page_cache_is_down(
    broken_page_cache, home, live_patient_story, withdrawn_signals, mailoutbox
):
    """Real commits: the purge runs inside the withdrawal's transaction and in its commit callbacks."""
    story, consent, token = live_patient_story
    response = visitor().post(f"/nl/consent/withdraw/{token}/", {"channels": []}, HTTP_USER_AGENT="test")

    assert response.status_code == 200
    with translation.override("nl"):
        assert translation.gettext("Your consent has been withdrawn") in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    story.refresh_from_db()
    assert not story.live
    assert withdrawn_signals == [(consent.pk, "withdrawn")]


def test_a_purge_that_fails_at_commit_does_not_stop_consent_withdrawn(
    settings, live_patient_story, withdrawn_signals, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_ENABLED = True
    story, consent, _token = live_patient_story

    def fail():
        raise ConnectionError("page cache unreachable")

    # The purge at commit is registered before withdraw() registers its own consent_withdrawn callback.
    monkeypatch.setattr(page_cache_module, "_flush_pending", fail)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        withdraw(consent, reason="withdrawn", actor="signer")
    assert len(callbacks) >= 2
    assert withdrawn_signals == [(consent.pk, "withdrawn")]


def test_one_failing_consent_withdrawn_receiver_does_not_stop_the_others(
    live_patient_story, withdrawn_signals, django_capture_on_commit_callbacks, caplog
):
    _story, consent, _token = live_patient_story

    def broken_receiver(**kwargs):
        raise RuntimeError("receiver down")

    # Connected before the recording receiver, so it runs first.
    consent_withdrawn.disconnect(dispatch_uid="test-failsafe-withdrawn")
    consent_withdrawn.connect(broken_receiver, dispatch_uid="test-failsafe-broken")
    try:
        consent_withdrawn.connect(
            lambda sender, consent, **kwargs: withdrawn_signals.append((consent.pk, kwargs["reason"])),
            weak=False,
            dispatch_uid="test-failsafe-withdrawn",
        )
        with (
            caplog.at_level(logging.ERROR, logger="consent.services"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            withdraw(consent, reason="withdrawn", actor="signer")
    finally:
        consent_withdrawn.disconnect(dispatch_uid="test-failsafe-broken")
    assert withdrawn_signals == [(consent.pk, "withdrawn")]
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
    failures = [record for record in caplog.records if "broken_receiver" in record.getMessage()]
    assert failures and "Anna" not in failures[0].getMessage()  # names the receiver, not the signer


def test_every_page_cache_receiver_swallows_its_own_failure(settings, story_index, make_org_story, monkeypatch):
    """A storyteller, theme or page change is saved even while purging fails."""
    from stories.models import Person, Theme

    def fail(*args, **kwargs):
        raise ConnectionError("page cache unreachable")

    monkeypatch.setattr(page_cache_module, "purge_pages", fail)
    monkeypatch.setattr(page_cache_module, "purge_everything", fail)
    story = make_org_story(title="Blijft werken")
    story.unpublish()
    Person.objects.create(full_name="Bram Jansen", first_name="Bram").save()
    Theme.objects.create(name="Hart", slug="hart", locale=story.locale)
    story.save_revision().publish()
    assert visitor().get(story.url).status_code == 200
