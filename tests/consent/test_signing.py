"""Requesting and signing consent: the personal link, the exact story, the choices, the evidence."""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.content import content_hash
from consent.evidence import verify_chain
from consent.models import Consent, ConsentEvent, ConsentRequest
from stories.models import PatientStoryPage

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/sign/[^/\s]+/)")


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn nieuwe knie", naming="first_name")


def request_by_email(client, editor, story, **overrides):
    client.force_login(editor)
    data = {
        "signer_name": "Anna de Vries",
        "signer_email": "anna@example.org",
        "signer_role": "patient",
        "language": "nl",
        "proposed_channels": ["website", "newsletter"],
    }
    data.update(overrides)
    response = client.post(f"/admin/consent/request/{story.pk}/", data)
    client.logout()
    return response


def emailed_link():
    return LINK.search(mail.outbox[-1].body).group(1)


SIGN = {
    "channels": ["website", "newsletter"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "relation": "myself",
    "declaration": "on",
    "sign": "1",
}


def test_editor_requests_and_patient_signs(client, editor, story, django_capture_on_commit_callbacks):
    response = request_by_email(client, editor, story)
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["anna@example.org"]
    link = emailed_link()
    consent_request = ConsentRequest.objects.get()
    assert link.split("/")[-2] not in consent_request.token_hash  # only the hash is stored

    page = client.get(link)
    assert page.status_code == 200
    assert page["X-Robots-Tag"].startswith("noindex")
    html = page.content.decode()
    assert "Mijn nieuwe knie" in html and "Anna" in html
    # Choosing another naming shows the story with it, before signing.
    preview = client.post(link, {**SIGN, "naming": "anonymous", "sign": "", "preview": "1"})
    assert "Anna" not in preview.content.decode().split("Your story")[-1].split("<form")[0]

    with django_capture_on_commit_callbacks(execute=True):
        receipt = client.post(link, SIGN, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Phone")
    assert receipt.status_code == 200
    consent = Consent.objects.get()
    assert consent.content_hash == content_hash(PatientStoryPage.objects.get(pk=story.pk))
    assert consent.channels == ["website", "newsletter"] and consent.naming == "first_name"
    assert consent.ip_address == "203.0.113.9" and consent.user_agent == "Phone"
    assert consent.consent_text.sha256 == consent.consent_text_hash
    assert consent.revision_id == story.get_latest_revision().pk
    assert consent.valid_until is not None  # "until withdrawn" still ends at the organisation's maximum
    assert consent.reference in receipt.content.decode()
    # The signer's last mail (the editors are told of the signature too, issue 13).
    receipt_mail = [message for message in mail.outbox if message.to == ["anna@example.org"]][-1]
    assert consent.reference in receipt_mail.subject and "/consent/withdraw/" in receipt_mail.body
    kinds = list(ConsentEvent.objects.values_list("kind", flat=True))
    assert kinds == ["requested", "sent", "opened", "signed"]
    assert verify_chain() is None

    # The signature covers exactly this content, so the story can now be published.
    story = PatientStoryPage.objects.get(pk=story.pk)
    story.get_latest_revision().publish()
    assert PatientStoryPage.objects.get(pk=story.pk).live

    # The link works once.
    again = client.get(link)
    assert again.status_code == 410 and "Mijn nieuwe knie" not in again.content.decode()


def test_signing_twice_creates_one_consent(client, editor, story):
    request_by_email(client, editor, story)
    link = emailed_link()
    client.post(link, SIGN)
    second = client.post(link, SIGN)
    assert second.status_code == 410
    assert Consent.objects.count() == 1


def test_bad_links_never_show_the_story(client, editor, story):
    request_by_email(client, editor, story)
    link = emailed_link()
    wrong = client.get("/nl/consent/sign/not-the-token/")
    assert wrong.status_code == 404 and "Mijn nieuwe knie" not in wrong.content.decode()

    ConsentRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.get(link)
    assert expired.status_code == 410 and "Mijn nieuwe knie" not in expired.content.decode()

    ConsentRequest.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    request_by_email(client, editor, story)  # a new request replaces the old link
    assert client.get(link).status_code == 410
    assert client.get(emailed_link()).status_code == 200


def test_under_sixteen_needs_a_parent(client, editor, story, person):
    person.birth_date = timezone.localdate() - datetime.timedelta(days=365 * 12)
    person.save()
    refused = request_by_email(client, editor, story, signer_role="patient")
    assert refused.status_code == 200 and "parent or guardian" in refused.content.decode()
    assert not ConsentRequest.objects.exists()

    request_by_email(client, editor, story, signer_role="parent", signer_name="Parent")
    link = emailed_link()
    missing = client.post(link, {**SIGN, "relation": ""})
    assert missing.status_code == 200 and not Consent.objects.exists()
    born = (timezone.localdate() - datetime.timedelta(days=365 * 12)).isoformat()
    client.post(link, {**SIGN, "relation": "mother", "patient_birth_date": born})
    consent = Consent.objects.get()
    assert consent.signer_role == "parent" and consent.signer_relation == "mother"


def test_signing_needs_csrf(editor, story, client):
    request_by_email(client, editor, story)
    assert Client(enforce_csrf_checks=True).post(emailed_link(), SIGN).status_code == 403
    assert not Consent.objects.exists()


def test_only_editors_of_the_page_may_request(client, django_user_model, story):
    stranger = django_user_model.objects.create_user(username="x", password="pw")
    client.force_login(stranger)
    assert client.get(f"/admin/consent/request/{story.pk}/").status_code in (302, 403)
    assert not ConsentRequest.objects.exists()


def test_in_person_request_shows_a_printable_link_once(client, editor, story):
    response = request_by_email(client, editor, story, signer_email="")
    client.force_login(editor)
    response = client.post(
        f"/admin/consent/request/{story.pk}/",
        {
            "signer_name": "Anna",
            "signer_email": "",
            "signer_role": "patient",
            "language": "nl",
            "proposed_channels": ["website"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "/consent/sign/" in html
    assert ConsentRequest.objects.filter(delivery="in_person").exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["channels", "naming", "typed_name", "relation", "valid_until", "patient_birth_date", "declaration"]
        ),
        st.text(max_size=300),
    )
)
def test_fuzzed_signing_input_never_errors(client, editor, story, data):
    cache.clear()  # the rate limit is tested on its own below
    if not ConsentRequest.objects.filter(status="pending").exists():
        request_by_email(client, editor, story)
    link = emailed_link()
    response = client.post(link, {**data, "sign": "1"})
    assert response.status_code in (200, 410)


def test_signing_page_is_rate_limited(client, editor, story):
    cache.clear()
    request_by_email(client, editor, story)
    link = emailed_link()
    statuses = [client.get(link).status_code for _ in range(32)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_configured_social_accounts_are_offered_by_name(client, editor, story):
    from channels.models import ChannelAccount

    active = ChannelAccount.objects.create(name="Mastodon (@zorg@zorg.social)", kind="mastodon", status="ok")
    inactive = ChannelAccount.objects.create(name="Oude Facebook-pagina", kind="facebook", active=False)
    client.force_login(editor)
    form = client.get(f"/admin/consent/request/{story.pk}/").content.decode()
    assert active.name in form and inactive.name not in form
    client.logout()
    request_by_email(client, editor, story, proposed_channels=["website", active.channel_key])
    link = emailed_link()
    html = client.get(link).content.decode()
    channels = html.split("<fieldset>", 1)[1].split("</fieldset>", 1)[0]
    assert active.name in channels and f'value="{active.channel_key}"' in channels
    assert inactive.name not in html
    # With accounts configured, the catch-all "social media" choice is not offered.
    assert 'value="social"' not in channels
    # An inactive account cannot be chosen by posting its key.
    refused = client.post(link, {**SIGN, "channels": ["website", inactive.channel_key]})
    assert refused.status_code == 200 and not Consent.objects.exists()
    client.post(link, {**SIGN, "channels": ["website", active.channel_key]})
    assert Consent.objects.get().channels == ["website", active.channel_key]
