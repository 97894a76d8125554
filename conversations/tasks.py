"""The inbox's background reading: one task per account, queued by the periodic ``conversations-poll`` job.

``conversations-poll`` runs every minute (``manage.py run_schedule``) and queues
:func:`read_account_task` for each readable account (active, inbox enabled, a network we read)
whose last read began ``CONVERSATIONS_POLL_MINUTES`` (default 5) or more ago and that was not
queued within that time. The task itself claims the account, so two workers never read the same
account at once, whatever the queue does (``conversations.ingest.runner``).

Webhook deliveries are stored at once by the views; an Instagram ``mentions`` delivery names only
the comment, which :func:`fetch_instagram_mention` reads from the Graph API in the background.

Reply sending lives apart, in ``conversations.replies.tasks``.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from core.schedule import periodic

from .ingest import runner
from .models import IngestCursor

logger = logging.getLogger(__name__)

DEFAULT_POLL_MINUTES = 5


def poll_minutes():
    return max(1, int(settings.VERTEL.get("CONVERSATIONS_POLL_MINUTES", DEFAULT_POLL_MINUTES)))


@task()
def read_account_task(account_id):
    """Read every stream of one account (skipped when another worker is reading it)."""
    outcome = runner.read_account(account_id)
    if outcome.errors:
        logger.info("Account %s read with %s failing stream(s).", account_id, len(outcome.errors))
    return {"stored": outcome.stored, "claimed": outcome.claimed, "errors": len(outcome.errors)}


@task()
def fetch_instagram_mention(account_id, comment_id, media_id):
    """Read a comment that mentions the account (the ``mentions`` webhook names only its id) and store it."""
    from channels.models import ChannelAccount

    from .ingest.meta import InstagramReader, mention_item
    from .ingest.store import store

    account = ChannelAccount.objects.filter(pk=account_id, active=True).first()
    if account is None:
        return 0
    comment = InstagramReader(account).mentioned_comment(comment_id)
    if not comment.get("id"):
        return 0
    return store(account, [mention_item(account, comment, media_id)]).count


def due_accounts(now):
    since = now - datetime.timedelta(minutes=poll_minutes())
    recent = IngestCursor.objects.filter(stream=runner.CLAIM_STREAM).filter(
        Q(last_read_at__gt=since) | Q(cursor__gt=since.isoformat())
    )
    return runner.readable_accounts().exclude(pk__in=recent.values("account_id"))


@periodic("conversations-poll")
def poll_inboxes(now=None):
    """Queue one reading task per account that is due; the number queued."""
    now = now or timezone.now()
    queued = 0
    for account in due_accounts(now):
        # Remember the queueing (in the claim row's cursor), so a slow queue is not flooded.
        IngestCursor.objects.update_or_create(
            account=account, stream=runner.CLAIM_STREAM, defaults={"cursor": now.isoformat()}
        )
        try:
            read_account_task.enqueue(account.pk)
        except Exception:  # noqa: BLE001 - the next poll queues it again
            logger.exception("Reading account %s was not queued.", account.pk)
            continue
        queued += 1
    return queued
