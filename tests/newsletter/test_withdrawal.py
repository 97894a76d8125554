"""Withdrawing consent takes a story out of unsent issues and redacts it in the archive of sent ones."""

import pytest

from consent.evidence import verify_chain
from consent.models import ConsentEvent
from consent.services import withdraw
from newsletter.models import NewsletterIssue

pytestmark = pytest.mark.django_db


def test_withdrawal_redacts_archive_and_empties_unsent_issues(
    client, consented_story, make_org_story, make_issue, django_capture_on_commit_callbacks
):
    story, consent = consented_story(title="Mijn weg terug")
    org = make_org_story(title="Nieuwe vleugel open")
    sent = make_issue([story, org], status=NewsletterIssue.Status.SENT, title="Verstuurd")
    NewsletterIssue.objects.filter(pk=sent.pk).update(sent_at="2026-05-01T10:00:00Z")
    draft = make_issue([story, org], status=NewsletterIssue.Status.DRAFT, title="Concept")
    archive = f"/nl/newsletter/archive/{sent.pk}/"
    before = client.get(archive).content.decode()
    assert "Mijn weg terug" in before and "Nieuwe vleugel open" in before
    assert "Verstuurd" in client.get("/nl/newsletter/archive/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["newsletter"])

    after = client.get(archive).content.decode()
    assert "Mijn weg terug" not in after
    assert "This story has been withdrawn" in after or "Dit verhaal is ingetrokken" in after
    assert "Nieuwe vleugel open" in after
    assert list(draft.items.values_list("story_id", flat=True)) == [org.pk]
    event = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED).last()
    assert event.story_id == story.pk
    assert event.data["channel"] == "newsletter"
    assert event.data["removed_from_unsent_issues"] == [draft.pk]
    assert event.data["redacted_in_archive_of_issues"] == [sent.pk]
    assert event.data["sent_emails_recalled"] is False
    assert verify_chain() is None


def test_withdrawing_the_website_also_counts(consented_story, make_issue, django_capture_on_commit_callbacks):
    story, consent = consented_story()
    draft = make_issue([story], status=NewsletterIssue.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["website"])
    assert not draft.items.exists()


def test_consent_text_says_sent_emails_cannot_be_recalled():
    from consent.texts import DEFAULT_TEXTS

    assert "E-mails die al verstuurd zijn" in DEFAULT_TEXTS["nl"][1] and "niet terughalen" in DEFAULT_TEXTS["nl"][1]
    assert "Emails already sent" in DEFAULT_TEXTS["en"][1] and "cannot be recalled" in DEFAULT_TEXTS["en"][1]
