"""A Facebook page: reply under a comment, hide and delete comments (Graph API).

- Reply: ``POST /{comment-id}/comments`` with ``message``; its address from ``permalink_url``.
- Reconciliation: ``GET /{comment-id}/comments`` (``filter=stream``) and a comment of the page's
  own with this text.
- Hide: ``POST /{comment-id}`` with ``is_hidden=true|false``; delete: ``DELETE /{comment-id}``.
  Graph refuses what the comment's ``can_hide``/``can_remove`` forbid, and its message is shown.
"""

from django.utils.translation import gettext as _

from channels.adapters.base import AuthError, ChannelError, PermanentError

from .base import Responder, Sent, plain_words


class GraphResponder(Responder):
    moderation_actions = ("hide", "delete")
    reply_edge = "comments"
    text_field = "message"
    hide_field = "is_hidden"

    def own_id(self):
        raise NotImplementedError

    def reply_target(self, message):
        return message.external_id

    def reply(self, message, text, *, key, private=False):
        answer = self.adapter.graph(
            "POST", f"{self.reply_target(message)}/{self.reply_edge}", data={"message": text}, creates=True
        ).json()
        comment_id = str(answer.get("id") or "")
        if not comment_id:
            raise PermanentError(_("%(network)s accepted the reply but gave no id for it.") % {"network": self.label})
        return Sent(remote_id=comment_id, remote_url=self.permalink(comment_id, message))

    def permalink(self, comment_id, message):
        try:
            data = self.adapter.graph("GET", comment_id, params={"fields": "permalink_url"}).json()
        except AuthError:
            raise
        except ChannelError:
            data = {}
        return str(data.get("permalink_url") or message.permalink or "")

    def find_reply(self, message, text, *, private=False):
        answer = self.adapter.graph(
            "GET",
            f"{self.reply_target(message)}/{self.reply_edge}",
            params={"fields": f"id,{self.text_field},from", "filter": "stream", "limit": 100},
        ).json()
        wanted = plain_words(text)
        for comment in answer.get("data") or []:
            if (
                str((comment.get("from") or {}).get("id")) == self.own_id()
                and plain_words(comment.get(self.text_field)) == wanted
            ):
                return Sent(remote_id=str(comment["id"]), remote_url=str(comment.get("permalink_url") or ""))
        return None

    def hide(self, message, hidden=True):
        self.adapter.graph("POST", message.external_id, data={self.hide_field: "true" if hidden else "false"})

    def delete(self, message):
        self.adapter.graph("DELETE", message.external_id, ok_statuses=(404,))


class FacebookResponder(GraphResponder):
    kind = "facebook"
    max_chars = 8000

    def own_id(self):
        return self.adapter.page_id
