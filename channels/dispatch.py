"""Dispatch: a published story goes out once to each planned channel, within its consent.

The life of a :class:`~channels.models.Dispatch`::

    (publish) ──▶ QUEUED ──(due, consent still holds)──▶ SENDING ──▶ SENT
                    │                                      │
                    │                                      ├─▶ FAILED, next attempt set (transient; back-off)
                    │                                      └─▶ FAILED, no next attempt (permanent, refused
                    │                                          token, or outcome unknown: a person decides)
                    ├─▶ BLOCKED   (no valid consent for this channel and content version)
                    ├─▶ MISSED    (more than DISPATCH_MISSED_AFTER_HOURS overdue: never sent late)
                    └─▶ CANCELLED (unpublished, withdrawn, plan switched off, superseded)

"At most once per story, channel and content version" rests on four things:

1. The unique constraint on (page, account, content_hash): one row per version and channel.
2. The idempotency key, stored with the row before any network call, sent with every attempt.
3. Claiming under a row lock: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every
   transaction starts ``BEGIN IMMEDIATE`` (see ``website/settings/base.py``), which serialises
   writers. The claim (state SENDING, ``sending_started_at``) is committed *before* the call.
4. ``sending_started_at`` is set exactly while a publish call may have reached the network. A row
   that has it set (a worker died mid-call, the call timed out, or the network answered 500, 502
   or 504 to it) is never blindly sent again: it is reconciled by asking the network
   (``find_existing``), or re-sent with the same key where the network honours idempotency keys
   (Mastodon, measured from ``first_attempt_at``), or handed to a person ("outcome unknown").

What goes out is built right before the call from the live story and its plan, with the same
functions the plan panel validates with (``channels.plan.build_post``), and only when the live
content still has the hash the consent covers; media only when the consent allows photos.

This module runs one attempt (:func:`run_dispatch`, the task ``send_dispatch``) and the editors'
actions on a dispatch. Its parts live beside it: planning on publish (``channels.planning``), the
checks and the post (``channels.dispatch_checks``), the claim and what is written under it
(``channels.claims``), reconciling unknown outcomes (``channels.reconcile``), the periodic sweep
(``channels.sweeps``), and what sending shares with removal (``channels.attempts``).
"""

import dataclasses
import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from . import dispatch_checks, notify
from .adapters.base import AuthError, ChannelError, OutcomeUnknown, PermanentError, TransientError
from .attempts import (
    ActionRefused,
    State,
    backoff_seconds,
    enqueue_on_commit,
    error_retry_after,
    log_event,
    next_attempt_message,
    safe_url,
    setting,
)
from .claims import claim, mark_sent, record_post, write
from .dispatch_checks import build_post, stop_reason
from .models import ChannelAccount, Dispatch
from .reconcile import reconcile, unknown_and_stopped
from .removal import enqueue_retraction

logger = logging.getLogger(__name__)

# moved to channels.dispatch_checks; kept for callers outside channels' engine (tests/consent/test_policy.py)
consent_problem = dispatch_checks.consent_problem


@task()
def send_dispatch(dispatch_id):
    """Send one story's post to one channel (see :func:`run_dispatch`)."""
    return run_dispatch(dispatch_id)


def enqueue_dispatch(dispatch_id, run_after=None):
    """Enqueue ``send_dispatch`` when the transaction commits (see ``enqueue_on_commit``)."""
    enqueue_on_commit(send_dispatch, dispatch_id, run_after)


def run_dispatch(dispatch_id, *, now=None):
    """Send one dispatch if it is due, exactly once; return the outcome (for logs and tests).

    Runs in the worker (``send_dispatch``) and from the periodic sweep.
    """
    now = now or timezone.now()
    dispatch, outcome, uncertain, first_attempt_at = claim(dispatch_id, now)
    if dispatch is None:
        return outcome
    claim_time = dispatch.sending_started_at
    reconciled = None
    try:
        adapter = dispatch.account.adapter()
        post = build_post(dispatch)
    except Exception as error:  # noqa: BLE001 - unreadable credentials, missing image file
        logger.exception("Dispatch %s could not be prepared.", dispatch.pk)
        return _fail(dispatch, claim_time, PermanentError(str(error)), uncertain=uncertain, attempts=dispatch.attempts)

    if uncertain:
        # An earlier call may have reached the network. Never send blindly: ask, or use the key.
        # Look for what that call sent (recorded before it), even if the story changed since.
        sent_before = dataclasses.replace(post, text=dispatch.text or post.text, link=dispatch.link or post.link)
        try:
            reconciled = reconcile(dispatch, adapter, sent_before, claim_time, first_attempt_at)
        except ChannelError as error:
            # Still unknown: keep the uncertainty and ask again later.
            return _fail(dispatch, claim_time, error, uncertain=True, attempts=dispatch.attempts)
        if reconciled not in ("absent", "resend"):
            return reconciled
        # Confirmed absent (or safe to re-send with the same key): the usual checks apply again.
        with transaction.atomic():
            fresh = Dispatch.objects.select_related("account", "page").get(pk=dispatch.pk)
            stop = stop_reason(fresh) if fresh.state == State.SENDING else None
            missed = fresh.scheduled_for < now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
            if (stop is not None or missed) and reconciled == "resend":
                # Still unknown (only a re-send could tell, and this must not go out any more):
                # never "cancelled"; the removal looks for it or asks a person.
                return unknown_and_stopped(
                    fresh, claim_time, stop or (State.MISSED, _("More than the allowed time overdue."))
                )
            if stop is not None or missed:
                state, message = stop or (State.MISSED, _("More than the allowed time overdue: not sent late."))
                fields = {"state": state, "last_error": message, "sending_started_at": None}
                if fresh.retraction:
                    # The network says it is not there: nothing to remove, no removal left waiting.
                    fields.update(retraction=Dispatch.Retraction.NONE, retract_next_attempt_at=None)
                if write(dispatch, claim_time, **fields):
                    log_event(dispatch, "check", state, message)
                    if fresh.retraction:
                        log_event(dispatch, "retract", "nothing", _("The post never went out: nothing to remove."))
                return state

    if uncertain and reconciled == "resend":
        log_event(
            dispatch,
            "reconcile",
            "resend",
            _("Sent again with the same idempotency key; the network returns the earlier post if there is one."),
        )
    problems = adapter.validate(post)
    if problems:
        return _fail(
            dispatch, claim_time, PermanentError(" ".join(str(p) for p in problems)), uncertain=False, attempts=1
        )
    record_post(dispatch, claim_time, post)
    try:
        result = adapter.publish(post)
    except OutcomeUnknown as error:
        return _fail(dispatch, claim_time, error, uncertain=True, attempts=dispatch.attempts)
    except ChannelError as error:
        return _fail(dispatch, claim_time, error, uncertain=False, attempts=dispatch.attempts)
    except Exception as error:  # noqa: BLE001 - an unexpected error may come after the request went out
        logger.exception("Dispatch %s: unexpected error while publishing.", dispatch.pk)
        return _fail(dispatch, claim_time, OutcomeUnknown(str(error)), uncertain=True, attempts=dispatch.attempts)
    return mark_sent(dispatch, claim_time, result, adapter=adapter)


def _fail(dispatch, claim_time, error, *, uncertain, attempts):
    """Record a failed attempt: retry later with back-off, or stop and tell the editors.

    When the story was withdrawn while this attempt was on its way, nothing is retried: a post
    that surely did not go out is cancelled quietly, one that may have gone out is handed to the
    removal (which looks for it, or asks a person).
    """
    reason = getattr(error, "message", None) or str(error) or error.__class__.__name__
    status = getattr(error, "status", None)
    if Dispatch.objects.filter(pk=dispatch.pk, retraction=Dispatch.Retraction.PENDING).exists():
        return _fail_while_removing(dispatch, claim_time, reason, status, uncertain=uncertain)
    transient = isinstance(error, TransientError) or not isinstance(error, ChannelError)
    if transient and attempts < setting("DISPATCH_MAX_ATTEMPTS"):
        next_at = timezone.now() + datetime.timedelta(seconds=backoff_seconds(attempts, error_retry_after(error)))
        fields = {"state": State.FAILED, "last_error": reason[:2000], "next_attempt_at": next_at}
        if not uncertain:
            fields["sending_started_at"] = None
        if write(dispatch, claim_time, **fields):
            log_event(
                dispatch,
                "publish",
                "retry",
                next_attempt_message(reason, next_at),
                status_code=status,
            )
            enqueue_dispatch(dispatch.pk, run_after=next_at)
        return State.FAILED
    if transient:
        reason = _("Gave up after %(attempts)s attempts. Last error: %(reason)s") % {
            "attempts": attempts,
            "reason": reason,
        }
    fields = {"state": State.FAILED, "last_error": reason[:2000], "next_attempt_at": None}
    if not uncertain:
        fields["sending_started_at"] = None
    if not write(dispatch, claim_time, **fields):
        return "taken-over"
    log_event(dispatch, "publish", "failed", reason, status_code=status)
    if isinstance(error, AuthError):
        ChannelAccount.objects.filter(pk=dispatch.account_id).update(
            status=ChannelAccount.Status.ERROR, status_message=reason[:500], updated_at=timezone.now()
        )
        notify.account_refused(dispatch, reason)
    elif uncertain:
        notify.dispatch_outcome_unknown(dispatch)
    else:
        notify.dispatch_failed(dispatch, reason)
    log_event(dispatch, "notify", "sent", _("The editors were told."))
    return State.FAILED


def _fail_while_removing(dispatch, claim_time, reason, status, *, uncertain):
    if uncertain:
        if write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=reason[:2000]):
            log_event(dispatch, "publish", "failed", reason, status_code=status)
            # The removal looks for the post where the network can be asked, else asks a person.
            enqueue_retraction(dispatch.pk)
        return State.FAILED
    message = _("Not sent: the story is being removed from this channel. (%(reason)s)") % {"reason": reason}
    if not write(
        dispatch,
        claim_time,
        state=State.CANCELLED,
        next_attempt_at=None,
        sending_started_at=None,
        last_error=message[:2000],
        retraction=Dispatch.Retraction.NONE,
        retraction_reason="",
    ):
        return "taken-over"
    log_event(dispatch, "cancel", "cancelled", message, status_code=status)
    return State.CANCELLED


# -- editors' actions -------------------------------------------------------------------------


def retry(dispatch, user):
    """Send a failed, missed or blocked dispatch again (the admin's Retry button); return it.

    Attempts start from zero. A blocked dispatch goes only if a consent now covers it; a failed one
    whose outcome was unknown is taken as "not there" (the editor checked the channel).
    Raises :class:`ActionRefused` with a sentence for the editor otherwise.
    """
    now = timezone.now()
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update(of=("self",)).select_related("account", "page").get(pk=dispatch.pk)
        )
        if dispatch.state not in (State.FAILED, State.MISSED, State.BLOCKED):
            raise ActionRefused(_("Only failed, missed or blocked posts can be retried."))
        if dispatch.retraction:
            raise ActionRefused(_("This post is being removed from the channel; it cannot be sent again."))
        dispatch.sending_started_at = None
        stop = stop_reason(dispatch)
        if stop is not None:
            raise ActionRefused(stop[1])
        dispatch.state = State.QUEUED
        dispatch.attempts = 0
        dispatch.next_attempt_at = None
        dispatch.last_error = ""
        dispatch.scheduled_for = now
        dispatch.queued_at = now
        dispatch.save()
        log_event(dispatch, "retry", "queued", _("Queued again by an editor."), actor=user)
        enqueue_dispatch(dispatch.pk)
    return dispatch


def mark_sent_manually(dispatch, user, remote_url):
    """Record that the post is on the network (an editor checked after an unknown outcome, or posted
    it by hand); its address is kept so it can be removed later."""
    now = timezone.now()
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        if dispatch.state not in (State.FAILED, State.MISSED, State.QUEUED):
            raise ActionRefused(_("Only a failed, missed or queued post can be marked as sent."))
        dispatch.state = State.SENT
        dispatch.sent_at = now
        dispatch.remote_url = safe_url(remote_url)
        dispatch.next_attempt_at = None
        dispatch.last_error = ""
        dispatch.save()
        log_event(dispatch, "manual", "sent", remote_url, actor=user)
    return dispatch
