"""One attempt's claim on a dispatch: taking a due row, and writing under that claim what happened.

:func:`claim` locks a due row and moves it to SENDING with ``sending_started_at`` set, committed
*before* any network call (a row that has it set may have reached the network and is never sent
blindly again). Everything the attempt then records goes through :func:`write`, guarded by that
claim: a worker whose row was taken over meanwhile (it was stale, the sweep gave it to another)
writes nothing. :func:`record_post` keeps what is sent before the call, :func:`mark_sent` what the
network answered.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .attempts import State, identity_of, locked, log_event, safe_url, setting
from .dispatch_checks import stop_reason
from .models import Dispatch
from .removal import enqueue_retraction

logger = logging.getLogger(__name__)


def is_due(dispatch, now):
    if dispatch.state == State.QUEUED:
        return dispatch.scheduled_for <= now
    if dispatch.state == State.FAILED:
        return dispatch.next_attempt_at is not None and dispatch.next_attempt_at <= now
    if dispatch.state == State.SENDING:
        stale = datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
        return dispatch.sending_started_at is None or dispatch.sending_started_at <= now - stale
    return False


def claim(dispatch_id, now):
    """Lock the row and move it to SENDING, committed; return (dispatch, outcome, uncertain, first_attempt_at)."""
    with transaction.atomic():
        dispatch = locked(Dispatch.objects.filter(pk=dispatch_id)).select_related("account", "page", "image").first()
        if dispatch is None:
            return None, "locked-or-gone", False, None
        if not is_due(dispatch, now):
            return None, f"not-due:{dispatch.state}", False, None
        uncertain = dispatch.sending_started_at is not None
        missed_before = now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
        if not uncertain:
            if dispatch.scheduled_for < missed_before:
                dispatch.state = State.MISSED
                dispatch.next_attempt_at = None
                dispatch.last_error = _("More than %(hours)s hours overdue: not sent late.") % {
                    "hours": setting("DISPATCH_MISSED_AFTER_HOURS")
                }
                dispatch.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
                log_event(dispatch, "publish", "missed", dispatch.last_error)
                return None, State.MISSED, False, None
            stop = stop_reason(dispatch)
            if stop is not None:
                # Nothing went out: say why and stop, without any network call.
                dispatch.state, dispatch.last_error = stop
                dispatch.next_attempt_at = None
                dispatch.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
                log_event(dispatch, "check", "blocked" if stop[0] == State.BLOCKED else "cancelled", stop[1])
                return None, stop[0], False, None
        dispatch.state = State.SENDING
        dispatch.sending_started_at = now
        if dispatch.first_attempt_at is None:
            dispatch.first_attempt_at = now
        dispatch.attempts += 1
        dispatch.save(update_fields=["state", "sending_started_at", "first_attempt_at", "attempts", "updated_at"])
        log_event(dispatch, "reconcile" if uncertain else "publish", "sending", "")
    return dispatch, "claimed", uncertain, dispatch.first_attempt_at


def write(dispatch, claim_time, **fields):
    """Record the outcome of our claim; False if another worker took the row over meanwhile."""
    fields.setdefault("updated_at", timezone.now())
    updated = Dispatch.objects.filter(pk=dispatch.pk, state=State.SENDING, sending_started_at=claim_time).update(
        **fields
    )
    if not updated:
        logger.warning("Dispatch %s was taken over by another worker; its outcome is theirs to record.", dispatch.pk)
    return bool(updated)


def record_post(dispatch, claim_time, post):
    """Keep what is sent on the row before the call: the log shows it, and reconciliation and
    removal look for exactly that text."""
    image_alt = post.media[0].alt if post.media else ""
    Dispatch.objects.filter(pk=dispatch.pk, state=State.SENDING, sending_started_at=claim_time).update(
        text=post.text, link=post.link[:1000], image_alt=image_alt[:1000]
    )
    dispatch.text, dispatch.link, dispatch.image_alt = post.text, post.link[:1000], image_alt[:1000]


def mark_sent(dispatch, claim_time, result, *, adapter=None, action="publish", message=""):
    """The post is on the network (``result`` says where); a removal asked for meanwhile starts at once."""
    now = timezone.now()
    remote_url = safe_url(result.remote_url)
    if not write(
        dispatch,
        claim_time,
        state=State.SENT,
        sent_at=now,
        remote_id=(result.remote_id or "")[:500],
        remote_url=remote_url,
        network_identity=identity_of(adapter),
        next_attempt_at=None,
        last_error="",
    ):
        return "taken-over"
    log_event(dispatch, action, "sent", message or remote_url or result.remote_id)
    if Dispatch.objects.filter(pk=dispatch.pk, retraction=Dispatch.Retraction.PENDING).exists():
        # The story was withdrawn while the post was on its way: take it off again at once.
        enqueue_retraction(dispatch.pk)
    return State.SENT
