"""The newsletter's tokens: random confirmation tokens, and personal-link tokens derived by HMAC.

Only a token's SHA-256 is stored (``hash_token``). A personal-link token is made again at send
time from the server's key and the subscriber's salt (``derive_link_token``), and survives a key
rotation (``link_token_for``).
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_BYTES = 32


def hash_token(token):
    """Only the SHA-256 of a token is stored; the link in the email is the only copy."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def _link_key(secret):
    # A key of its own, derived from the secret, so these links cannot be confused with other signatures.
    return hashlib.sha256(f"vertel.newsletter.link:{secret}".encode()).digest()


def link_keys():
    """The current link key first, then those of ``SECRET_KEY_FALLBACKS`` (Django's key rotation)."""
    return [_link_key(secret) for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))]


def derive_link_token(subscriber_id, salt, key=None):
    """The subscriber's personal-link token: HMAC of their id and a random per-subscriber salt.

    It can be produced again at send time from the server's key, so the raw token never has to be
    stored; the database holds only its SHA-256 (``Subscriber.link_token_hash``). A new salt
    invalidates every earlier link of that subscriber.
    """
    mac = hmac.new(key or _link_key(settings.SECRET_KEY), f"{subscriber_id}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def link_token_for(subscriber_id, salt, stored_hash, keys=None):
    """The token whose digest is stored for this subscriber, and whether the stored digest must be renewed.

    A link keeps working however the keys change, because checking a link needs only the stored
    digest. Producing the same token again for the next email needs the key it was made with:
    the current ``SECRET_KEY`` or one of ``SECRET_KEY_FALLBACKS``. When none of them reproduces
    it (the old key was dropped), the returned token is made with the current key and
    ``renew`` is True: the caller stores its digest with ``Subscriber.renew_link_hash``, which
    keeps the old digest valid as the previous one, so links in emails already sent still work.
    """
    keys = keys or link_keys()
    for key in keys:
        token = derive_link_token(subscriber_id, salt, key)
        if stored_hash is None or hash_token(token) == stored_hash:
            return token, False
    return derive_link_token(subscriber_id, salt, keys[0]), True
