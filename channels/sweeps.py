"""The periodic sweeps of dispatch and removal: what a lost task, a dead worker or a full queue left behind.

Run every minute (``channels.periodic``). :func:`sweep` enqueues due dispatches whose task got
lost, reconciles SENDING rows of workers that died, and marks far overdue posts missed;
:func:`sweep_retractions` enqueues every removal that is due (retries, lost tasks, stale
RETRACTING rows). A backend that cannot hold a task until its time (the immediate one) gets the
due work run here. Both are idempotent: running one twice in a row enqueues nothing new.
Removals that were never queued at all are found by ``channels.retraction.sweep_missed_removals``.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from .attempts import State, backend_defers, setting
from .dispatch import enqueue_dispatch, run_dispatch, send_dispatch
from .models import Dispatch
from .removal import RETRACT_STALE_SECONDS, enqueue_retraction, retract_dispatch, run_retraction

Retraction = Dispatch.Retraction


def sweep(now=None):
    """Enqueue what is due but whose task got lost, reconcile stale SENDING rows, mark missed posts.

    Returns counts, for the log. Idempotent: running it twice in a row enqueues nothing new.
    """
    now = now or timezone.now()
    missed_before = now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
    lost_before = now - datetime.timedelta(seconds=setting("DISPATCH_LOST_TASK_SECONDS"))
    stale_before = now - datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
    counts = {"missed": 0, "enqueued": 0, "stale": 0}

    overdue = Dispatch.objects.filter(
        state__in=[State.QUEUED, State.FAILED], sending_started_at__isnull=True, scheduled_for__lt=missed_before
    ).exclude(state=State.FAILED, next_attempt_at__isnull=True)
    for dispatch_id in overdue.values_list("pk", flat=True):
        if run_dispatch(dispatch_id, now=now) == State.MISSED:
            counts["missed"] += 1

    due = Dispatch.objects.filter(
        Q(state=State.QUEUED, scheduled_for__lte=now)
        | Q(state=State.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
    ).filter(Q(queued_at__isnull=True) | Q(queued_at__lte=lost_before))
    # Freshly due rows have a task waiting (enqueued with run_after); only long-due ones are lost.
    due = due.filter(
        Q(state=State.QUEUED, scheduled_for__lte=lost_before)
        | Q(state=State.FAILED, next_attempt_at__lte=lost_before)
        | Q(state=State.QUEUED, queued_at__isnull=True)
    )
    stale = Dispatch.objects.filter(state=State.SENDING, sending_started_at__lte=stale_before).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lte=lost_before)
    )
    for key, queryset in (("enqueued", due), ("stale", stale)):
        ids = list(queryset.values_list("pk", flat=True)[:1000])
        if ids:
            Dispatch.objects.filter(pk__in=ids).update(queued_at=now)
        for dispatch_id in ids:
            if backend_defers(send_dispatch):
                enqueue_dispatch(dispatch_id)
            else:
                run_dispatch(dispatch_id, now=now)
        counts[key] = len(ids)
    # A backend that cannot wait for run_after (the immediate one) never got the retry: run it here.
    if not backend_defers(send_dispatch):
        for dispatch_id in Dispatch.objects.filter(
            Q(state=State.QUEUED, scheduled_for__lte=now)
            | Q(state=State.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
        ).values_list("pk", flat=True)[:1000]:
            run_dispatch(dispatch_id, now=now)
            counts["enqueued"] += 1
    return counts


def sweep_retractions(now=None):
    """Enqueue every removal that is due (retries, lost tasks, stale RETRACTING rows); return how many."""
    now = now or timezone.now()
    lost_before = now - datetime.timedelta(seconds=RETRACT_STALE_SECONDS)
    # A retry enqueued with run_after is waiting in the queue; only long-due ones are lost.
    retry_due_before = lost_before if backend_defers(retract_dispatch) else now
    due = Dispatch.objects.filter(
        Q(
            retraction__in=[Retraction.PENDING, Retraction.FAILED],
            retract_next_attempt_at__isnull=True,
            updated_at__lte=lost_before,
        )
        | Q(retraction__in=[Retraction.PENDING, Retraction.FAILED], retract_next_attempt_at__lte=retry_due_before)
        | Q(retraction=Retraction.RETRACTING, updated_at__lte=lost_before)
    ).exclude(state=State.SENDING)
    ids = list(due.values_list("pk", flat=True)[:1000])
    for dispatch_id in ids:
        enqueue_retraction(dispatch_id)
    if not backend_defers(retract_dispatch):
        # The immediate backend cannot hold a retry until its time: run due retries here.
        retries = Dispatch.objects.filter(
            retraction__in=[Retraction.PENDING, Retraction.FAILED], retract_next_attempt_at__lte=now
        ).exclude(state=State.SENDING)
        for dispatch_id in retries.values_list("pk", flat=True)[:1000]:
            run_retraction(dispatch_id, now=now)
            ids.append(dispatch_id)
    return len(ids)
