"""A logging filter that keeps the tokens of personal pages out of every log line.

Django logs the path of a 404 or a 500 ("Not Found: /nl/…/withdraw/<token>/"); the token in a
signing, withdrawal or newsletter link is that person's key, so it is replaced by ``[token]``.
"""

import logging
import re

_pattern = None


def _token_pattern():
    global _pattern
    if _pattern is None:
        from website.views import personal_link_prefixes

        prefixes = sorted({re.escape(prefix) for prefix in personal_link_prefixes()}, key=len, reverse=True)
        _pattern = re.compile("(" + "|".join(prefixes) + r")[^/?#\s'\"]+")
    return _pattern


def redact_tokens(text):
    return _token_pattern().sub(r"\1[token]", text)


class RedactPersonalTokens(logging.Filter):
    def filter(self, record):
        try:
            message = record.getMessage()
            redacted = redact_tokens(message)
        except Exception:  # noqa: BLE001  (a log line must never break the request)
            return True
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
