"""A Redis cache that behaves like an empty one while Redis cannot be reached.

The default cache holds what is only ever an optimisation or a count: Wagtail's site root paths
(read on every page that builds a link), the rate limits' counters and the newsletter's mail budget.
With Django's ``RedisCache`` an unreachable Redis turns every such read into a 500, the public pages
and a patient's withdrawal included. Here a failing read is a miss and a failing write is dropped,
with a warning at most once a minute that names the operation, never a key or a value.

``incr`` (and ``decr``) still raise: a counter that cannot count must not pass for one that has
just started, so the rate limiter (``website.ratelimit``) sees the outage and picks its safe side.

The page cache ("pages") keeps Django's own backend: ``website.cache`` handles its failures itself,
and a purge that fails must be known to have failed.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

WARNING_SECONDS = 60
_last_warning = {}


def _warn(operation):
    now = time.monotonic()
    if now - _last_warning.get(operation, -WARNING_SECONDS) >= WARNING_SECONDS:
        _last_warning[operation] = now
        logger.warning("The cache is unavailable (%s failed); going on without it", operation)


class FailSafeRedisCache(RedisCache):
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
