"""Withdrawal: one link, no account, takes the story off at once and everywhere it must."""

import pytest
from django.core import mail
from django.test import Client

from consent.evidence import verify_chain
from consent.models import Consent, ConsentEvent, hash_token, new_token
from consent.signals import consent_withdrawn
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_patient_story):
    """A live patient story with a consent for website and newsletter, and its raw withdrawal token."""
    story = make_patient_story(title="Mijn weg terug")
    token = new_token()
    consent = build_consent(story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(token))
    story.save_revision().publish()
    story.refresh_from_db()
    assert story.live
    return story, consent, token


@pytest.fixture
def received():
    calls = []

    def receiver(sender, consent, channels, reason, **kwargs):
        calls.append({"consent": consent.pk, "channels": sorted(channels), "reason": reason})

    consent_withdrawn.connect(receiver)
    yield calls
    consent_withdrawn.disconnect(receiver)


def test_withdrawing_everything_takes_the_story_off(
    client, published, received, story_index, django_capture_on_commit_callbacks
):
    story, consent, token = published
    url = f"/nl/consent/withdraw/{token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert page["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {}, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Phone")
    assert done.status_code == 200
    assert "withdrawn" in done.content.decode().lower() or "ingetrokken" in done.content.decode().lower()

    assert not PatientStoryPage.objects.get(pk=story.pk).live
    assert client.get(story.url).status_code == 404
    assert story.title not in client.get(story_index.url).content.decode()
    assert story.title not in client.get("/nl/feeds/rss/").content.decode()
    assert story.title not in client.get("/sitemap.xml").content.decode()
    assert story.title not in client.get("/nl/search/?q=terug").content.decode()

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert received == [{"consent": consent.pk, "channels": ["newsletter", "website"], "reason": "withdrawn"}]
    event = ConsentEvent.objects.get(kind=ConsentEvent.Kind.WITHDRAWN)
    assert event.consent_id == consent.pk and event.personal_digest
    assert "198.51.100.7" not in str(event.data)
    assert verify_chain() is None
    assert any("anna@example.org" in message.to for message in mail.outbox)


def test_partial_withdrawal_keeps_the_website(client, published, received, django_capture_on_commit_callbacks):
    story, consent, token = published
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {"channels": ["newsletter"]})
    consent.refresh_from_db()
    assert consent.withdrawn_channels == ["newsletter"] and consent.withdrawn_at is None
    assert PatientStoryPage.objects.get(pk=story.pk).live
    assert received[0]["channels"] == ["newsletter"]
    assert not Consent.objects.get(pk=consent.pk).covers("newsletter")
    assert consent.covers("website")


def test_withdrawing_twice_is_harmless(client, published, received, django_capture_on_commit_callbacks):
    _story, _consent, token = published
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {})
        again = client.post(f"/nl/consent/withdraw/{token}/", {})
    assert again.status_code == 200
    assert len(received) == 1
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.WITHDRAWN).count() == 1


def test_unknown_token_shows_no_story(client, published):
    story, _consent, _token = published
    response = client.get("/nl/consent/withdraw/not-a-real-token/")
    assert response.status_code == 404
    assert story.title not in response.content.decode()
    assert client.get("/nl/consent/withdraw/" + "x" * 500 + "/").status_code == 404


def test_withdrawal_needs_csrf(published):
    story, _consent, token = published
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(f"/nl/consent/withdraw/{token}/", {}).status_code == 403
    assert PatientStoryPage.objects.get(pk=story.pk).live


def test_bad_channel_choice_is_a_form_error(client, published):
    story, _consent, token = published
    response = client.post(f"/nl/consent/withdraw/{token}/", {"channels": ["account:999"]})
    assert response.status_code == 200
    assert PatientStoryPage.objects.get(pk=story.pk).live


def test_the_token_never_reaches_the_logs(client, published, caplog, django_capture_on_commit_callbacks):
    _story, _consent, token = published
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {})
    assert token not in caplog.text
    assert "anna@example.org" not in caplog.text
