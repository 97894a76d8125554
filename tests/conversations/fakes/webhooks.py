"""Signed webhook deliveries, as Meta and LinkedIn send them, through Django's test client.

- Meta: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``.
- LinkedIn: ``X-LI-Signature: <hex HMAC-SHA256 of the raw body with the client secret>``.
"""

import hashlib
import hmac
import json

from django.urls import reverse


def hex_hmac(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(payload):
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def send_meta(client, payload, secret, *, signature=None):
    body = body_of(payload)
    header = signature if signature is not None else "sha256=" + hex_hmac(secret, body)
    return client.generic(
        "POST",
        reverse("conversations_hooks:meta_webhook"),
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=header,
    )


def send_linkedin(client, payload, secret, *, signature=None):
    body = body_of(payload)
    header = signature if signature is not None else hex_hmac(secret, body)
    return client.generic(
        "POST",
        reverse("conversations_hooks:linkedin_webhook"),
        body,
        content_type="application/json",
        HTTP_X_LI_SIGNATURE=header,
    )
