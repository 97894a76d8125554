"""Fixed-window request counting for the public forms and personal links.

The counter's key holds a keyed digest of what is counted (a client address or a personal link's
token), never the value itself, so the cache (Redis in production) keeps no personal data.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def over_limit(scope, who, limit, window=600):
    """Count one hit of ``who`` in ``scope``; True once more than ``limit`` hits fell in ``window`` seconds."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{who or '-'}".encode(), hashlib.sha256).hexdigest()
    key = f"vertel:rate:{scope}:{digest[:32]}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, window)
        count = 1
    return count > limit
