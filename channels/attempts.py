"""What publishing and removing a post share: settings, the dispatch log, row locks, back-off, queueing.

A dispatch is sent (``channels.dispatch``) and later perhaps removed (``channels.removal``); both
work one row at a time under a row lock, write every step to the dispatch log, retry transient
errors with the same back-off, say when the next attempt is in the same words, and enqueue their
task only once the transaction commits. Those pieces live here, below both engines, so neither
reaches into the other.
"""

import contextlib
import logging
import random

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Dispatch, DispatchEvent

logger = logging.getLogger(__name__)

State = Dispatch.State

# Rows in these states have never reached a network and may be replaced or cancelled.
UNSENT_STATES = (State.PLANNED, State.QUEUED, State.BLOCKED, State.FAILED)

DEFAULTS = {
    "DISPATCH_MISSED_AFTER_HOURS": 48,
    "DISPATCH_MAX_ATTEMPTS": 8,
    "DISPATCH_RETRY_BASE_SECONDS": 60,
    "DISPATCH_RETRY_CAP_SECONDS": 3600,
    # A SENDING row older than this belongs to a worker that died: reconcile it.
    "DISPATCH_STALE_SENDING_SECONDS": 300,
    # A due row whose task has not run for this long is enqueued again by the sweep.
    "DISPATCH_LOST_TASK_SECONDS": 300,
    # Retry-After values above this are treated as this (a day).
    "DISPATCH_MAX_RETRY_AFTER_SECONDS": 86400,
}


def setting(name):
    return settings.VERTEL.get(name, DEFAULTS[name])


class ActionRefused(Exception):
    """An editor's action on a dispatch cannot be done; ``message`` says why, for the admin."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


# -- the log ----------------------------------------------------------------------------------


def log_event(dispatch, action, outcome, message="", *, status_code=None, actor=None):
    return DispatchEvent.objects.create(
        dispatch_id=dispatch.pk if isinstance(dispatch, Dispatch) else dispatch,
        action=action,
        outcome=outcome,
        message=str(message)[:5000],
        status_code=status_code if status_code and 0 < status_code < 1000 else None,
        actor=actor if getattr(actor, "pk", None) else None,
    )


# -- locking ----------------------------------------------------------------------------------


def locked(queryset):
    """``queryset`` locked for update, skipping rows another worker holds (where the database can).

    On SQLite every transaction starts ``BEGIN IMMEDIATE`` (see ``website/settings/base.py``),
    which serialises writers instead.
    """
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


# -- back-off ---------------------------------------------------------------------------------


def backoff_seconds(attempt, retry_after=None):
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped, with jitter.

    Half the delay is fixed and half random, so retries of many posts after an outage spread out.
    A network's Retry-After is honoured (up to a day).
    """
    base = setting("DISPATCH_RETRY_BASE_SECONDS")
    cap = setting("DISPATCH_RETRY_CAP_SECONDS")
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        with contextlib.suppress(TypeError, ValueError):
            delay = max(delay, min(float(retry_after), setting("DISPATCH_MAX_RETRY_AFTER_SECONDS")))
    return delay


def error_retry_after(error):
    return getattr(error, "retry_after", None)


def next_attempt_message(reason, next_at):
    """``reason`` and when the next attempt is, in the organisation's time zone (stored in UTC)."""
    local = timezone.localtime(next_at)
    return _("%(reason)s Next attempt at %(when)s.") % {"reason": reason, "when": f"{local:%Y-%m-%d %H:%M %Z}"}


# -- queueing ---------------------------------------------------------------------------------


def enqueue_on_commit(task, dispatch_id, run_after=None):
    """Enqueue ``task`` for a dispatch when the transaction commits.

    At ``run_after`` if the queue can wait; a backend that cannot defer (the immediate one of the
    tests) gets nothing for a future time, and the periodic sweep enqueues the work once it is due.
    An enqueue that fails is logged and left to the sweep: it never breaks the caller.
    """

    def _enqueue():
        queued = task
        if run_after is not None and run_after > timezone.now():
            if not queued.get_backend().supports_defer:
                return
            queued = queued.using(run_after=run_after)
        try:
            queued.enqueue(dispatch_id)
        except Exception:  # noqa: BLE001 - the periodic sweep enqueues it again
            logger.exception("%s of dispatch %s not enqueued; the periodic sweep will.", task.name, dispatch_id)

    transaction.on_commit(_enqueue)


def backend_defers(task):
    """Whether the queue of ``task`` can hold a task until its ``run_after`` (the immediate one cannot)."""
    return task.get_backend().supports_defer


# -- what a network answered ------------------------------------------------------------------


def safe_url(url):
    """``url`` when it is an http(s) address, else "" (a network's answer is not trusted blindly:
    a ``javascript:`` address would run in the admin when an editor clicks it)."""
    url = str(url or "").strip()
    return url[:1000] if url.lower().startswith(("https://", "http://")) and " " not in url else ""


def identity_of(adapter):
    """Where the adapter's account posts (``Adapter.identity``), or {} when it cannot say."""
    if adapter is None:
        return {}
    try:
        return dict(adapter.identity())
    except Exception:  # noqa: BLE001 - a record for later removal must not fail a sent post
        logger.exception("Could not read the network identity of account %s.", getattr(adapter.account, "pk", None))
        return {}
