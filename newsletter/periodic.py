"""Periodic newsletter job: start scheduled issues, resume those whose worker died or paused for retries."""

from django.utils import timezone

from core.schedule import periodic

from .lease import lease_seconds
from .models import Delivery, NewsletterIssue
from .sending import send_issue


def has_work(issue, now):
    """Whether a runner taking ``issue`` now would do something (send, take over, retry or finish)."""
    if not issue.recipients_listed:
        return True
    rows = Delivery.objects.filter(issue=issue)
    if rows.filter(status__in=[Delivery.Status.CLAIMED, Delivery.Status.SENDING]).exists():
        return True  # left by a dead worker
    if not rows.filter(status=Delivery.Status.PENDING).exists():
        return True  # only finishing is left
    return rows.due(now).exists()  # otherwise wait until a retry is due


@periodic("newsletter-send")
def sweep_sending(now=None):
    """Enqueue ``send_issue`` for issues due, stopped or with retries now due; return their ids."""
    now = now or timezone.now()
    stale_before = now - timezone.timedelta(seconds=lease_seconds())
    due = NewsletterIssue.objects.filter(status=NewsletterIssue.Status.SCHEDULED, scheduled_at__lte=now)
    sending = NewsletterIssue.objects.filter(status=NewsletterIssue.Status.SENDING)
    # No runner (released after an error or to wait for retries), a silent one, or none yet.
    idle = (
        sending.filter(runner="") | sending.filter(heartbeat_at__lt=stale_before) | sending.filter(heartbeat_at=None)
    )
    ids = sorted(set(due.values_list("pk", flat=True)) | {issue.pk for issue in idle if has_work(issue, now)})
    for issue_id in ids:
        send_issue.enqueue(issue_id)
    return ids
