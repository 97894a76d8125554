"""An Instagram professional account: reply under a comment, hide and delete comments (Graph API).

- Reply: ``POST /{ig-comment-id}/replies`` with ``message``. Instagram threads are one level
  deep, so an answer to a reply goes under the thread's top-level comment (the conversation's
  root).
- Reconciliation: ``GET /{ig-comment-id}/replies`` and a reply from our account with this text.
- Hide: ``POST /{ig-comment-id}`` with ``hide=true|false``; delete: ``DELETE /{ig-comment-id}``.
- Private replies: the Send API as on Facebook, ``POST /{ig-user-id}/messages``: in a direct
  message to the person's Instagram-scoped id within 24 hours of their last message, and to a
  comment with ``recipient {comment_id}`` within 7 days of it, once per comment (it lands in the
  commenter's inbox if they follow the account, else in their message requests). At most 1,000
  characters (Instagram counts 1,000 bytes; unverified which).
"""

from .facebook import GraphResponder


class InstagramResponder(GraphResponder):
    kind = "instagram"
    reply_edge = "replies"
    text_field = "text"
    hide_field = "hide"
    max_chars = 2200
    private_max_chars = 1000

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
