"""Settling an attempt whose outcome is unknown: never send blindly, ask the network or a person.

A row with ``sending_started_at`` set may have reached the network (a worker died mid-call, the
call timed out, the network answered 500, 502 or 504). :func:`reconcile` asks the network
(``find_existing``) where it can, allows a re-send with the same idempotency key where the network
deduplicates keys (Mastodon, measured from ``first_attempt_at``), and otherwise hands the post to a
person ("outcome unknown"). :func:`unknown_and_stopped` settles such a post that must not go out
any more: it is handed to the removal, never "cancelled" while it may be out.
"""

from django.utils.translation import gettext as _

from . import notify
from .attempts import State, log_event
from .claims import mark_sent, write
from .removal import enqueue_retraction
from .removal_reasons import consent_reason, stronger_reason
from .retraction import mark_pending


def reconcile(dispatch, adapter, post, claim_time, first_attempt_at):
    """After an unknown outcome: SENT if the post is there, "absent" if it may be sent, "resend" if
    it may be re-sent with the same key, else FAILED (a person must look).

    Raises the adapter's ``ChannelError`` when the network could not be asked: still unknown.
    """
    if adapter.can_reconcile:
        found = adapter.find_existing(post)
        if found is not None:
            return mark_sent(
                dispatch,
                claim_time,
                found,
                adapter=adapter,
                action="reconcile",
                message=_("Found on the network: not sent again."),
            )
        log_event(dispatch, "reconcile", "absent", _("Not found on the network: it may be sent."))
        return "absent"
    if idempotent_resend_allowed(adapter, claim_time, first_attempt_at):
        # Not "absent": only the re-send tells (run_dispatch checks first that it may still go out).
        return "resend"
    # Neither can be asked nor deduplicates: a person must look.
    message = _(
        "Outcome unknown: the post may or may not have reached the network, which cannot be asked. "
        "Check the channel, then retry or mark as sent."
    )
    if write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=message):
        log_event(dispatch, "reconcile", "unknown", message)
        notify.dispatch_outcome_unknown(dispatch)
        log_event(dispatch, "notify", "sent", _("The editors were told."))
    return State.FAILED


def idempotent_resend_allowed(adapter, claim_time, first_attempt_at):
    """Whether re-sending with the same key is safe: the network dedupes keys for a while.

    The window is measured from the first attempt that may have sent the key, never from a later
    one: a key the network has forgotten no longer protects against a duplicate.
    """
    window = getattr(adapter, "idempotency_window", None)
    if not window:
        return False
    return first_attempt_at is not None and (claim_time - first_attempt_at).total_seconds() < window


def unknown_and_stopped(dispatch, claim_time, stop):
    """A post whose outcome is unknown must not go out any more (withdrawn, unpublished, …).

    It stays FAILED with its outcome unknown (``sending_started_at`` kept), never "cancelled"
    while it may be out. When it must come off (being removed, the story gone or unpublished, no
    consent covering it) the removal takes it, which asks the network where it can and else asks
    a person; otherwise the editors are told to check the channel.
    """
    state, message = stop
    note = _("Not sent again: %(reason)s The earlier attempt may have reached the network.") % {"reason": message}
    if not write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=note[:2000]):
        return "taken-over"
    dispatch.state = State.FAILED
    log_event(dispatch, "reconcile", "unknown", note)
    page = dispatch.page
    must_come_off = dispatch.retraction or page is None or not page.live or state == State.BLOCKED
    if not must_come_off:
        notify.dispatch_outcome_unknown(dispatch)
        log_event(dispatch, "notify", "sent", _("The editors were told."))
        return State.FAILED
    if not dispatch.retraction:
        reason = "deleted" if page is None else "unpublished"
        mark_pending(dispatch, stronger_reason(reason, consent_reason(dispatch)))
    enqueue_retraction(dispatch.pk)
    return State.FAILED
