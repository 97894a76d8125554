"""The background work of replies: the task that sends one, and the periodic sweep.

``send_reply`` runs ``conversations.replies.sending.run_reply`` in the worker. ``enqueue_reply``
enqueues it when the transaction commits (at ``run_after`` when the queue can wait; the immediate
backend of the tests cannot, and the sweep runs what is due). ``sweep_replies`` (every minute, from
``conversations.periodic``) enqueues replies whose task got lost and reconciles replies left
SENDING by a worker that died.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from channels.attempts import backend_defers, enqueue_on_commit, setting
from core.schedule import periodic

from ..models import Reply

State = Reply.State


@task()
def send_reply(reply_id):
    """Send one approved reply to its network, at most once."""
    from .sending import run_reply

    return run_reply(reply_id)


def enqueue_reply(reply_id, run_after=None):
    enqueue_on_commit(send_reply, reply_id, run_after)


@periodic("conversations-replies")
def sweep_replies(now=None):
    """Run or enqueue every reply that is due and has no live task; returns counts."""
    from .sending import run_reply

    now = now or timezone.now()
    lost_before = now - datetime.timedelta(seconds=setting("DISPATCH_LOST_TASK_SECONDS"))
    stale_before = now - datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
    due = Reply.objects.filter(
        Q(state=State.APPROVED, approved_at__lte=lost_before)
        | Q(state=State.APPROVED, approved_at__isnull=True, created_at__lte=lost_before)
        | Q(state=State.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
        | Q(state=State.SENDING, sending_started_at__lte=stale_before)
    )
    counts = {"run": 0, "enqueued": 0}
    for reply_id in list(due.values_list("pk", flat=True)[:1000]):
        if backend_defers(send_reply):
            send_reply.enqueue(reply_id)
            counts["enqueued"] += 1
        else:
            run_reply(reply_id, now=now)
            counts["run"] += 1
    return counts
