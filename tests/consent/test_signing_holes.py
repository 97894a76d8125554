"""Issue 11, holes 6, 7 and 16 (typed signature): the signing page trusts the record, not the typist."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from consent.models import Consent, ConsentEvent, ConsentRequest
from consent.services import OTP_MAX_ATTEMPTS, create_request

pytestmark = pytest.mark.django_db

SIGN = {
    "channels": ["website"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "relation": "myself",
    "declaration": "on",
    "sign": "1",
}


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn nieuwe knie", naming="first_name")


def new_request(story, editor, role="patient", delivery=ConsentRequest.Delivery.EMAIL, email="anna@example.org"):
    consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email=email,
        signer_role=role,
        language="en",
        proposed_channels=["website"],
        delivery=delivery,
        created_by=editor,
    )
    return consent_request, f"/en/consent/sign/{token}/"


def years_ago(years):
    today = timezone.localdate()
    return (
        today.replace(year=today.year - years)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - years, day=28)
    )


# Hole 6: the birth date on file wins --------------------------------------------------------


def test_representative_cannot_sign_for_a_child_with_a_false_adult_date(client, editor, story, person, caplog):
    person.birth_date = years_ago(10)
    person.save()
    _request, link = new_request(story, editor, role="representative")
    response = client.post(link, {**SIGN, "relation": "curator", "patient_birth_date": years_ago(40).isoformat()})
    html = response.content.decode()
    assert response.status_code == 200 and not Consent.objects.exists()
    assert "does not match our records" in html
    event = ConsentEvent.objects.get(kind=ConsentEvent.Kind.SIGNATURE_REFUSED)
    assert event.data == {"reason": "birth_date_mismatch"}
    # The application log names no date and no person.
    assert years_ago(40).isoformat() not in caplog.text and years_ago(10).isoformat() not in caplog.text
    # The right date still cannot make a representative sign for a child.
    right = client.post(link, {**SIGN, "relation": "curator", "patient_birth_date": years_ago(10).isoformat()})
    assert right.status_code == 200 and not Consent.objects.exists()
    assert "a parent or guardian must sign" in right.content.decode()


def test_a_typed_date_never_overrides_the_record(client, editor, story, person):
    person.birth_date = years_ago(30)
    person.save()
    _request, link = new_request(story, editor, role="parent")
    wrong = client.post(link, {**SIGN, "relation": "mother", "patient_birth_date": years_ago(31).isoformat()})
    assert wrong.status_code == 200 and not Consent.objects.exists()
    assert "does not match our records" in wrong.content.decode()
    client.post(link, {**SIGN, "relation": "mother", "patient_birth_date": years_ago(30).isoformat()})
    assert Consent.objects.get().patient_birth_date == years_ago(30)


def test_a_self_signing_patient_cannot_post_an_adult_date_over_a_childs_record(client, editor, story, person):
    _request, link = new_request(story, editor, role="patient")
    person.birth_date = years_ago(12)  # known after the request was made
    person.save()
    response = client.post(link, {**SIGN, "patient_birth_date": years_ago(30).isoformat()})
    assert response.status_code == 200 and not Consent.objects.exists()


def test_without_a_date_on_file_the_typed_date_is_recorded_but_the_role_stays(client, editor, story, person):
    assert person.birth_date is None
    _request, link = new_request(story, editor, role="representative")
    child = client.post(link, {**SIGN, "relation": "curator", "patient_birth_date": years_ago(9).isoformat()})
    assert child.status_code == 200 and not Consent.objects.exists()
    client.post(link, {**SIGN, "relation": "curator", "patient_birth_date": years_ago(50).isoformat()})
    consent = Consent.objects.get()
    assert consent.signer_role == "representative" and consent.patient_birth_date == years_ago(50)
    person.refresh_from_db()
    assert person.birth_date is None  # a signer's statement never rewrites the record


# Hole 7: code attempts count per request ----------------------------------------------------


def test_new_codes_do_not_buy_new_guesses(editor, story):
    consent_request, link = new_request(story, editor, delivery=ConsentRequest.Delivery.IN_PERSON)
    signer = Client()
    for _round in range(3):
        signer.post(link, {"send_code": "1"})
        code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
        wrong = "000000" if code != "000000" else "111111"
        for _attempt in range(2):
            response = signer.post(link, {**SIGN, "code": wrong})
    consent_request.refresh_from_db()
    assert consent_request.otp_attempts == OTP_MAX_ATTEMPTS
    html = response.content.decode()
    assert "this link is locked" in html and "Ask the care organisation" in html
    sent = len(mail.outbox)
    signer.post(link, {"send_code": "1"})
    assert len(mail.outbox) == sent  # no new code for a locked request
    assert signer.post(link, {**SIGN, "code": code}).status_code == 200
    assert not Consent.objects.exists()  # even the right code fails once locked
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.CODE_LOCKED).count() == 1


def test_a_new_link_from_the_editor_unlocks(editor, story):
    from consent.services import resend

    consent_request, _link = new_request(story, editor, delivery=ConsentRequest.Delivery.IN_PERSON)
    ConsentRequest.objects.filter(pk=consent_request.pk).update(otp_attempts=OTP_MAX_ATTEMPTS)
    token = resend(consent_request, actor=f"user:{editor.pk}")
    link = f"/en/consent/sign/{token}/"
    signer = Client()
    signer.post(link, {"send_code": "1"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    signer.post(link, {**SIGN, "code": code})
    assert Consent.objects.get().verification == Consent.Verification.EMAIL_CODE


# Hole 16: the typed signature is visible text -----------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["\u200b\u200b", "\u202eseirV ed annA", "Anna\u200bde Vries", "Anna\u0007", " \u2066 "],
)
def test_invisible_or_bidi_signatures_are_refused(client, editor, story, typed):
    _request, link = new_request(story, editor)
    response = client.post(link, {**SIGN, "typed_name": typed})
    assert response.status_code == 200 and not Consent.objects.exists()
    html = response.content.decode()
    assert "invisible or control characters" in html or "a signature cannot be empty" in html


def test_a_plain_accented_name_signs(client, editor, story):
    _request, link = new_request(story, editor)
    client.post(link, {**SIGN, "typed_name": "  Zoë Ünal-O'Brien  "})
    assert Consent.objects.get().signer_typed_name == "Zoë Ünal-O'Brien"


def test_signing_long_ago_birth_date_is_still_checked(client, editor, story, person):
    person.birth_date = datetime.date(1950, 5, 1)
    person.save()
    _request, link = new_request(story, editor, role="guardian")
    client.post(link, {**SIGN, "relation": "guardian", "patient_birth_date": "1950-05-01"})
    assert Consent.objects.count() == 1
