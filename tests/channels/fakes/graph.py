"""Meta's Graph API for a Facebook page and an Instagram business account.

Shaped after https://developers.facebook.com/docs/pages-api/posts, /docs/graph-api/reference/photo,
/docs/instagram-platform/content-publishing and /docs/graph-api/reference/debug_token. The token
is taken from ``Authorization: Bearer``. Errors have Graph's shape:
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.

The Send API (``POST /{page-id|ig-user-id}/messages``, /docs/messenger-platform/send-messages,
/documentation/business-messaging/instagram-messaging/features/private-replies) is served by
:class:`Messaging`: a JSON body ``{recipient: {id} | {comment_id}, messaging_type, message: {text}}``.
To a person's id only within 24 hours of their last message (seed it with ``person_writes``); to a
comment once, within 7 days of it. The refusals have Graph's shape; their codes are those seen in
clients and issue threads (code 10 with subcode 2018278 on Messenger, 2534022 on Instagram, for the
window; 100/2018292 for an unknown comment; 10900 "Activity already replied to" and 10903 for a
comment too old), not confirmed by Meta's reference (unverified).
"""

import datetime
import time

from .base import FakeNetwork


def graph_error(message, code, *, kind="OAuthException", subcode=None, status=400):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


class FakeGraph(FakeNetwork):
    """The token handling and ``/debug_token`` of both Graph fakes."""

    def reset_state(self):
        self.token = self.default_token
        self.expires_at = 0  # Unix seconds; 0 = never
        self.objects = {}  # id -> fields, for GET /{id}

    def scripted_body(self, status):
        if status == 429 or status == 400:
            return graph_error("(#4) Application request limit reached", 4, status=status)[1]
        return {
            "error": {
                "message": "An unexpected error has occurred. Please retry your request later.",
                "type": "OAuthException",
                "code": 2,
                "is_transient": True,
            }
        }

    def _auth(self, request):
        if self.revoked:
            return graph_error(
                "Error validating access token: The session has been invalidated because the user changed "
                "their password or Facebook has changed the session for security reasons.",
                190,
                subcode=460,
                status=401,
            )
        if request.header("Authorization") != f"Bearer {self.token}":
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190, status=401)
        return None

    def debug_token(self, request):
        # The inspecting token authenticates the call; input_token is the one inspected.
        denied = self._auth(request) if not self.revoked else None
        if denied:
            return denied
        valid = request.query.get("input_token") == self.token and not self.revoked
        expired = bool(self.expires_at) and self.expires_at < time.time()
        data = {
            "app_id": "1234567890",
            "type": "PAGE",
            "application": "Vertel",
            "is_valid": valid and not expired,
            "expires_at": self.expires_at,
            "data_access_expires_at": int(time.time()) + 90 * 86400,
            "scopes": self.scopes,
        }
        if not data["is_valid"]:
            data["error"] = {
                "code": 190,
                "message": "The session has been invalidated" if self.revoked else "Session has expired",
                "subcode": 460 if self.revoked else 463,
            }
        return 200, {"data": data}

    def get_object(self, request, object_id):
        denied = self._auth(request)
        if denied:
            return denied
        if object_id not in self.objects:
            return graph_error(
                f"Unsupported get request. Object with ID '{object_id}' does not exist",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        fields = request.query.get("fields", "id").split(",")
        found = self.objects[object_id]
        return 200, {"id": object_id, **{f: found[f] for f in fields if f in found}}


MESSAGING_WINDOW = datetime.timedelta(hours=24)
PRIVATE_REPLY_WINDOW = datetime.timedelta(days=7)


def graph_time(value):
    """A Graph time (``2026-01-05T10:00:00+0000``) or a datetime, as an aware datetime."""
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


class Messaging:
    """The Send API of a page or an Instagram account; mixed into the Graph fakes."""

    window_subcode = 2018278
    max_message_chars = 2000

    def messaging_state(self):
        self.inbox = {}  # person's scoped id -> times of their messages
        self.sent_messages = []  # what the Send API accepted, in order
        self.privately_answered = set()  # comment ids

    def messaging_owner(self):
        raise NotImplementedError

    def person_writes(self, person_id, at=None):
        """The person (page- or Instagram-scoped id) wrote to the account ``at`` (default: now)."""
        with self.lock:
            self.inbox.setdefault(str(person_id), []).append(at or datetime.datetime.now(datetime.UTC))

    def messages_to(self, **recipient):
        """What was sent to ``id=`` a person or ``comment_id=`` a comment."""
        with self.lock:
            return [m for m in self.sent_messages if m["recipient"] == recipient]

    def send_message(self, request, owner_id):
        denied = self._auth(request)
        if denied:
            return denied
        if owner_id != self.messaging_owner():
            return graph_error(
                f"Unsupported post request. Object with ID '{owner_id}' does not exist", 100, subcode=33
            )
        data = request.json if isinstance(request.json, dict) else {}
        recipient = data.get("recipient") if isinstance(data.get("recipient"), dict) else {}
        text = (data.get("message") or {}).get("text") if isinstance(data.get("message"), dict) else None
        if not recipient:
            return graph_error("(#100) The parameter recipient is required", 100)
        if not isinstance(text, str) or not text.strip():
            return graph_error("(#100) The parameter message is required", 100)
        if len(text) > self.max_message_chars:
            return graph_error(
                f"(#100) Length of param message[text] must be less than or equal to {self.max_message_chars}", 100
            )
        now = datetime.datetime.now(datetime.UTC)
        with self.lock:
            if "comment_id" in recipient:
                rows = self.comments.values() if isinstance(self.comments, dict) else self.comments
                comment = next((c for c in rows if c["id"] == str(recipient["comment_id"])), None)
                if comment is None:
                    return graph_error("(#100) Invalid comment_id parameter", 100, subcode=2018292)
                if comment["id"] in self.privately_answered:
                    return graph_error("(#10900) Activity already replied to", 10900)
                if now - graph_time(comment.get("created_time") or comment.get("timestamp")) > PRIVATE_REPLY_WINDOW:
                    return graph_error("(#10903) This activity cannot be replied to", 10903)
                recipient_id = str(comment["from"]["id"])
                self.privately_answered.add(comment["id"])
            else:
                recipient_id = str(recipient.get("id") or "")
                if data.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
                    return graph_error("(#100) param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG", 100)
                written = self.inbox.get(recipient_id)
                if not written:
                    return graph_error("(#100) No matching user found", 100, subcode=2018001)
                if now - max(written) > MESSAGING_WINDOW:
                    return graph_error(
                        "(#10) This message is sent outside of allowed window.", 10, subcode=self.window_subcode
                    )
            message_id = f"m_{self.new_id():012d}loopback"
            self.sent_messages.append(
                {
                    "recipient": dict(recipient),
                    "recipient_id": recipient_id,
                    "messaging_type": data.get("messaging_type"),
                    "text": text,
                    "message_id": message_id,
                }
            )
        return 200, {"recipient_id": recipient_id, "message_id": message_id}
