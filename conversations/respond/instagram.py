"""An Instagram professional account: reply under a comment, hide and delete comments (Graph API).

- Reply: ``POST /{ig-comment-id}/replies`` with ``message``. Instagram threads are one level
  deep, so an answer to a reply goes under the thread's top-level comment (the conversation's
  root).
- Reconciliation: ``GET /{ig-comment-id}/replies`` and a reply from our account with this text.
- Hide: ``POST /{ig-comment-id}`` with ``hide=true|false``; delete: ``DELETE /{ig-comment-id}``.
"""

from .facebook import GraphResponder


class InstagramResponder(GraphResponder):
    kind = "instagram"
    reply_edge = "replies"
    text_field = "text"
    hide_field = "hide"
    max_chars = 2200

    def own_id(self):
        return self.adapter.ig_user_id

    def reply_target(self, message):
        conversation = message.conversation
        if conversation.kind == conversation.Kind.REPLY and conversation.root_external_id:
            return conversation.root_external_id
        return message.external_id

    def permalink(self, comment_id, message):
        # Instagram comments have no address of their own: the post's (the message's) is the nearest.
        return message.permalink or ""
