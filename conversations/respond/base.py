"""The interface of a network's responder: reply, find our reply again, and moderate.

A responder answers one incoming :class:`~conversations.models.Message` on its account's
network. ``reply`` makes our answer and returns where it is (:class:`Sent`); ``find_reply`` looks
in the thread for an answer we already made with that text (reconciliation after an unknown
outcome: never send blindly again). The moderation calls act on someone else's message; a
network that has no such call raises :class:`ModerationUnsupported` with a sentence and, where
there is one, the address where a person can do it by hand.

Errors are the channel adapters' (``channels.adapters.base``): ``TransientError`` (try again
later), ``OutcomeUnknown`` (the reply may have been made: reconcile), ``PermanentError`` (the
network refused, its message is shown), ``AuthError`` (reconnect the account).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass
class Sent:
    """Our reply on the network: its id, its address, and what answering it later needs."""

    remote_id: str
    remote_url: str = ""
    ref: dict = field(default_factory=dict)


class ModerationUnsupported(Exception):
    """The network has no API call for this; ``message`` says so, ``manual_url`` where to do it by hand."""

    def __init__(self, message, manual_url=""):
        super().__init__(message)
        self.message = str(message)
        self.manual_url = manual_url


def plain_words(text):
    """``text`` with every run of white space as one space (networks drop blank lines)."""
    return " ".join(str(text or "").split())


class Responder:
    """Subclass once per network; instances are made per account."""

    kind = ""
    # What the network can do with someone else's message through its API (see conversations.moderation).
    moderation_actions = ()
    # Whether a reply can go privately (a direct message) instead of under the comment.
    can_reply_privately = False
    # Longest reply the network accepts, counted with the adapter's ``count`` (None: the adapter's limit).
    max_chars = None
    # Longest private reply (a direct message), where it differs (None: as ``max_chars``).
    private_max_chars = None
    # Whether our private reply can be looked up on the network after an unknown outcome; where it
    # cannot, a person is asked to check (``conversations.replies.sending``), never resent blindly.
    can_find_private_reply = True

    def __init__(self, account, adapter=None):
        self.account = account
        self.adapter = adapter or account.adapter()

    @property
    def label(self):
        return self.adapter.label

    def reply_limit(self, private=False):
        if private and self.private_max_chars:
            return self.private_max_chars
        return self.max_chars or self.adapter.limits.max_chars

    @staticmethod
    def is_direct(message):
        """Whether ``message`` is itself a direct message (its conversation one, or sent privately)."""
        conversation = message.conversation
        return conversation.kind == conversation.Kind.DIRECT or message.visibility == "direct"

    def private_refusal(self, message):
        """Why ``message`` cannot be answered privately now (a sentence), or None when it can.

        Networks that can answer privately override this with their own limits (a setting, a
        time window, one private reply per comment).
        """
        if self.can_reply_privately:
            return None
        if message.conversation.kind == message.conversation.Kind.DIRECT:
            return _("Answering direct messages on %(network)s from the inbox is not possible yet.") % {
                "network": self.label
            }
        return _(
            "%(network)s does not let Vertel answer this privately; answer in public with a neutral saved reply."
        ) % {"network": self.label}

    def can_find_reply(self, message, private=False):
        """Whether ``find_reply`` can tell, after an unknown outcome, whether this reply is out."""
        return self.can_find_private_reply or not (private or self.is_direct(message))

    def count(self, text):
        return self.adapter.count(text)

    def compose(self, message, text, *, private=False):
        """The exact text sent (a network may need a mention in front)."""
        return text

    # -- answering ------------------------------------------------------------------------------

    def reply(self, message, text, *, key, private=False):
        """Answer ``message`` with ``text`` (composed); return :class:`Sent`; ``key``: the idempotency key."""
        raise NotImplementedError

    def find_reply(self, message, text, *, private=False):
        """Our reply to ``message`` with ``text`` (composed) if it is on the network, else None."""
        raise NotImplementedError

    # -- moderating someone else's message --------------------------------------------------------

    def unsupported(self, what):
        return ModerationUnsupported(
            _("%(network)s does not let an account %(what)s through its API.") % {"network": self.label, "what": what}
        )

    def hide(self, message, hidden=True):
        raise self.unsupported(_("hide other people's replies"))

    def delete(self, message):
        raise self.unsupported(_("delete other people's replies"))

    def mute_thread(self, message):
        raise self.unsupported(_("mute a thread"))

    def block_author(self, message):
        raise self.unsupported(_("block an account"))

    def mute_author(self, message):
        raise self.unsupported(_("mute an account"))

    def report(self, message, comment=""):
        raise self.unsupported(_("report a message"))
