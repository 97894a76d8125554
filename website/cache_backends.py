"""Redis caches that cost a page nothing while Redis cannot be reached.

A Redis that hangs (a network partition, a stopped server) makes every operation wait for its socket
timeout, several per page: past the worker timeout that is an error page again. Both backends here
open a breaker on a failure: for ``BREAK_SECONDS`` the server is not asked again and every operation
fails at once (``CacheUnavailable``), and the settings give short socket timeouts
(``OPTIONS``, see website/settings/base.py). ``ResilientRedisCache`` (the page cache) still raises,
so ``website.cache`` knows a purge failed; ``FailSafeRedisCache`` (the default cache) acts as below.

The default cache holds what is only ever an optimisation or a count: Wagtail's site root paths
(read on every page that builds a link), the rate limits' counters and the newsletter's mail budget.
With Django's ``RedisCache`` an unreachable Redis turns every such read into a 500, the public pages
and a patient's withdrawal included. Here a failing read is a miss and a failing write is dropped,
with a warning at most once a minute that names the operation, never a key or a value.

``incr`` (and ``decr``) still raise: a counter that cannot count must not pass for one that has
just started, so the rate limiter (``core.ratelimit``) sees the outage and picks its safe side.

The page cache ("pages") is not fail-safe: ``website.cache`` handles its failures itself, and a purge
that fails must be known to have failed (see ``settle_owed_purge`` there).
"""

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

WARNING_SECONDS = 60
BREAK_SECONDS = 5
_last_warning = {}
# Per server (its LOCATION): until when it is not asked again, shared by every thread of the process.
_broken_until = {}


class CacheUnavailable(ConnectionError):
    """The cache server failed a moment ago and is not asked again yet."""


class _BreakerClient:
    """Django's Redis client, with each call refused at once while the server's breaker is open."""

    def __init__(self, client, location):
        self._client = client
        self._location = location

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args, **kwargs):
            if time.monotonic() < _broken_until.get(self._location, 0):
                raise CacheUnavailable(f"the cache server failed less than {BREAK_SECONDS} seconds ago")
            try:
                return attribute(*args, **kwargs)
            except ValueError:
                raise  # incr() of a missing key: an answer, not an outage
            except Exception:
                _broken_until[self._location] = time.monotonic() + BREAK_SECONDS
                raise

        return call


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose failures are fast: see the module's docstring."""

    @functools.cached_property
    def _cache(self):
        return _BreakerClient(self._class(self._servers, **self._options), ",".join(self._servers))


def _warn(operation):
    now = time.monotonic()
    if now - _last_warning.get(operation, -WARNING_SECONDS) >= WARNING_SECONDS:
        _last_warning[operation] = now
        logger.warning("The cache is unavailable (%s failed); going on without it", operation)


class FailSafeRedisCache(ResilientRedisCache):
    def _safely(self, operation, default, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - redis-py's errors and socket errors alike
            _warn(f"{operation}: {type(error).__name__}")
            return default

    def get(self, key, default=None, version=None):
        return self._safely("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._safely("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._safely("has_key", False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely("add", False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely("set_many", list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._safely("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._safely("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._safely("clear", False, super().clear)
