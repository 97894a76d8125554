"""A LinkedIn organisation page: reply under a comment; no moderation of other members' comments.

- Reply: ``POST /rest/socialActions/{post URN}/comments`` with ``actor`` (the organisation),
  ``object`` (the post), ``message.text`` and ``parentComment`` (the comment answered; LinkedIn
  nests one level, so an answer to a nested reply names that reply's parent). The post's URN is
  the message's ``external_ref["object"]``, else the activity inside the comment URN
  ``urn:li:comment:(urn:li:activity:X,Y)``. The new comment's URN comes back in ``x-restli-id``.
- Reconciliation: ``GET /rest/socialActions/{post URN}/comments`` and our organisation's comment
  under this parent with this text.
- Hiding or deleting other members' comments is not available through LinkedIn's API (not
  confirmed by its documentation; tools report it is refused): moderation is a manual step on
  LinkedIn, at the comment's address.
"""

import re
from urllib.parse import quote

from django.utils.translation import gettext as _

from channels.adapters.base import PermanentError

from .base import Responder, Sent, plain_words

COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[a-zA-Z]+:[^,]+),([^)]+)\)$")


def post_of(comment_urn):
    found = COMMENT_URN.match(comment_urn or "")
    return found.group(1) if found else ""


def comment_url(post_urn, comment_urn=""):
    url = f"https://www.linkedin.com/feed/update/{post_urn}/"
    return f"{url}?commentUrn={quote(comment_urn, safe='')}" if comment_urn else url


class LinkedInResponder(Responder):
    kind = "linkedin"
    moderation_actions = ()
    max_chars = 1250

    def post_urn(self, message):
        urn = (message.external_ref or {}).get("object") or post_of(message.external_id)
        if not urn:
            raise PermanentError(_("This LinkedIn comment does not say which post it is on."))
        return urn

    def parent(self, message):
        parent = message.parent_external_id or ""
        return parent if parent.startswith("urn:li:comment:") else message.external_id

    def _comments_url(self, post_urn):
        return f"{self.adapter.api}/rest/socialActions/{quote(post_urn, safe='')}/comments"

    def reply(self, message, text, *, key, private=False):
        post_urn = self.post_urn(message)
        body = {
            "actor": self.adapter.author,
            "object": post_urn,
            "message": {"text": text},
            "parentComment": self.parent(message),
        }
        response = self.adapter._http().request(
            "POST", self._comments_url(post_urn), json=body, headers=self.adapter._headers(), creates=True
        )
        urn = response.headers.get("x-restli-id") or ""
        if not urn:
            try:
                urn = (response.json() or {}).get("$URN") or ""
            except ValueError:
                urn = ""
        if not urn:
            raise PermanentError(_("LinkedIn accepted the reply but gave no id for it."), status=response.status_code)
        return Sent(remote_id=urn, remote_url=comment_url(post_urn, urn), ref={"object": post_urn})

    def find_reply(self, message, text, *, private=False):
        post_urn = self.post_urn(message)
        response = self.adapter._http().request("GET", self._comments_url(post_urn), headers=self.adapter._headers())
        parent = self.parent(message)
        wanted = plain_words(text)
        for comment in response.json().get("elements") or []:
            if comment.get("actor") != self.adapter.author or comment.get("parentComment") != parent:
                continue
            if plain_words((comment.get("message") or {}).get("text")) == wanted:
                urn = comment.get("$URN") or ""
                return Sent(remote_id=urn, remote_url=comment_url(post_urn, urn), ref={"object": post_urn})
        return None

    def manual_url(self, message):
        return manual_url(message)


def manual_url(message):
    """Where an administrator of the page moderates a comment by hand: the comment on LinkedIn."""
    if message.permalink:
        return message.permalink
    post_urn = (message.external_ref or {}).get("object") or post_of(message.external_id)
    return comment_url(post_urn, message.external_id) if post_urn else ""
