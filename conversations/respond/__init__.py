"""Answering and moderating on the networks: one module per network, behind one small interface.

``responder_for(account)`` gives the :class:`~conversations.respond.base.Responder` of the
account's network. Each responder speaks through the account's channel adapter
(``account.adapter()``): its sign-in, session and error mapping (``channels.adapters._http``), so
a reply fails with the same words and the same transient/permanent/unknown split as a post.
"""

from .base import ModerationUnsupported, Responder, Sent
from .bluesky import BlueskyResponder
from .facebook import FacebookResponder
from .instagram import InstagramResponder
from .linkedin import LinkedInResponder
from .mastodon import MastodonResponder

RESPONDERS = {
    responder.kind: responder
    for responder in (MastodonResponder, BlueskyResponder, FacebookResponder, InstagramResponder, LinkedInResponder)
}


def responder_class(kind):
    """The responder class of a network (``ChannelAccount.kind``), or None when it cannot answer."""
    return RESPONDERS.get(kind)


def responder_for(account):
    """The responder of ``account``'s network; LookupError when the inbox cannot answer there."""
    cls = responder_class(account.kind)
    if cls is None:
        raise LookupError(f"No responder for channels of kind {account.kind!r}.")
    return cls(account)


__all__ = ["RESPONDERS", "ModerationUnsupported", "Responder", "Sent", "responder_class", "responder_for"]
