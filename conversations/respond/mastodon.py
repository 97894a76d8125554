"""Mastodon: answer with ``in_reply_to_id``; mute, block and report, but never hide or delete.

- ``POST /api/v1/statuses`` with ``in_reply_to_id`` and the reply's ``Idempotency-Key`` (kept for
  an hour by Mastodon: a repeated key returns the status made the first time). Visibility matches
  the conversation: ``direct`` for a direct message or a private answer (delivered to the people
  mentioned, so the author's ``@handle`` goes in front), else ``public``.
- Reconciliation: ``GET /api/v1/statuses/:id/context`` and our status among the descendants that
  answers this one with this text.
- Moderation: Mastodon has no call to hide or delete other people's replies. It can mute the
  thread (``POST /api/v1/statuses/:id/mute``), block or mute the account
  (``POST /api/v1/accounts/:id/block|mute``) and report (``POST /api/v1/reports``).
"""

from channels.adapters.mastodon import html_to_text

from .base import Responder, Sent, plain_words


class MastodonResponder(Responder):
    kind = "mastodon"
    moderation_actions = ("mute_thread", "block_author", "mute_author", "report")
    can_reply_privately = True

    def visibility(self, message, private):
        return "direct" if private or message.visibility == "direct" else "public"

    def compose(self, message, text, *, private=False):
        handle = (message.author_handle or "").strip().lstrip("@")
        if handle and f"@{handle}".lower() not in text.lower():
            # A reply reaches (and, when direct, is only delivered to) the accounts it mentions.
            return f"@{handle} {text}"
        return text

    def _me(self):
        return str(self.adapter._call("account_verify_credentials")["id"])

    def reply(self, message, text, *, key, private=False):
        status = self.adapter._call(
            "status_post",
            text,
            in_reply_to_id=message.external_id,
            visibility=self.visibility(message, private),
            language=(message.language or "")[:2] or None,
            idempotency_key=key or None,
            creates=True,
        )
        return Sent(remote_id=str(status["id"]), remote_url=str(status.get("url") or ""))

    def find_reply(self, message, text, *, private=False):
        me = self._me()
        context = self.adapter._call("status_context", message.external_id)
        wanted = plain_words(text)
        for status in context["descendants"] or []:
            if str(status["account"]["id"]) != me or str(status.get("in_reply_to_id")) != str(message.external_id):
                continue
            if plain_words(html_to_text(str(status.get("content") or ""))) == wanted:
                return Sent(remote_id=str(status["id"]), remote_url=str(status.get("url") or ""))
        return None

    def mute_thread(self, message):
        self.adapter._call("status_mute", message.external_id)

    def block_author(self, message):
        self.adapter._call("account_block", message.author_external_id)

    def mute_author(self, message):
        self.adapter._call("account_mute", message.author_external_id)

    def report(self, message, comment=""):
        self.adapter._call(
            "report", message.author_external_id, status_ids=[message.external_id], comment=comment or None
        )
