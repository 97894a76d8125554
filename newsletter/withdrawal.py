"""What a withdrawn or unpublished story does to newsletter issues.

An unsent issue loses the story; a sent issue's archive page shows a short note instead (sent
emails cannot be recalled, and the consent text tells signers so). Either way the issue's
``content_version`` goes up, so a worker sending it renders it again before its next message.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from consent.evidence import record_event
from consent.models import ConsentEvent
from core.channel_keys import NEWSLETTER

from .models import IssueItem, NewsletterIssue


def withdraw_story_from_newsletters(story_id, *, consent=None, reason="withdrawn"):
    """Drop the story from unsent issues and redact it in sent ones; record it as evidence.

    Returns the ids of the issues it was removed from and of those it was redacted in.
    """
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
                "channel": NEWSLETTER,
                "reason": reason,
                "removed_from_unsent_issues": sorted(removed),
                "redacted_in_archive_of_issues": sorted(redacted),
                "sent_emails_recalled": False,
            },
        )
    return removed, redacted


def touch_issues(issue_ids):
    """Raise the content version of these issues: what they may carry changed (see ``newsletter.sending``)."""
    if issue_ids:
        NewsletterIssue.objects.filter(pk__in=set(issue_ids)).update(content_version=F("content_version") + 1)


def leave_issues_being_sent(story_id):
    """An unpublished (or deleted) story: the issues being sent with it are rendered again without it."""
    issue_ids = IssueItem.objects.filter(story_id=story_id, issue__status=NewsletterIssue.Status.SENDING).values_list(
        "issue_id", flat=True
    )
    touch_issues(list(issue_ids))
