"""Resumable, throttled sending of an issue, at most once per recipient.

1. A runner takes the issue (a lease: ``runner`` + ``heartbeat_at``); a second runner leaves it
   alone while the heartbeat is fresh, and takes it over when it is stale (the worker died).
2. The issue is rendered once. An issue left without any story that passes the consent gate (or
   with a subject that would break the mail headers) is not sent: it goes back to draft and the
   editor is told (``IssueNotSendable``).
3. One ``Delivery`` row per recipient is created in chunks (``ignore_conflicts`` on the unique
   (issue, subscriber) constraint, so listing again after a crash adds no duplicates).
4. Batches of ``NEWSLETTER_BATCH_SIZE`` due pending rows of still-deliverable subscribers are
   claimed (pending → claimed, with this runner's id; on PostgreSQL ``SELECT … FOR UPDATE SKIP
   LOCKED``) and sent over one SMTP connection per thread.
5. Per message, after the server accepted the sender and the recipient and right before the
   message data goes out, one conditional UPDATE marks the row ``sending``. It succeeds only while
   the row is still claimed by this runner, the subscriber is still deliverable and the issue's
   ``content_version`` is the one rendered. Otherwise nothing is sent: a lost lease stops the
   batch, an unsubscribed or bounced address is dropped, and a withdrawal (which raises the
   version) makes the runner render the issue again before the next message. After the server's
   answer the row becomes ``sent`` (guarded by the runner id), ``failed`` on a permanent refusal
   (5xx), or ``pending`` again with a back-off on a temporary one (4xx).
6. A runner taking over puts the previous runner's ``claimed`` rows back to pending (never handed
   to the server) and turns its ``sending`` rows into ``unknown``: the server may or may not have
   accepted that message, and no SMTP exchange can tell. Those are never re-sent automatically;
   the progress page counts them and an editor resends them or marks them sent. So nobody gets
   the issue twice from a crash, and nobody is skipped without it being shown: at most one
   ``unknown`` row per SMTP connection per crash.

The modules: ``lease`` (steps 1, 3, 4 and 6: who holds the issue and its rows), ``issue_mail`` (step
2: the message, rendered once and written as bytes), ``smtp_loop`` (step 5: one connection's loop)
and ``notices`` (the editors' mails). This module runs them in order and holds the task.
"""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend, task

from .issue_mail import IssueContent, IssueNotSendable
from .lease import LeaseLost, acquire, claim_batch, drop_undeliverable, heartbeat, list_recipients, release_rows
from .models import Delivery, NewsletterIssue
from .notices import notify_editors
from .smtp_loop import Tally, Throttle, fast_commits, send_rows, send_rows_in_thread

logger = logging.getLogger(__name__)


@task()
def send_issue(issue_id):
    """Send an issue to its recipients, or resume sending it; safe to run twice (see above)."""
    return send_issue_now(issue_id)


def refuse_issue(issue, runner, reason):
    """The issue cannot go out (see ``IssueNotSendable``).

    Before any message went out it goes back to draft, its recipient list dropped, for the editor
    to fix. Part-way (the last story was withdrawn while sending) the messages not yet sent are
    not sent: those rows fail with the reason, and the issue ends as sent to those already reached.
    """
    logger.warning("Newsletter issue %s not sent: %s", issue.pk, reason)
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().filter(pk=issue.pk, runner=runner).first()
        if locked is None:
            return  # taken over meanwhile; the new runner decides
        release_rows(locked, runner)
        reached = locked.deliveries.exclude(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED]).exists()
        if not reached:
            locked.deliveries.all().delete()
            NewsletterIssue.objects.filter(pk=issue.pk).update(
                status=NewsletterIssue.Status.DRAFT,
                scheduled_at=None,
                runner="",
                send_started_at=None,
                recipients_listed=False,
            )
        else:
            locked.deliveries.filter(status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED, error=(_("Not sent: ") + str(reason))[:300]
            )
            _finish(issue, runner)
    notify_editors(issue, reason)


def _finish(issue, runner):
    now = timezone.now()
    NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(
        status=NewsletterIssue.Status.SENT, sent_at=Coalesce(F("sent_at"), now), runner="", heartbeat_at=now
    )


def _release(issue, runner):
    """Stop for now with work left (retries not yet due): the periodic job or a deferred task resumes it."""
    NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(runner="")
    due = (
        Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due and default_task_backend.supports_defer:
        send_issue.using(run_after=due).enqueue(issue.pk)
    logger.info("Newsletter issue %s paused until %s for retries after temporary refusals.", issue.pk, due)


def send_issue_now(issue_id, *, rate=None, batch_size=None, connections=None, runner=None):
    """Send (or resume sending) an issue; return the number of messages sent by this run.

    ``connections`` (``NEWSLETTER_CONNECTIONS``, default 1) SMTP connections work on each batch
    side by side, one thread each, sharing the rate limit: while one waits for the server's reply,
    another sends.
    """
    runner = runner or uuid.uuid4().hex
    issue = acquire(issue_id, runner)
    if issue is None:
        return 0
    fast_commits()
    try:
        content = IssueContent(issue)
    except IssueNotSendable as reason:
        refuse_issue(issue, runner, reason)
        return 0
    list_recipients(issue)
    rate = settings.VERTEL["NEWSLETTER_RATE"] if rate is None else rate
    batch_size = batch_size or settings.VERTEL["NEWSLETTER_BATCH_SIZE"]
    connections = max(1, connections or settings.VERTEL.get("NEWSLETTER_CONNECTIONS", 1))
    throttle = Throttle(rate)
    tally = Tally()
    pool = ThreadPoolExecutor(max_workers=connections) if connections > 1 else None
    try:
        while True:
            if not heartbeat(issue, runner):
                raise LeaseLost
            batch = claim_batch(issue, runner, batch_size)
            if not batch:
                break
            if pool is None:
                send_rows(batch, issue, runner, content, throttle, tally)
                continue
            futures = [
                pool.submit(send_rows_in_thread, batch[n::connections], issue, runner, content, throttle, tally)
                for n in range(connections)
            ]
            errors = []
            for future in futures:
                try:
                    future.result()
                except Exception as error:  # noqa: BLE001 - re-raised below, after every thread ended
                    errors.append(error)
            # The most telling first: a lost lease, then an issue that may not go out, then the rest.
            errors.sort(
                key=lambda error: (
                    0 if isinstance(error, LeaseLost) else 1 if isinstance(error, IssueNotSendable) else 2
                )
            )
            if errors:
                raise errors[0]
    except LeaseLost:
        logger.warning("Newsletter issue %s was taken over by another worker; this one stops.", issue.pk)
        return tally.value
    except IssueNotSendable as reason:
        refuse_issue(issue, runner, reason)
        return tally.value
    except Exception:
        # The connection broke: what was not handed over goes back to the queue for the next run;
        # a message handed over without an answer is unknown, never re-sent blindly.
        release_rows(issue, runner)
        NewsletterIssue.objects.filter(pk=issue.pk, runner=runner).update(runner="")
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    drop_undeliverable(issue)
    if Delivery.objects.filter(issue=issue, status__in=Delivery.IN_PROGRESS).exists():
        _release(issue, runner)
    else:
        _finish(issue, runner)
        logger.info("Newsletter issue %s sent (%s messages in this run).", issue.pk, tally.value)
    return tally.value
