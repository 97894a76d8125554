"""Writing and approving a reply: every rule a reply obeys before it may go out.

``submit_reply`` checks, in this order, and refuses with a sentence (nothing is stored; the
form keeps the text):

1. the user may read the account (``conversations.access.can_read``) and has
   ``conversations.reply_conversation``;
2. the message answered belongs to the conversation and is someone else's;
3. the text fits the network (its own count and limit);
4. under an unsafe conversation (``medical_question``, ``health_disclosure`` or ``crisis``) a
   public reply may only be a neutral saved reply, word for word; a private reply (a direct
   message, where the network allows one now: ``Responder.private_refusal`` names a setting, a
   time window or the one private reply per comment that stops it) may say more;
5. the health-data guard's outgoing check (``conversations.guard.check_reply``): a block refuses
   with the guard's reasons, warnings must be confirmed by the sender and are kept on the reply.

A reply to a flagged conversation waits for a second person with ``conversations.approve_reply``
(never its writer); any other reply is approved at once and queued. Sending is
``conversations.replies.sending``.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import guard
from ..access import can_read
from ..guard import reasons
from ..models import UNSAFE_LABELS, ActivityEntry, Message, Reply

State = Reply.State


class ReplyRefused(Exception):
    """The reply cannot be made as it is; ``messages`` say why, in words for the sender."""

    def __init__(self, messages):
        self.messages = [str(m) for m in ([messages] if isinstance(messages, str) else messages)]
        super().__init__(" ".join(self.messages))

    @property
    def message(self):
        return " ".join(self.messages)


class ReplyBlocked(ReplyRefused):
    """The guard (or the unsafe-flag rule) refuses this text."""


class ReplyNeedsConfirmation(ReplyRefused):
    """The guard warns about this text; the sender must confirm before it is made."""

    def __init__(self, warnings):
        super().__init__(warnings)
        self.warnings = self.messages


def unsafe(conversation, message=None):
    """Whether the conversation (or the message) carries a label that makes a public answer unsafe."""
    labels = set(conversation.labels or ()) | set((message.labels if message is not None else None) or ())
    return bool(UNSAFE_LABELS.intersection(labels))


def goes_privately(conversation, message, private):
    """Whether this reply is a direct message (asked for, or the conversation is one)."""
    return bool(
        private or conversation.kind == conversation.Kind.DIRECT or message.visibility == Message.Visibility.DIRECT
    )


def may_reply(user, conversation):
    return can_read(user, conversation.account) and user.has_perm("conversations.reply_conversation")


def may_approve(user, reply):
    return (
        can_read(user, reply.conversation.account)
        and user.has_perm("conversations.approve_reply")
        and reply.created_by_id != user.pk
    )


def guard_check(text, conversation):
    """The guard's (blocks, warnings) for our text, as lazy texts (shown translated, stored in English)."""
    result = guard.check_reply(text, conversation=conversation)
    return list(result.blocks or ()), list(result.warnings or ())


def responder_of(conversation):
    from ..respond import responder_class

    cls = responder_class(conversation.account.kind)
    if cls is None:
        raise ReplyRefused(_("Replying from the inbox is not possible on this channel."))
    return cls(conversation.account)


def check_reply_text(conversation, in_reply_to, text, *, saved_reply=None, private=False, responder=None):
    """The text that would be sent, or raise :class:`ReplyRefused` (blocks) — warnings are returned.

    Returns ``(text, warnings, visibility)``.
    """
    text = (text or "").strip()
    if saved_reply is not None and not text:
        text = saved_reply.text.strip()
    if not text:
        raise ReplyRefused(_("Write a reply or choose a saved reply."))
    if in_reply_to.conversation_id != conversation.pk or in_reply_to.direction != Message.Direction.IN:
        raise ReplyRefused(_("Choose a message of this conversation to answer."))
    if in_reply_to.deleted:
        raise ReplyRefused(_("This message was deleted on the network; it cannot be answered."))
    responder = responder or responder_of(conversation)
    is_private = goes_privately(conversation, in_reply_to, private)
    if is_private:
        # The network's own limits: whether it can at all, a setting, a time window, once per comment.
        refusal = responder.private_refusal(in_reply_to)
        if refusal:
            raise ReplyRefused(refusal)
    sent_text = responder.compose(in_reply_to, text, private=is_private)
    length, limit = responder.count(sent_text), responder.reply_limit(private=is_private)
    if length > limit:
        raise ReplyRefused(
            _("The reply is %(length)s %(unit)s long; %(network)s allows %(max)s.")
            % {"length": length, "unit": responder.adapter.limits.unit_label, "network": responder.label, "max": limit}
        )
    if unsafe(conversation, in_reply_to) and not is_private:
        if saved_reply is None or not saved_reply.neutral:
            raise ReplyBlocked(
                _(
                    "This conversation is about someone's health: in public, answer only with a neutral saved reply "
                    "(one that repeats no health details and moves the conversation to a private channel), or answer "
                    "privately."
                )
            )
        if " ".join(text.split()) != " ".join(saved_reply.text.split()):
            raise ReplyBlocked(
                _(
                    "This conversation is about someone's health: a public reply must be the neutral saved reply "
                    "“%(title)s” word for word. Answer privately to say more."
                )
                % {"title": saved_reply.title}
            )
    blocks, warnings = guard_check(text, conversation)
    if blocks:
        raise ReplyBlocked([str(block) for block in blocks])
    return text, warnings, Message.Visibility.DIRECT if is_private else Message.Visibility.PUBLIC


def submit_reply(
    conversation, in_reply_to, text, user, saved_reply=None, *, private=False, confirm_warnings=False
) -> Reply:
    """Make a reply (see the module's rules); raise PermissionDenied or :class:`ReplyRefused`."""
    if not may_reply(user, conversation):
        raise PermissionDenied(_("You may not reply in this conversation."))
    text, warnings, visibility = check_reply_text(
        conversation, in_reply_to, text, saved_reply=saved_reply, private=private
    )
    if warnings and not confirm_warnings:
        raise ReplyNeedsConfirmation([str(warning) for warning in warnings])
    state = State.AWAITING_APPROVAL if conversation.flagged else State.APPROVED
    with transaction.atomic():
        reply = Reply.objects.create(
            conversation=conversation,
            in_reply_to=in_reply_to,
            text=text,
            saved_reply=saved_reply,
            state=state,
            visibility=visibility,
            # In English, translated where shown (``{% translate warning %}``), as the guard's reasons are.
            warnings=reasons.stored(warnings),
            created_by=user,
        )
        ActivityEntry.objects.create(
            conversation=conversation,
            actor=user,
            action="reply_written",
            data={"reply": reply.pk, "state": state, "visibility": visibility, "warnings": len(warnings)},
        )
        if state == State.APPROVED:
            from .tasks import enqueue_reply

            enqueue_reply(reply.pk)
    return reply


def _locked(reply):
    return Reply.objects.select_for_update().select_related("conversation__account").get(pk=reply.pk)


def approve_reply(reply, user):
    """A second person approves a reply to a flagged conversation; it is queued. Returns the reply."""
    if not may_approve(user, reply):
        if reply.created_by_id == user.pk:
            raise PermissionDenied(_("A reply to a flagged message is approved by someone other than its writer."))
        raise PermissionDenied(_("You may not approve replies in this conversation."))
    with transaction.atomic():
        reply = _locked(reply)
        if reply.state != State.AWAITING_APPROVAL:
            raise ReplyRefused(_("This reply is not waiting for approval."))
        reply.state = State.APPROVED
        reply.approved_by = user
        reply.approved_at = timezone.now()
        reply.save(update_fields=["state", "approved_by", "approved_at"])
        ActivityEntry.objects.create(
            conversation=reply.conversation, actor=user, action="reply_approved", data={"reply": reply.pk}
        )
        from .tasks import enqueue_reply

        enqueue_reply(reply.pk)
    return reply


def reject_reply(reply, user):
    """A second person turns a reply down; it is never sent."""
    if not may_approve(user, reply):
        raise PermissionDenied(_("You may not approve or reject replies in this conversation."))
    with transaction.atomic():
        reply = _locked(reply)
        if reply.state != State.AWAITING_APPROVAL:
            raise ReplyRefused(_("This reply is not waiting for approval."))
        reply.state = State.REJECTED
        reply.save(update_fields=["state"])
        ActivityEntry.objects.create(
            conversation=reply.conversation, actor=user, action="reply_rejected", data={"reply": reply.pk}
        )
    return reply


def cancel_reply(reply, user):
    """Its writer (or an approver) withdraws a reply that has not gone out: waiting, or failed for good."""
    if not (may_reply(user, reply.conversation) and (reply.created_by_id == user.pk or may_approve(user, reply))):
        raise PermissionDenied(_("You may not cancel this reply."))
    with transaction.atomic():
        reply = _locked(reply)
        cancellable = reply.state == State.AWAITING_APPROVAL or (
            reply.state == State.FAILED and reply.next_attempt_at is None and reply.sending_started_at is None
        )
        if not cancellable:
            raise ReplyRefused(_("Only a reply that waits for approval or failed for good can be cancelled."))
        reply.state = State.CANCELLED
        reply.save(update_fields=["state"])
        ActivityEntry.objects.create(
            conversation=reply.conversation, actor=user, action="reply_cancelled", data={"reply": reply.pk}
        )
    return reply


def retry_reply(reply, user):
    """Send a failed reply again. One whose outcome was unknown is looked for on the network first."""
    if not may_reply(user, reply.conversation):
        raise PermissionDenied(_("You may not reply in this conversation."))
    with transaction.atomic():
        reply = _locked(reply)
        if reply.state != State.FAILED:
            raise ReplyRefused(_("Only a failed reply can be sent again."))
        reply.state = State.APPROVED
        reply.attempts = 0
        reply.next_attempt_at = None
        reply.last_error = ""
        # sending_started_at is kept: if an earlier attempt may have reached the network, the
        # next one looks for the reply there before it sends anything.
        reply.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
        ActivityEntry.objects.create(
            conversation=reply.conversation, actor=user, action="reply_retried", data={"reply": reply.pk}
        )
        from .tasks import enqueue_reply

        enqueue_reply(reply.pk)
    return reply
