"""Who holds an issue and its delivery rows: the runner's lease, listing recipients, claiming batches.

A runner takes the issue with a lease (``runner`` + ``heartbeat_at``) and renews it while it
sends; a runner taking over a stale lease puts the previous runner's rows back (see
``release_rows``). The recipients are listed once as pending ``Delivery`` rows; batches of due
rows of still-deliverable subscribers are claimed for one runner. The order of it all is in
``newsletter.sending``.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Delivery, NewsletterIssue, Subscriber
from .tokens import link_keys, link_token_for

logger = logging.getLogger(__name__)

LIST_CHUNK = 2000


def lease_seconds():
    return int(settings.VERTEL.get("NEWSLETTER_LEASE_SECONDS", 120))


class LeaseLost(Exception):
    """Another runner took the issue over; this one stops without touching its rows."""


def acquire(issue_id, runner):
    """Take the issue for this runner; return it, or ``None`` when there is nothing to do for us."""
    now = timezone.now()
    with transaction.atomic():
        issue = NewsletterIssue.objects.select_for_update().filter(pk=issue_id).first()
        if issue is None or issue.status not in (NewsletterIssue.Status.SCHEDULED, NewsletterIssue.Status.SENDING):
            return None
        if issue.status == NewsletterIssue.Status.SCHEDULED and issue.scheduled_at and issue.scheduled_at > now:
            return None
        stale_before = now - timezone.timedelta(seconds=lease_seconds())
        if issue.runner and issue.heartbeat_at and issue.heartbeat_at > stale_before:
            return None  # another worker is sending it
        issue.status = NewsletterIssue.Status.SENDING
        issue.send_started_at = issue.send_started_at or now
        issue.runner = runner
        issue.heartbeat_at = now
        issue.save(update_fields=["status", "send_started_at", "runner", "heartbeat_at"])
        release_rows(issue)
    return issue


def release_rows(issue, runner=None):
    """Claimed rows go back to pending; rows handed to the server without a recorded answer become unknown.

    With ``runner``, only that runner's rows (its own clean-up after an error); without, every
    runner's (a takeover, under the issue's lock).
    """
    rows = Delivery.objects.filter(issue=issue)
    if runner is not None:
        rows = rows.filter(runner=runner)
    rows.filter(status=Delivery.Status.CLAIMED).update(status=Delivery.Status.PENDING, claimed_at=None, runner="")
    # The runner id stays on the row, so the late record of a worker that was only slow still lands.
    unknown = rows.filter(status=Delivery.Status.SENDING).update(
        status=Delivery.Status.UNKNOWN, error=_("The worker stopped before the mail server's answer was recorded.")
    )
    if unknown:
        logger.warning(
            "Newsletter issue %s: %s message(s) may or may not have been delivered; an editor decides.",
            issue.pk,
            unknown,
        )


def mark_for_sending(issue):
    """Draft or scheduled → sending now (the worker picks it up); False if it already sends or was sent."""
    return bool(
        NewsletterIssue.objects.filter(
            pk=issue.pk, status__in=[NewsletterIssue.Status.DRAFT, NewsletterIssue.Status.SCHEDULED]
        ).update(status=NewsletterIssue.Status.SENDING, scheduled_at=timezone.now())
    )


def heartbeat(issue, runner):
    """Renew the lease; False when another runner has taken the issue over."""
    return bool(NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(heartbeat_at=timezone.now()))


def list_recipients(issue):
    """Create the pending deliveries in chunks, never holding every recipient in memory."""
    if issue.recipients_listed:
        return
    recipients = Subscriber.objects.recipients_of(issue).order_by("pk").values_list("pk", flat=True)
    chunk = []
    for subscriber_id in recipients.iterator(chunk_size=LIST_CHUNK):
        chunk.append(Delivery(issue_id=issue.pk, subscriber_id=subscriber_id))
        if len(chunk) >= LIST_CHUNK:
            Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
    NewsletterIssue.objects.filter(pk=issue.pk).update(recipients_listed=True)
    issue.recipients_listed = True


def claim_batch(issue, runner, size):
    """Claim up to ``size`` due pending deliveries; return (delivery id, subscriber id, email, token) rows.

    Only subscribers who are still confirmed and deliverable are claimed: an address that
    unsubscribed, bounced or complained after the recipients were listed gets nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .due(now)
            .filter(issue=issue, subscriber__status=Subscriber.Status.CONFIRMED, subscriber__undeliverable_at=None)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.CLAIMED, claimed_at=now, runner=runner)
    keys = link_keys()
    rows = []
    for delivery_id, subscriber_id, email, salt, stored_hash in (
        Delivery.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "subscriber_id", "subscriber__email", "subscriber__link_salt", "subscriber__link_token_hash"
        )
    ):
        token, renew = link_token_for(subscriber_id, salt, stored_hash, keys)
        if renew:
            # The key this subscriber's links were made with is gone: the new link is stored
            # before it is mailed, and the old one stays valid (``Subscriber.renew_link_hash``).
            Subscriber.renew_link_hash(subscriber_id, stored_hash, token)
        rows.append((delivery_id, subscriber_id, email, token))
    return rows


def drop_undeliverable(issue):
    """Pending rows of subscribers who unsubscribed, bounced or complained since listing: nothing goes to them."""
    deliverable = Subscriber.objects.deliverable().values("pk")
    return (
        Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
        .exclude(subscriber__in=deliverable)
        .delete()
    )
