"""HTTP for the readers: the adapters' ``Http`` helper (timeouts, errors mapped, tokens kept out of
messages), with each network's rate-limit answers turned into :class:`~.base.RateLimited`.

- Mastodon: ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (an ISO-8601 time) on every answer;
  a 429 carries no ``Retry-After``.
- Bluesky: 429 with ``ratelimit-reset`` (Unix seconds) or ``Retry-After``.
- Graph: ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (percentages of the budget used; the
  latter with ``estimated_time_to_regain_access`` in minutes). Above ``GRAPH_USAGE_LIMIT`` percent we
  stop before Meta blocks the app.
- LinkedIn: 429 (daily quotas, reset at midnight UTC; ``Retry-After`` when given).
"""

import contextlib
import datetime
import json

from django.utils import timezone

from channels.adapters._http import Http, parse_retry_after

from .base import RateLimited

GRAPH_USAGE_LIMIT = 80  # percent
GRAPH_BACKOFF_MINUTES = 10
# Stop reading a Mastodon account while fewer requests than this are left in its window.
MASTODON_RESERVE = 5
DEFAULT_WAIT = 60


def later(seconds):
    return timezone.now() + datetime.timedelta(seconds=max(1.0, float(seconds)))


def retry_after(response, default=DEFAULT_WAIT):
    headers = response.headers
    seconds = parse_retry_after(headers.get("Retry-After"))
    if seconds is None and headers.get("ratelimit-reset"):
        try:
            reset = datetime.datetime.fromtimestamp(int(headers["ratelimit-reset"]), datetime.UTC)
            seconds = (reset - datetime.datetime.now(datetime.UTC)).total_seconds()
        except (TypeError, ValueError, OverflowError):
            seconds = None
    if seconds is None and headers.get("X-RateLimit-Reset"):
        seconds = parse_retry_after(headers.get("X-RateLimit-Reset"))
    return default if seconds is None else seconds


class Reader429(Http):
    """``Http`` that answers a 429 with :class:`RateLimited` (never a plain error)."""

    def request(self, method, url, **kwargs):
        response = super().request(method, url, ok_statuses=(429,), **kwargs)
        if response.status_code == 429:
            raise RateLimited(later(retry_after(response)))
        return response


def mastodon_budget(response):
    """When Mastodon says the window is (nearly) used up: the time it resets, else None."""
    remaining = response.headers.get("X-RateLimit-Remaining")
    try:
        left = int(remaining) if remaining is not None else None
    except ValueError:
        left = None
    if left is not None and left < MASTODON_RESERVE:
        return later(parse_retry_after(response.headers.get("X-RateLimit-Reset")) or DEFAULT_WAIT)
    return None


def graph_usage(response):
    """When Meta's usage headers say we are above ``GRAPH_USAGE_LIMIT`` percent: when to read again."""
    highest, regain = 0, 0
    for header in ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Page-Usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries = []
        if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
            for value in data.values():
                entries += [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
        elif isinstance(data, dict):
            entries = [data]
        for entry in entries:
            for key in ("call_count", "total_cputime", "total_time"):
                try:
                    highest = max(highest, float(entry.get(key) or 0))
                except (TypeError, ValueError):
                    continue
            with contextlib.suppress(TypeError, ValueError):
                regain = max(regain, float(entry.get("estimated_time_to_regain_access") or 0))
    if highest > GRAPH_USAGE_LIMIT or regain > 0:
        return later(60 * (regain or GRAPH_BACKOFF_MINUTES))
    return None
