"""A Facebook page: reply under a comment, hide and delete comments (Graph API).

- Reply: ``POST /{comment-id}/comments`` with ``message``; its address from ``permalink_url``.
- Reconciliation: ``GET /{comment-id}/comments`` (``filter=stream``) and a comment of the page's
  own with this text.
- Hide: ``POST /{comment-id}`` with ``is_hidden=true|false``; delete: ``DELETE /{comment-id}``.
  Graph refuses what the comment's ``can_hide``/``can_remove`` forbid, and its message is shown.
- Private replies (Messenger's Send API): ``POST /{page-id}/messages`` with JSON
  ``{recipient, messaging_type: "RESPONSE", message: {text}}``. In a direct-message conversation
  the recipient is the person's page-scoped id (``{id: PSID}``, the message's author id), only
  within 24 hours of their last message; a private answer to a public comment is ``{comment_id}``
  (Meta's private replies: one per comment, within 7 days of it). Both windows are checked before
  anything is sent (and again when a reply approved later goes out); Graph refuses outside them
  too, and its message is shown. The Send API cannot be asked whether a message went out, so an
  unknown outcome goes to a person (``can_find_private_reply``).
"""

import datetime

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from channels.adapters.base import AuthError, ChannelError, PermanentError

from ..models import Message, Reply
from .base import Responder, Sent, plain_words

MESSAGING_WINDOW = datetime.timedelta(hours=24)
PRIVATE_REPLY_WINDOW = datetime.timedelta(days=7)


class GraphResponder(Responder):
    moderation_actions = ("hide", "delete")
    reply_edge = "comments"
    text_field = "message"
    hide_field = "is_hidden"
    can_reply_privately = True
    can_find_private_reply = False

    def own_id(self):
        raise NotImplementedError

    def reply_target(self, message):
        return message.external_id

    # -- private replies (the Send API) -------------------------------------------------------------

    def window_refusal(self, message, now=None):
        """Why the Send API's time window is closed for ``message`` (a sentence), or None."""
        now = now or timezone.now()
        if self.is_direct(message):
            if not message.author_external_id:
                return _("This message does not say who wrote it, so it cannot be answered.")
            last = Message.objects.filter(
                conversation_id=message.conversation_id,
                direction=Message.Direction.IN,
                author_external_id=message.author_external_id,
            ).aggregate(last=Max("created_at"))["last"]
            if last is None or now - last > MESSAGING_WINDOW:
                return _(
                    "%(network)s lets an account answer a direct message only within 24 hours of the person's last "
                    "message; their last message came %(ago)s ago. Wait until they write again, or reach them "
                    "another way."
                ) % {"network": self.label, "ago": timesince(last or message.created_at, now)}
            return None
        if now - message.created_at > PRIVATE_REPLY_WINDOW:
            return _(
                "%(network)s lets an account answer a comment privately only within 7 days of the comment; this one "
                "was written %(ago)s ago. Answer in public with a neutral saved reply."
            ) % {"network": self.label, "ago": timesince(message.created_at, now)}
        return None

    def private_refusal(self, message):
        refusal = self.window_refusal(message)
        if refusal or self.is_direct(message):
            return refusal
        State = Reply.State
        answered = (
            Reply.objects.filter(in_reply_to=message, visibility=Message.Visibility.DIRECT)
            .filter(
                Q(state__in=(State.AWAITING_APPROVAL, State.APPROVED, State.SENDING, State.SENT))
                | Q(state=State.FAILED, next_attempt_at__isnull=False)
                | Q(state=State.FAILED, sending_started_at__isnull=False)
            )
            .exists()
        )
        if answered:
            return _(
                "%(network)s allows one private reply per comment, and this comment already has one (sent or on "
                "its way)."
            ) % {"network": self.label}
        return None

    def reply_privately(self, message, text):
        refusal = self.window_refusal(message)
        if refusal:
            raise PermanentError(refusal)
        if self.is_direct(message):
            recipient = {"id": message.author_external_id}
        else:
            recipient = {"comment_id": message.external_id}
        body = {"recipient": recipient, "messaging_type": "RESPONSE", "message": {"text": text}}
        answer = self.adapter.graph("POST", f"{self.own_id()}/messages", json=body, creates=True).json()
        message_id = str(answer.get("message_id") or "")
        if not message_id:
            raise PermanentError(
                _("%(network)s accepted the direct message but gave no id for it.") % {"network": self.label}
            )
        return Sent(
            remote_id=message_id,
            ref={"message_id": message_id, "recipient_id": str(answer.get("recipient_id") or "")},
        )

    # -- public replies -----------------------------------------------------------------------------

    def reply(self, message, text, *, key, private=False):
        if private or self.is_direct(message):
            return self.reply_privately(message, text)
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
        if private or self.is_direct(message):
            # Not called (``can_find_private_reply``): the Send API cannot be asked what it sent.
            raise PermanentError(_("%(network)s gives no way to look a direct message up.") % {"network": self.label})
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
    private_max_chars = 2000  # Messenger's limit on a text message

    def own_id(self):
        return self.adapter.page_id
