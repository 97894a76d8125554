"""Encryption of channel credentials at rest.

Tokens, app passwords and webhook secrets are stored as one Fernet token (AES-128-CBC with an
HMAC-SHA256) made with ``VERTEL["CREDENTIALS_KEY"]`` from the environment. The database alone
never yields a credential; the key alone holds none.
"""

import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with the configured key (key changed?)."""


def _fernet():
    key = settings.VERTEL.get("CREDENTIALS_KEY", "")
    if not key:
        raise ImproperlyConfigured("VERTEL_CREDENTIALS_KEY is not set; channel credentials cannot be stored.")
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(data):
    """Encrypt a dict of credentials; an empty dict is stored as an empty string."""
    if not data:
        return ""
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt(token):
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise CredentialsUnreadable("Channel credentials cannot be decrypted with the configured key.") from exc


def mask(value):
    """What the admin shows of a secret: never more than its last four characters."""
    if not value:
        return ""
    value = str(value)
    return "•" * 8 + (value[-4:] if len(value) >= 12 else "")
