"""What a patient receives and sees: one organisation name, the story named, the same facts everywhere.

The invitation, the receipt (page, e-mail, PDF) and the withdrawal (page and e-mail) come from the
organisation's name (``website.OrganisationSettings`` through ``core.organisation``), name the story,
show the naming in words and times in the organisation's zone; the newsletter's sender is the same name.
"""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Site

from consent.forms import latest_end_date
from consent.models import Consent
from consent.receipt import receipt_rows
from core.organisation import organisation_name, sender
from website.models import OrganisationSettings

pytestmark = pytest.mark.django_db

ORG = "Ziekenhuis De Linde"
SIGN_LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/sign/[^/\s]+/)")
WITHDRAW_LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/withdraw/[^/\s]+/)")
SIGN = {
    "channels": ["website", "newsletter"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "declaration": "on",
    "sign": "1",
}


@pytest.fixture
def organisation():
    cache.clear()  # the name travels through the cached site navigation
    OrganisationSettings.objects.update_or_create(
        site=Site.objects.get(is_default_site=True), defaults={"organisation_name": ORG}
    )
    cache.clear()
    return ORG


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn nieuwe knie", naming="first_name")


def ask(client, editor, story, role="patient"):
    client.force_login(editor)
    response = client.post(
        f"/admin/consent/request/{story.pk}/",
        {
            "signer_name": "Anna de Vries",
            "signer_email": "anna@example.org",
            "signer_role": role,
            "language": "nl",
            "proposed_channels": ["website", "newsletter"],
        },
    )
    client.logout()
    assert response.status_code == 302
    return SIGN_LINK.search(mail.outbox[-1].body).group(1)


def signers_last_mail():
    """The last mail to the signer (the editors are told of a signature too, after the receipt)."""
    return [message for message in mail.outbox if message.to == ["anna@example.org"]][-1]


def test_the_name_is_one_setting_and_the_sender_of_every_mail(organisation, settings):
    assert organisation_name() == ORG
    settings.DEFAULT_FROM_EMAIL = "Vertel <noreply@example.org>"
    assert sender() == f"{ORG} <noreply@example.org>"
    assert sender("news@example.org") == f"{ORG} <news@example.org>"


def test_without_settings_the_name_is_the_default(settings):
    cache.clear()
    OrganisationSettings.objects.all().delete()
    cache.clear()
    assert organisation_name() == "Vertel"  # the model's default, through the navigation


def test_invitation_names_the_organisation_and_the_story(client, editor, story, organisation):
    ask(client, editor, story)
    invitation = mail.outbox[-1]
    assert invitation.from_email.startswith(f"{ORG} <")
    assert ORG in invitation.body and "Mijn nieuwe knie" in invitation.body
    until = timezone.localtime(invitation_request_expiry(), timezone.get_default_timezone())
    assert str(until.day) in invitation.body


def invitation_request_expiry():
    from consent.models import ConsentRequest

    return ConsentRequest.objects.get().expires_at


def test_a_patient_is_asked_only_what_applies_and_sees_the_longest_term(client, editor, story, organisation):
    link = ask(client, editor, story)
    html = client.get(link).content.decode()
    assert 'name="relation"' not in html and 'name="patient_birth_date"' not in html
    assert "Tot wanneer?" in html
    longest = latest_end_date()
    assert f"{longest.day} " in html and str(longest.year) in html and "langste termijn" in html


def test_a_representative_is_asked_the_relation_and_the_date_of_birth(client, editor, story, organisation):
    link = ask(client, editor, story, role="parent")
    html = client.get(link).content.decode()
    assert 'name="relation"' in html and 'name="patient_birth_date"' in html


def test_receipt_page_mail_and_pdf_agree_in_words(
    client, editor, story, organisation, django_capture_on_commit_callbacks
):
    link = ask(client, editor, story)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(link, SIGN)
    consent = Consent.objects.get()
    html = page.content.decode()
    receipt = signers_last_mail()
    assert receipt.from_email.startswith(f"{ORG} <")
    for text in (html, receipt.body):
        assert "Alleen voornaam" in text and "first_name" not in text
        assert "Mijn nieuwe knie" in text and ORG in text
        assert consent.reference in text and consent.content_hash in text
    local = timezone.localtime(consent.signed_at, timezone.get_default_timezone())
    assert local.strftime("%H:%M") in receipt.body  # the organisation's zone, not UTC
    assert "receipt-hash" in html  # the hashes wrap on a phone (static/css/site.css, "receipt")
    (name, pdf, mime) = receipt.attachments[0]
    assert mime == "application/pdf" and pdf.startswith(b"%PDF")


def test_receipt_rows_use_the_organisations_zone(story, organisation, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    consent = Consent(
        request=None,
        naming="pseudonym",
        channels=["website"],
        signed_at=datetime.datetime(2026, 6, 30, 22, 30, tzinfo=datetime.UTC),
        valid_until=datetime.datetime(2027, 6, 30, 21, 59, tzinfo=datetime.UTC),
        content_manifest={"title": "Mijn nieuwe knie"},
        signer_typed_name="Anna",
        signer_role="patient",
    )
    rows = {label: value for label, value, _code in receipt_rows(consent, {"website": "Our website"})}
    assert rows["Signed on"].startswith("July 1, 2026")  # 00:30 in Amsterdam, not 22:30 UTC
    assert rows["How you are named"] == "Pseudonym"
    assert rows["Channels"] == "Our website" and rows["Story"] == "Mijn nieuwe knie"
    assert rows["Organisation"] == ORG and "Signed as" not in rows


def test_withdrawal_page_and_confirmation_name_the_story(
    client, editor, story, organisation, django_capture_on_commit_callbacks
):
    link = ask(client, editor, story)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, SIGN)
    withdraw = WITHDRAW_LINK.search(signers_last_mail().body).group(1)
    assert "Mijn nieuwe knie" in client.get(withdraw).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(withdraw, {})
    assert "Mijn nieuwe knie" in done.content.decode()
    confirmation = next(m for m in mail.outbox if m.to == ["anna@example.org"] and "ingetrokken" in m.subject)
    assert confirmation.from_email.startswith(f"{ORG} <")
    assert "Mijn nieuwe knie" in confirmation.body and ORG in confirmation.body
    assert "Ingetrokken op" in confirmation.body


def test_the_newsletter_comes_from_the_organisations_name(organisation, settings):
    from newsletter import subscriptions
    from newsletter.issue_mail import IssueMailer
    from newsletter.models import NewsletterIssue

    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_FROM_EMAIL": "nieuws@example.org"}
    subscriptions.subscribe("lezer@example.org", language="nl", source="page")
    confirm = mail.outbox[-1]
    assert confirm.from_email.startswith(f"{ORG} <")
    assert ORG in confirm.subject and "Vertel" not in confirm.subject
    issue = NewsletterIssue.objects.create(title="Nieuwsbrief juni", language="nl")
    assert IssueMailer(issue).from_email == f"{ORG} <nieuws@example.org>"
