"""A webhook receiver that verifies Vertel's signature the way docs/channels-networks.md says."""

import hashlib
import hmac
import time

from .base import FakeNetwork

SECRET = "whsec-loopback-secret"  # noqa: S105  (test value)


class FakeWebhook(FakeNetwork):
    name = "webhook"
    routes = [("POST", r"/hook", "receive")]

    def reset_state(self):
        self.secret = SECRET
        self.answer_with_id = True
        self.answer_url = None  # the "url" of the answer (None: the receiver's own address of the post)
        self.events = []  # (event, data) of every verified request
        self.by_key = {}

    def verify(self, request):
        timestamp = request.header("X-Vertel-Timestamp") or ""
        given = request.header("X-Vertel-Signature") or ""
        expected = (
            "sha256="
            + hmac.new(self.secret.encode(), timestamp.encode() + b"." + request.raw, hashlib.sha256).hexdigest()
        )
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        return fresh and hmac.compare_digest(given, expected)

    def receive(self, request):
        if not self.verify(request):
            return 401, {"error": "bad signature"}
        event, data = request.json["event"], request.json["data"]
        self.events.append((event, data))
        if event == "story.published":
            key = request.header("Idempotency-Key")
            with self.lock:
                if key in self.by_key:
                    post_id = self.by_key[key]
                else:
                    post_id = f"wh-{self.new_id()}"
                    self.by_key[key] = post_id
                    self.posts[post_id] = data
            if not self.answer_with_id:
                return 202, None
            return 201, {"id": post_id, "url": self.answer_url or f"https://receiver.example/posts/{post_id}"}
        if event == "story.retracted":
            with self.lock:
                gone = self.posts.pop(data["id"], None)
            return (200, {"ok": True}) if gone is not None else (410, {"error": "unknown post"})
        return 200, {"ok": True}
