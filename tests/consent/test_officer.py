"""Consent officers versus editors: evidence, export, erasure, requests, consent texts, dashboard."""

import json
import logging
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consent.evidence import verify_chain
from consent.models import Consent, ConsentEvent, ConsentRequest, ConsentText
from consent.services import create_request, erase_person, withdraw
from consent.signals import consent_withdrawn
from stories.models import Person

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/sign/[^/\s]+/)")


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_user(username="officer", password="pw", email="officer@example.org")
    user.groups.add(Group.objects.get(name="Consent officers"))
    return user


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn verhaal")


@pytest.fixture
def consent(story):
    return build_consent(
        story,
        channels=("website", "newsletter"),
        person=story.storyteller,
        ip_address="203.0.113.9",
        user_agent="Phone",
    )


def test_groups_exist_with_the_right_permissions(officer, editor):
    assert officer.has_perm("consent.view_evidence") and officer.has_perm("consent.erase_person")
    assert officer.has_perm("consent.change_consenttext")
    assert not editor.has_perm("consent.view_evidence") and not editor.has_perm("consent.erase_person")


@pytest.mark.parametrize(
    "url",
    ["/admin/consent/evidence/", "/admin/consent/evidence/{consent}/", "/admin/consent/erase/{person}/"],
)
def test_editors_cannot_reach_evidence_or_erasure(client, editor, consent, url):
    client.force_login(editor)
    response = client.get(url.format(consent=consent.pk, person=consent.person_id))
    assert response.status_code == 403
    assert client.post(url.format(consent=consent.pk, person=consent.person_id)).status_code == 403
    assert Person.objects.get(pk=consent.person_id).full_name == "Anna de Vries"


def test_officer_sees_and_exports_evidence(client, officer, consent):
    client.force_login(officer)
    listing = client.get(f"/admin/consent/evidence/?story={consent.story_id}")
    assert listing.status_code == 200 and consent.reference in listing.content.decode()
    assert "The evidence log is intact." in listing.content.decode()

    exported = client.get(f"/admin/consent/evidence/{consent.pk}/?format=json")
    data = json.loads(exported.content)
    assert data["reference"] == consent.reference
    assert data["content_hash"] == consent.content_hash
    assert data["choices"]["channels"] == ["website", "newsletter"]
    assert data["consent_text"]["sha256"] == consent.consent_text_hash
    printable = client.get(f"/admin/consent/evidence/{consent.pk}/")
    assert consent.reference in printable.content.decode()
    kinds = list(ConsentEvent.objects.filter(consent_id=consent.pk).values_list("kind", flat=True))
    assert kinds.count(ConsentEvent.Kind.EXPORTED) == 2


def test_erasure_blanks_personal_data_withdraws_and_keeps_the_chain(
    client, officer, story, consent, django_capture_on_commit_callbacks
):
    story.save_revision().publish()
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    consent_withdrawn.connect(receiver)
    try:
        client.force_login(officer)
        confirm = client.get(f"/admin/consent/erase/{consent.person_id}/")
        assert confirm.status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/admin/consent/erase/{consent.person_id}/")
    finally:
        consent_withdrawn.disconnect(receiver)
    assert response.status_code == 302
    consent.refresh_from_db()
    request = consent.request
    request.refresh_from_db()
    person = Person.objects.get(pk=consent.person_id)
    assert "Anna" not in f"{person.full_name}{person.first_name}{person.pseudonym}{person.email}"
    assert consent.signer_typed_name == "" and consent.ip_address is None and consent.user_agent == ""
    assert consent.erased_at is not None and request.erased_at is not None
    assert request.signer_name == "" and request.signer_email == ""
    # The fact of consent stays: dates, hashes, channels, reference.
    assert consent.content_hash and consent.reference and consent.signed_at
    assert consent.withdrawn_at is not None
    assert received and received[0]["reason"] == "erased"
    story.refresh_from_db()
    assert not story.live
    assert verify_chain() is None
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.ERASED).exists()
    # Nothing personal remains in the evidence log.
    dump = json.dumps(list(ConsentEvent.objects.values("data", "actor")))
    assert "Anna" not in dump and "203.0.113.9" not in dump


def test_editor_resends_and_the_old_link_dies(client, editor, story):
    consent_request, old_token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    client.force_login(editor)
    listing = client.get(f"/admin/consent/requests/?story={story.pk}")
    assert listing.status_code == 200 and "Mijn verhaal" in listing.content.decode()
    response = client.post(f"/admin/consent/requests/{consent_request.pk}/resend/")
    assert response.status_code == 302
    new_link = LINK.search(mail.outbox[-1].body).group(1)
    anonymous = Client()
    assert anonymous.get(f"/nl/consent/sign/{old_token}/").status_code == 404
    assert anonymous.get(new_link).status_code == 200

    client.post(f"/admin/consent/requests/{consent_request.pk}/revoke/")
    revoked = anonymous.get(new_link)
    assert revoked.status_code == 410
    assert "Mijn verhaal" not in revoked.content.decode()
    kinds = set(ConsentEvent.objects.filter(request_id=consent_request.pk).values_list("kind", flat=True))
    assert {"requested", "resent", "revoked"} <= kinds


def test_an_editor_of_another_section_cannot_resend(client, django_user_model, story, editor):
    consent_request, _token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    outsider = django_user_model.objects.create_user(username="outsider", password="pw")
    outsider.user_permissions.add(*Permission.objects.filter(codename="access_admin"))
    client.force_login(outsider)
    assert client.post(f"/admin/consent/requests/{consent_request.pk}/resend/").status_code == 403
    assert client.post(f"/admin/consent/requests/{consent_request.pk}/revoke/").status_code == 403
    assert client.get(f"/admin/consent/request/{story.pk}/").status_code == 403


def test_editing_a_consent_text_creates_a_new_version(client, officer):
    signed = ConsentText.objects.filter(language="en").order_by("-version").first()
    old_body, old_hash = signed.body, signed.sha256
    client.force_login(officer)
    response = client.post(
        f"/admin/consent_texts/edit/{signed.pk}/",
        {"language": "en", "title": signed.title, "body": signed.body + "\n\nA new sentence."},
    )
    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.body == old_body and signed.sha256 == old_hash
    newest = ConsentText.objects.filter(language="en").order_by("-version").first()
    assert newest.version == signed.version + 1 and newest.body.endswith("A new sentence.")
    assert newest.sha256 == newest.compute_sha256() != old_hash


def test_editors_cannot_edit_consent_texts(client, editor):
    text = ConsentText.objects.first()
    client.force_login(editor)
    response = client.post(f"/admin/consent_texts/edit/{text.pk}/", {"language": "en", "title": "x", "body": "y"})
    assert response.status_code in (302, 403)
    assert ConsentText.objects.filter(body="y").count() == 0


def test_default_texts_in_both_languages_say_what_matters():
    for language, words in {"nl": ["zorg", "intrekken"], "en": ["care", "withdraw", "cannot be recalled"]}.items():
        text = ConsentText.objects.filter(language=language).order_by("-version").first()
        assert text and all(word in text.body for word in words)


def test_dashboard_panel_lists_pending_and_withdrawn(
    client, editor, story, consent, django_capture_on_commit_callbacks
):
    create_request(
        story=story,
        signer_name="Bob",
        signer_email="bob@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["newsletter"], reason="withdrawn", actor="signer")
    withdraw(consent, reason="withdrawn", actor="signer")
    client.force_login(editor)
    html = client.get("/admin/").content.decode()
    assert "Waiting for a signature" in html and "Mijn verhaal" in html
    assert consent.reference in html


def test_no_personal_data_or_raw_tokens_in_logs(caplog, editor, story, consent, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    _request, token = create_request(
        story=story,
        signer_name="Carla Jansen",
        signer_email="carla@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    Client().get(f"/nl/consent/sign/{token}/")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer", ip="203.0.113.9", user_agent="Phone")
        erase_person(Person.objects.get(pk=consent.person_id), actor="user:1")
    text = caplog.text
    for secret in (token, "Carla", "carla@example.org", "Anna", "203.0.113.9"):
        assert secret not in text
    assert Consent.objects.get(pk=consent.pk).erased_at is not None


SIGN = {
    "channels": ["website"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "relation": "myself",
    "declaration": "on",
    "sign": "1",
}


def test_in_person_signing_needs_a_witnessing_editor(client, editor, story):
    consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="",
        signer_role="patient",
        language="en",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.IN_PERSON,
        created_by=editor,
    )
    link = f"/en/consent/sign/{token}/"
    alone = Client().post(link, SIGN)
    assert alone.status_code == 200 and "in the presence of a staff member" in alone.content.decode()
    assert not Consent.objects.exists()

    client.force_login(editor)
    receipt = client.post(link, SIGN)
    assert receipt.status_code == 200
    consent = Consent.objects.get()
    assert consent.verification == Consent.Verification.IN_PERSON and consent.witnessed_by == editor


def test_editor_applies_the_signed_naming_in_one_click(client, editor, story):
    consent = build_consent(story, naming="pseudonym", person=story.storyteller)
    assert story.get_latest_revision_as_object().naming != "pseudonym"
    client.force_login(editor)
    listing = client.get(f"/admin/consent/requests/?story={story.pk}")
    assert "Apply the signed naming" in listing.content.decode()
    response = client.post(f"/admin/consent/consents/{consent.pk}/apply-naming/")
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.get_latest_revision_as_object().naming == "pseudonym"
    assert story.get_latest_revision().user == editor
    assert not story.live  # a draft: publishing still goes through the gate


def test_in_person_with_email_is_confirmed_by_a_one_time_code(editor, story):
    consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="en",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.IN_PERSON,
        created_by=editor,
    )
    signer = Client()
    link = f"/en/consent/sign/{token}/"
    assert "Send me a code" in signer.get(link).content.decode()
    signer.post(link, {"send_code": "1"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    consent_request.refresh_from_db()
    assert code not in consent_request.otp_hash and len(consent_request.otp_hash) == 64
    wrong = signer.post(link, {**SIGN, "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200 and "The code is wrong or expired" in wrong.content.decode()
    assert not Consent.objects.exists()
    signer.post(link, {**SIGN, "code": code})
    assert Consent.objects.get().verification == Consent.Verification.EMAIL_CODE


def test_one_time_code_attempts_are_limited(editor, story):
    from consent.services import OTP_MAX_ATTEMPTS, check_code

    consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="en",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.IN_PERSON,
        created_by=editor,
    )
    Client().post(f"/en/consent/sign/{token}/", {"send_code": "1"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    for _attempt in range(OTP_MAX_ATTEMPTS):
        assert not check_code(consent_request.pk, "x")
    assert not check_code(consent_request.pk, code)  # too many attempts: even the right code fails


def test_a_link_is_rate_limited_across_addresses(editor, story):
    from consent.views import RATE_LIMIT

    _consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="en",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    link = f"/en/consent/sign/{token}/"
    statuses = [Client().get(link, REMOTE_ADDR=f"198.51.100.{n % 250}").status_code for n in range(RATE_LIMIT + 1)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_receipt_email_carries_a_pdf_with_the_reference(editor, story, django_capture_on_commit_callbacks):
    _consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/nl/consent/sign/{token}/", SIGN)
    consent = Consent.objects.get()
    # The signer's last mail (the editors are told of the signature too, issue 13).
    receipt = [message for message in mail.outbox if message.to == ["anna@example.org"]][-1]
    assert "/consent/withdraw/" in receipt.body
    name, content, mimetype = receipt.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF") and consent.reference in name


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(["signer_name", "signer_email", "signer_role", "language", "proposed_channels", "in_person"]),
        st.text(max_size=300),
    )
)
def test_fuzzed_request_form_never_errors(client, editor, story, data):
    client.force_login(editor)
    response = client.post(f"/admin/consent/request/{story.pk}/", data)
    assert response.status_code in (200, 302)
