"""Signal receivers: consent withdrawal and bounces/complaints reported through django-anymail."""

import logging

from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_unpublished

from consent.signals import consent_withdrawn

logger = logging.getLogger(__name__)

UNDELIVERABLE_EVENTS = {"bounced", "complained", "rejected"}


@receiver(consent_withdrawn, dispatch_uid="newsletter_consent_withdrawn")
def take_story_out_of_newsletters(sender, consent, channels, reason, **kwargs):
    """Drop the story from unsent issues and redact it on sent issues' archive pages.

    Sent emails cannot be recalled; the consent text tells signers so. Receivers must not raise.
    """
    if not ({"newsletter", "website"} & set(channels)) or consent.story_id is None:
        return
    try:
        withdraw_story_from_newsletters(consent.story_id, consent=consent, reason=reason)
    except Exception:  # noqa: BLE001 - a failing receiver must not break the withdrawal itself
        logger.exception("Newsletter: could not take story %s out of the newsletter.", consent.story_id)


def withdraw_story_from_newsletters(story_id, *, consent=None, reason="withdrawn"):
    from consent.evidence import record_event
    from consent.models import ConsentEvent

    from .models import IssueItem, NewsletterIssue

    with transaction.atomic():
        items = IssueItem.objects.filter(story_id=story_id, withdrawn_at__isnull=True).select_related("issue")
        removed, redacted = [], []
        for item in items:
            if item.issue.status in (NewsletterIssue.Status.DRAFT, NewsletterIssue.Status.SCHEDULED):
                removed.append(item.issue_id)
                item.delete()
            else:
                redacted.append(item.issue_id)
                item.withdrawn_at = timezone.now()
                item.save(update_fields=["withdrawn_at"])
        # In the same commit as the items: a worker sending one of these issues sees the new
        # version before its next message and renders the issue again without the story.
        touch_issues(removed + redacted)
    if removed or redacted:
        record_event(
            ConsentEvent.Kind.RETRACTED,
            story_id=story_id,
            consent=consent,
            actor="system",
            data={
                "channel": "newsletter",
                "reason": reason,
                "removed_from_unsent_issues": sorted(removed),
                "redacted_in_archive_of_issues": sorted(redacted),
                "sent_emails_recalled": False,
            },
        )
    return removed, redacted


def touch_issues(issue_ids):
    """Raise the content version of these issues: what they may carry changed (see ``newsletter.sending``)."""
    from .models import NewsletterIssue

    if issue_ids:
        NewsletterIssue.objects.filter(pk__in=set(issue_ids)).update(content_version=F("content_version") + 1)


@receiver(page_unpublished, dispatch_uid="newsletter_story_unpublished")
def story_unpublished(sender, instance, **kwargs):
    """An unpublished (or deleted) story leaves the issues being sent, like a withdrawn one.

    Rendering already leaves out stories that are not live; this only makes a sending worker
    notice it before its next message instead of at its next render.
    """
    from .models import IssueItem, NewsletterIssue

    issue_ids = IssueItem.objects.filter(
        story_id=instance.pk, issue__status=NewsletterIssue.Status.SENDING
    ).values_list("issue_id", flat=True)
    touch_issues(list(issue_ids))


def on_anymail_tracking(sender, event, esp_name, **kwargs):
    """Anymail tracking webhook: a bounce, complaint or rejection makes the address undeliverable."""
    from .subscriptions import mark_undeliverable

    if event.event_type in UNDELIVERABLE_EVENTS and event.recipient:
        reason = f"{event.event_type} ({esp_name})"
        if event.reject_reason:
            reason += f": {event.reject_reason}"
        mark_undeliverable(event.recipient, reason)


def connect_anymail():
    try:
        from anymail.signals import tracking
    except ImportError:  # anymail is optional for plain SMTP setups
        return
    tracking.connect(on_anymail_tracking, dispatch_uid="newsletter_anymail_tracking")
