"""Replying from the inbox: writing, approving and sending our answers, at most once.

- ``services``: ``submit_reply`` (the checks: access, permission, the guard, the unsafe-flag rule,
  approval of replies to flagged conversations), ``approve_reply``, ``reject_reply``,
  ``cancel_reply``, ``retry_reply``.
- ``sending``: one attempt to send a reply (``run_reply``), with the idempotency rules of dispatch;
  ``tasks``: the background task that runs it (``send_reply``) and the periodic sweep.
- ``actions``: the admin's buttons as Wagtail actions over those services.
"""

from .services import (
    ReplyBlocked,
    ReplyNeedsConfirmation,
    ReplyRefused,
    approve_reply,
    cancel_reply,
    reject_reply,
    retry_reply,
    submit_reply,
)

__all__ = [
    "ReplyBlocked",
    "ReplyNeedsConfirmation",
    "ReplyRefused",
    "approve_reply",
    "cancel_reply",
    "reject_reply",
    "retry_reply",
    "submit_reply",
]
