"""Sending one approved reply, at most once, with the rules of dispatch (``channels.dispatch``).

The life of a :class:`~conversations.models.Reply`::

    submit ──▶ AWAITING_APPROVAL ──(a second person approves)──▶ APPROVED ──(claim)──▶ SENDING ──▶ SENT
                      │                                             ▲                    │
                      └─▶ REJECTED / CANCELLED                      │                    ├─▶ FAILED, next attempt set
                                                                    │                    │   (transient; back-off)
                                                   (retry) ─────────┘                    └─▶ FAILED for good (the
                                                                                             network refused; its
                                                                                             message is shown)

"At most once" rests on the same four things as a dispatch:

1. The idempotency key is stored with the reply when it is written, before any network call, and
   sent with every attempt where the network honours one (Mastodon's ``Idempotency-Key``).
2. A worker claims the reply under a row lock (``channels.attempts.locked``: ``SELECT … FOR UPDATE
   SKIP LOCKED`` on PostgreSQL; SQLite serialises writers), moving APPROVED (or a FAILED one whose
   next attempt is due) to SENDING with ``sending_started_at`` set, committed *before* the call.
   A second worker finds it SENDING and leaves it.
3. Everything the attempt writes afterwards is guarded by that claim (state SENDING and the same
   ``sending_started_at``): a worker whose claim was taken over writes nothing.
4. ``sending_started_at`` stays set while the call may have reached the network (a read timeout,
   a 500/502/504 to the create, a worker that died). The next attempt then first looks for our
   reply in the thread (``Responder.find_reply``): found, it is recorded as sent; not found, it is
   sent (with the same key). It is never sent blindly. Where the network gives no way to look a
   private reply up (Facebook's and Instagram's Send API), an unknown outcome goes to a person at
   once: FAILED with a sentence asking them to check the conversation on the network, nothing
   retried by itself; their "Send again" (or "Cancel") is the decision.

Sent, the reply becomes an outgoing :class:`~conversations.models.Message` in the thread (sent by
its writer, with the network's id and address), the conversation is ANSWERED and its
``first_reply_at`` set on the first answer, and an :class:`ActivityEntry` records who (no text).
Nothing here logs a reply's or a message's text.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.adapters.base import AuthError, ChannelError, OutcomeUnknown, PermanentError, TransientError
from channels.attempts import backoff_seconds, error_retry_after, locked, next_attempt_message, safe_url, setting
from channels.models import ChannelAccount

from ..models import ActivityEntry, Conversation, Message, Reply

logger = logging.getLogger(__name__)

State = Reply.State


def is_due(reply, now):
    if reply.state == State.APPROVED:
        return reply.next_attempt_at is None or reply.next_attempt_at <= now
    if reply.state == State.FAILED:
        return reply.next_attempt_at is not None and reply.next_attempt_at <= now
    if reply.state == State.SENDING:
        stale = datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
        return reply.sending_started_at is None or reply.sending_started_at <= now - stale
    return False


def claim(reply_id, now):
    """Lock the reply and move it to SENDING, committed; return (reply, outcome, uncertain)."""
    with transaction.atomic():
        reply = (
            locked(Reply.objects.filter(pk=reply_id))
            .select_related("conversation__account", "in_reply_to__conversation", "created_by")
            .first()
        )
        if reply is None:
            return None, "locked-or-gone", False
        if not is_due(reply, now):
            return None, f"not-due:{reply.state}", False
        uncertain = reply.sending_started_at is not None
        reply.state = State.SENDING
        reply.sending_started_at = now
        if reply.first_attempt_at is None:
            reply.first_attempt_at = now
        reply.attempts += 1
        reply.save(update_fields=["state", "sending_started_at", "first_attempt_at", "attempts"])
    return reply, "claimed", uncertain


def write(reply, claim_time, **fields):
    """Record the outcome under our claim; False if another worker took the reply over meanwhile."""
    updated = Reply.objects.filter(pk=reply.pk, state=State.SENDING, sending_started_at=claim_time).update(**fields)
    if not updated:
        logger.warning("Reply %s was taken over by another worker; its outcome is theirs to record.", reply.pk)
    return bool(updated)


def run_reply(reply_id, *, now=None, responder=None):
    """Send one reply if it is due, at most once; return the outcome (for logs and tests)."""
    now = now or timezone.now()
    reply, outcome, uncertain = claim(reply_id, now)
    if reply is None:
        return outcome
    claim_time = reply.sending_started_at
    message = reply.in_reply_to
    private = reply.visibility == Message.Visibility.DIRECT
    try:
        if responder is None:
            from ..respond import responder_for

            responder = responder_for(reply.conversation.account)
        text = responder.compose(message, reply.text, private=private)
    except Exception as error:  # noqa: BLE001 - unreadable credentials, no responder for the network
        logger.exception("Reply %s could not be prepared.", reply.pk)
        return fail(reply, claim_time, PermanentError(str(error)), uncertain=uncertain)

    if uncertain:
        # An earlier attempt may have reached the network: look for it before anything is sent.
        if not responder.can_find_reply(message, private=private):
            return ask_a_person(reply, claim_time, responder)
        try:
            found = responder.find_reply(message, text, private=private)
        except ChannelError as error:
            return fail(reply, claim_time, error, uncertain=True)
        if found is not None:
            return mark_sent(reply, claim_time, found, reconciled=True)
    try:
        sent = responder.reply(message, text, key=reply.idempotency_key, private=private)
    except OutcomeUnknown as error:
        if not responder.can_find_reply(message, private=private):
            return ask_a_person(reply, claim_time, responder)
        return fail(reply, claim_time, error, uncertain=True)
    except ChannelError as error:
        return fail(reply, claim_time, error, uncertain=False)
    except Exception as error:  # noqa: BLE001 - an unexpected error may come after the request went out
        logger.exception("Reply %s: unexpected error while sending.", reply.pk)
        if not responder.can_find_reply(message, private=private):
            return ask_a_person(reply, claim_time, responder)
        return fail(reply, claim_time, OutcomeUnknown(str(error)), uncertain=True)
    return mark_sent(reply, claim_time, sent)


def ask_a_person(reply, claim_time, responder):
    """The reply may be out, and the network cannot be asked: a person checks, nothing is resent by itself.

    FAILED for good, with a sentence saying what to check; ``sending_started_at`` is cleared, so
    the person's decision counts: "Send again" sends it (they saw it is not there), "Cancel the
    reply" drops it (it arrived).
    """
    message = _(
        "Outcome unknown: the private message may or may not have reached %(network)s, which gives no way to "
        "look it up. Check the conversation on %(network)s: if the message is not there, send it again; if it "
        "is, cancel this reply."
    ) % {"network": responder.label}
    if not write(
        reply, claim_time, state=State.FAILED, next_attempt_at=None, sending_started_at=None, last_error=message
    ):
        return "taken-over"
    ActivityEntry.objects.create(
        conversation_id=reply.conversation_id,
        actor=None,
        action="reply_failed",
        data={"reply": reply.pk, "uncertain": True, "asked_a_person": True},
    )
    return State.FAILED


def mark_sent(reply, claim_time, sent, *, reconciled=False):
    """The reply is on the network: record it, put it in the thread, answer the conversation."""
    now = timezone.now()
    with transaction.atomic():
        if not write(
            reply,
            claim_time,
            state=State.SENT,
            sent_at=now,
            remote_id=(sent.remote_id or "")[:500],
            remote_url=safe_url(sent.remote_url),
            next_attempt_at=None,
            last_error="",
        ):
            return "taken-over"
        conversation = Conversation.objects.select_for_update().get(pk=reply.conversation_id)
        message = _thread_message(reply, conversation, sent, now)
        fields = ["updated_at"]
        if conversation.first_reply_at is None:
            conversation.first_reply_at = now
            fields.append("first_reply_at")
        if conversation.status != Conversation.Status.CLOSED:
            conversation.status = Conversation.Status.ANSWERED
            fields.append("status")
        conversation.save(update_fields=fields)
        ActivityEntry.objects.create(
            conversation=conversation,
            actor=reply.created_by,
            action="reply_sent",
            data={"reply": reply.pk, "message": message.pk, "reconciled": reconciled},
        )
    return State.SENT


def _thread_message(reply, conversation, sent, now):
    """Our reply as an outgoing message of the thread (the reader may have stored it already)."""
    external_id = (sent.remote_id or f"reply:{reply.pk}")[:500]
    fields = {
        "conversation": conversation,
        "direction": Message.Direction.OUT,
        "visibility": reply.visibility,
        "external_ref": sent.ref or {},
        "parent_external_id": reply.in_reply_to.external_id,
        "text": reply.text,
        "permalink": safe_url(sent.remote_url),
        "language": reply.in_reply_to.language,
        "created_at": now,
        "received_at": now,
        "sent_by": reply.created_by,
    }
    try:
        with transaction.atomic():
            return Message.objects.create(account_id=conversation.account_id, external_id=external_id, **fields)
    except IntegrityError:
        message = Message.objects.get(account_id=conversation.account_id, external_id=external_id)
        message.direction = Message.Direction.OUT
        message.sent_by = reply.created_by
        message.save(update_fields=["direction", "sent_by"])
        return message


def fail(reply, claim_time, error, *, uncertain):
    """Record a failed attempt: retry later with back-off, or stop with the network's message."""
    reason = getattr(error, "message", None) or str(error) or error.__class__.__name__
    transient = isinstance(error, TransientError) or not isinstance(error, ChannelError)
    fields = {"state": State.FAILED, "last_error": reason[:2000]}
    if not uncertain:
        fields["sending_started_at"] = None
    if transient and reply.attempts < setting("DISPATCH_MAX_ATTEMPTS"):
        next_at = timezone.now() + datetime.timedelta(
            seconds=backoff_seconds(reply.attempts, error_retry_after(error))
        )
        fields.update(next_attempt_at=next_at, last_error=next_attempt_message(reason, next_at)[:2000])
        if write(reply, claim_time, **fields):
            from .tasks import enqueue_reply

            enqueue_reply(reply.pk, run_after=next_at)
        return State.FAILED
    if transient:
        fields["last_error"] = (
            _("Gave up after %(attempts)s attempts. Last error: %(reason)s")
            % {"attempts": reply.attempts, "reason": reason}
        )[:2000]
    fields["next_attempt_at"] = None
    if not write(reply, claim_time, **fields):
        return "taken-over"
    if isinstance(error, AuthError):
        ChannelAccount.objects.filter(pk=reply.conversation.account_id).update(
            status=ChannelAccount.Status.ERROR, status_message=reason[:500], updated_at=timezone.now()
        )
    ActivityEntry.objects.create(
        conversation_id=reply.conversation_id,
        actor=None,
        action="reply_failed",
        data={"reply": reply.pk, "uncertain": uncertain},
    )
    return State.FAILED
