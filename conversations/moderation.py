"""Moderating someone else's public message on its network: what is possible, and doing it.

What each network allows through its API (``conversations.respond``):

| network | hide | delete | mute thread | block / mute account | report |
| --- | --- | --- | --- | --- | --- |
| Facebook | yes (``is_hidden``) | yes | – | – | – |
| Instagram | yes (``hide``) | yes | – | – | – |
| Bluesky | yes, under our own posts (threadgate ``hiddenReplies``) | no | yes | – | – |
| Mastodon | no | no | yes | yes | yes |
| LinkedIn | no (a manual step on LinkedIn) | no (manual) | – | – | – |

:func:`moderation_options` lists them for one message, each with a label, whether it is
available and, where it is not, why in words (and where to do it by hand). :func:`moderate` does
one: it checks access and ``conversations.moderate_conversation``, calls the network, updates the
message (hidden, deleted) and records an :class:`~conversations.models.ActivityEntry` (who and
what, never the text).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .access import can_read
from .models import ActivityEntry, Message
from .respond import ModerationUnsupported, responder_class
from .respond.linkedin import manual_url as linkedin_manual_url

LABELS = {
    "hide": gettext_lazy("Hide on the network"),
    "unhide": gettext_lazy("Show again on the network"),
    "delete": gettext_lazy("Delete on the network"),
    "mute_thread": gettext_lazy("Mute this thread"),
    "block_author": gettext_lazy("Block this account"),
    "mute_author": gettext_lazy("Mute this account"),
    "report": gettext_lazy("Report to the moderators of the network"),
    "manual": gettext_lazy("Moderate by hand on the network"),
}

# What each action asks the sender to confirm, in words.
CONFIRMATIONS = {
    "hide": gettext_lazy(
        "Hide this message on the network? Others no longer see it under the post; its author may still see it."
    ),
    "unhide": gettext_lazy("Show this message on the network again?"),
    "delete": gettext_lazy("Delete this message on the network? This cannot be undone."),
    "mute_thread": gettext_lazy("Mute this thread? The account gets no more notifications from it."),
    "block_author": gettext_lazy(
        "Block this account? It can no longer follow or reply to the organisation's account."
    ),
    "mute_author": gettext_lazy("Mute this account? Its posts and notifications no longer reach the account."),
    "report": gettext_lazy("Report this message to the moderators of the network?"),
}

ACTIONS = tuple(CONFIRMATIONS)

# Recorded on the message when the network did it.
MESSAGE_STATE = {"hide": {"hidden": True}, "unhide": {"hidden": False}, "delete": {"deleted": True}}


@dataclass
class Option:
    action: str
    label: str
    available: bool
    explanation: str = ""
    manual_url: str = ""


def _explanation(kind, action, message):
    if kind == "mastodon" and action in ("hide", "delete"):
        return _(
            "Mastodon does not let an account hide or delete other people's replies. You can mute the thread, "
            "block or mute the account, or report the message to its server's moderators."
        )
    if kind == "linkedin" and action in ("hide", "delete"):
        return _(
            "Hiding or deleting other members' comments is not available through LinkedIn's API. Open the comment "
            "on LinkedIn and moderate it there by hand."
        )
    if kind == "bluesky" and action == "delete":
        return _("Bluesky does not let an account delete other people's posts; hide the reply instead.")
    return _("This is not possible on this network.")


def _bluesky_hide_possible(message):
    root = (message.external_ref or {}).get("root") or {}
    root_uri = root.get("uri") if isinstance(root, dict) else ""
    if not root_uri:
        return True  # found out when trying; the responder says why if not
    account_did = root_uri.removeprefix("at://").split("/")[0]
    identity = getattr(message.conversation, "dispatch", None)
    our_did = ((identity.network_identity or {}).get("did") if identity else "") or ""
    return not our_did or account_did == our_did


def moderation_options(message):
    """What can be done with ``message`` on its network: a list of :class:`Option`.

    Empty for our own messages and for direct messages (nothing to moderate in public).
    """
    if message.direction != Message.Direction.IN or message.visibility == Message.Visibility.DIRECT:
        return []
    kind = message.account.kind
    responder = responder_class(kind)
    if responder is None:
        return []
    supported = set(responder.moderation_actions)
    options = []
    if message.deleted:
        return [Option("delete", str(LABELS["delete"]), False, _("The message is already deleted on the network."))]
    hide_action = "unhide" if message.hidden else "hide"
    for action in (hide_action, "delete", "mute_thread", "block_author", "mute_author", "report"):
        base = "hide" if action == "unhide" else action
        if base in supported:
            available, explanation = True, ""
            if kind == "bluesky" and base == "hide" and not _bluesky_hide_possible(message):
                available = False
                explanation = _(
                    "Bluesky hides replies only in threads under our own posts; this thread starts elsewhere."
                )
            options.append(Option(action, str(LABELS[action]), available, explanation))
        elif base in ("hide", "delete"):
            options.append(Option(action, str(LABELS[action]), False, _explanation(kind, base, message)))
    if kind == "linkedin":
        url = linkedin_manual_url(message)
        options.append(
            Option(
                "manual",
                str(LABELS["manual"]),
                bool(url),
                _("Opens the comment on LinkedIn, where an administrator of the page can hide or delete it."),
                manual_url=url,
            )
        )
    return options


def option(message, action):
    return next((o for o in moderation_options(message) if o.action == action), None)


class ModerationRefused(Exception):
    def __init__(self, message, manual_url=""):
        super().__init__(message)
        self.message = str(message)
        self.manual_url = manual_url


def may_moderate(user, message):
    return can_read(user, message.account) and user.has_perm("conversations.moderate_conversation")


def moderate(message, action, user, *, comment="", responder=None):
    """Do ``action`` on the network for ``message``; raise PermissionDenied, ModerationRefused or ChannelError."""
    if not may_moderate(user, message):
        raise PermissionDenied(_("You may not moderate in this conversation."))
    found = option(message, action)
    if found is None or action == "manual":
        raise ModerationRefused(_("This is not possible for this message."))
    if not found.available:
        raise ModerationRefused(found.explanation, found.manual_url)
    responder = responder or responder_class(message.account.kind)(message.account)
    try:
        if action in ("hide", "unhide"):
            responder.hide(message, hidden=action == "hide")
        elif action == "report":
            responder.report(message, comment=comment)
        else:
            getattr(responder, action)(message)
    except ModerationUnsupported as error:
        raise ModerationRefused(error.message, error.manual_url) from None
    with transaction.atomic():
        changes = dict(MESSAGE_STATE.get(action, {}))
        if action == "delete":
            # Gone from the network: its text goes too, as when its author deletes it (the fact stays).
            changes.update(text="", labels=[], reasons=[])
        if changes:
            Message.objects.filter(pk=message.pk).update(**changes)
            for name, value in changes.items():
                setattr(message, name, value)
        ActivityEntry.objects.create(
            conversation_id=message.conversation_id,
            actor=user,
            action=f"moderation_{action}",
            data={"message": message.pk, "network": message.account.kind},
        )
    return message
