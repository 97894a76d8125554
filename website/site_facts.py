"""Site-wide facts every public page shows (navigation, brand), cached across requests in one place.

Each kind of fact is one entry in the shared page cache (``website.cache_store``: every process,
web workers and the task worker, reads the same one), under a key that carries one generation
token. ``invalidate()`` replaces the token; ``website.cache`` calls it on every purge (a publish, an
unpublish, a withdrawal, a change to the organisation settings or a snippet every page shows), so
every kind is dropped at once.

A request that read the database before a commit and stores its facts after the purge stores them
under the old token, where nobody looks any more; deleting one fixed key instead would let that
stale copy stand for an hour. If the cache fails, the facts are built afresh for the request.
"""

import uuid

from django.core.cache import caches

GENERATION_KEY = "vertel:navigation:generation"
CACHE_SECONDS = 60 * 60


def _cache():
    from .cache_store import ALIAS

    return caches[ALIAS]


def _generation(cache):
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY)
    return token


def cached_facts(prefix, build, *, what, seconds=CACHE_SECONDS):
    """``build()``'s answer, kept under ``prefix`` + the current generation token.

    ``what`` names the facts in the log of a cache failure (``"the navigation"``).
    """
    from .cache_store import report_cache_error

    try:
        cache = _cache()
        # The token is read before the database: see the module's docstring.
        key = prefix + _generation(cache)
        data = cache.get(key)
    except Exception:  # noqa: BLE001 - without a cache every page still gets its facts
        report_cache_error(f"read {what}")
        return build()
    if data is None:
        data = build()
        try:
            cache.set(key, data, seconds)
        except Exception:  # noqa: BLE001
            report_cache_error(f"store {what}")
    return data


def invalidate():
    """Drop every cached kind of site-wide facts (a new generation token); raises if the cache fails."""
    _cache().set(GENERATION_KEY, uuid.uuid4().hex, None)
