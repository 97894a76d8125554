"""A generic signed webhook: Vertel POSTs a JSON event to a URL the organisation runs.

Every request carries ``X-Vertel-Timestamp`` (Unix seconds), ``X-Vertel-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>`` and
``Idempotency-Key`` (the same for every attempt of one post). Events: ``story.published`` and
``story.retracted``. A 2xx answer may be JSON ``{"id": ..., "url": ...}``; without an id the
idempotency key stands for the post. A 500/502/504 or a read timeout on ``story.published`` is an
unknown outcome (the receiver may have stored it). ``story.retracted`` goes to the address the
post was sent to, even if the account's address changed since. See docs/channels-networks.md.
"""

import hashlib
import hmac
import json
import time

from django.utils.translation import gettext_lazy as _

from ._http import Http
from .base import AccountCheck, Adapter, Field, Limits, Result


def signature(secret, timestamp, body):
    """``sha256=<hex>`` of ``"<timestamp>.<body>"`` (body as bytes) with ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookAdapter(Adapter):
    kind = "webhook"
    label = _("Webhook")
    limits = Limits(max_chars=100_000, max_media=4, max_media_bytes=20 * 1024 * 1024)
    config_fields = (Field("url", _("Address"), help_text=_("The https address that receives the events.")),)
    credential_fields = (
        Field("secret", _("Signing secret"), secret=True, help_text=_("Shared with the receiver to sign events.")),
    )
    # The receiver decides: every attempt of one post carries the same Idempotency-Key.
    can_reconcile = False
    idempotency_note = _("Idempotency-Key header: the receiver can ignore a repeated key.")
    identity_fields = ("url",)

    def __init__(self, account):
        super().__init__(account)
        self.url = (self.config.get("url") or "").strip()
        self.secret = self.credentials.get("secret", "")

    def compose(self, post):
        # The receiver gets text and link as separate fields.
        return post.text

    def validate(self, post):
        problems = list(super().validate(post))
        if not self.url.startswith(("https://", "http://")):
            problems.append(_("The webhook has no valid address."))
        return problems

    def _http(self):
        return Http(str(self.label), self.timeout, secrets=[self.secret])

    def _send(self, event, data, key, *, url=None, creates=False):
        body = json.dumps(
            {"event": event, "sent_at": int(time.time()), "data": data}, ensure_ascii=False, sort_keys=True
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Vertel-Webhook/1",
            "X-Vertel-Event": event,
            "X-Vertel-Timestamp": timestamp,
            "X-Vertel-Signature": signature(self.secret, timestamp, body),
        }
        if key:
            headers["Idempotency-Key"] = key
        return self._http().request(
            "POST", url or self.url, data=body, headers=headers, ok_statuses=(404, 410), creates=creates
        )

    def publish(self, post):
        media = post.media[0] if post.media else None
        data = {
            "text": post.text,
            "link": post.link,
            "title": post.title,
            "summary": post.summary,
            "language": post.language,
            "image": {"url": media.url, "alt": media.alt, "width": media.width, "height": media.height}
            if media
            else None,
            "extra": post.extra,
            "idempotency_key": post.idempotency_key,
        }
        response = self._send("story.published", data, post.idempotency_key, creates=True)
        if response.status_code in (404, 410):
            raise self._http().error(response)
        answer = _json(response)
        remote_id = str(answer.get("id") or post.idempotency_key)
        remote_url = answer.get("url") or ""
        return Result(remote_id=remote_id, remote_url=remote_url if isinstance(remote_url, str) else "")

    def retract(self, remote_id, remote_url="", identity=None):
        # 404/410: the receiver no longer knows the post; that is what we want.
        url = (identity or {}).get("url") or self.url
        self._send("story.retracted", {"id": remote_id, "url": remote_url}, f"retract-{remote_id}", url=url)

    def check(self):
        response = self._send("ping", {}, "")
        if response.status_code in (404, 410):
            raise self._http().error(response)
        return AccountCheck(ok=True, message=str(_("The receiver accepted a signed test event.")))


def _json(response):
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
