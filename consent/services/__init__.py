"""What happens to consent, one module per job; this package offers them to the apps above.

- ``requests``: create a request for a signer, send its personal link, send it again, revoke it;
- ``signing``: record the signature on a pending request;
- ``codes``: one-time codes for in-person signing;
- ``withdrawal``: withdrawal by the signer, by expiry or by erasure, and what it takes down;
- ``erasure``: erase a person, keeping the proof that past processing was lawful.

Consent's own modules import the job module they need; the apps above (``website.demo``, the
dev tools) and the tests may keep importing from ``consent.services``.
"""

from .codes import OTP_MAX_ATTEMPTS, OTP_MINUTES, check_code, code_locked, send_code
from .erasure import anonymise_person, erase_person
from .requests import create_request, resend, revoke, send_request_email, signing_url
from .signing import sign
from .withdrawal import (
    announce_withdrawal,
    co_consents,
    find_by_withdrawal_token,
    other_language_consents,
    pages_showing,
    take_off_website,
    withdraw,
    withdraw_co_consents,
)

__all__ = [
    "OTP_MAX_ATTEMPTS",
    "OTP_MINUTES",
    "announce_withdrawal",
    "anonymise_person",
    "check_code",
    "co_consents",
    "code_locked",
    "create_request",
    "erase_person",
    "find_by_withdrawal_token",
    "other_language_consents",
    "pages_showing",
    "resend",
    "revoke",
    "send_code",
    "send_request_email",
    "sign",
    "signing_url",
    "take_off_website",
    "withdraw",
    "withdraw_co_consents",
]
