"""Fixed-window request counting for the public forms and personal links, and the client's address.

The counter's key holds a keyed digest of what is counted (a client address or a personal link's
token), never the value itself, so the cache (Redis in production) keeps no personal data.

Behind a reverse proxy every request comes from the proxy's address. ``client_address`` takes the
real client from ``X-Forwarded-For`` only when the request comes from an address listed in
``VERTEL_TRUSTED_PROXIES`` (addresses or networks; none by default), reading the header from the
right and skipping every trusted hop, so a client cannot choose its own address by sending the
header itself. A limit that guards a personal link is keyed on the link, never on an address that
other visitors share.

When the cache is down a count cannot be kept: each caller says which side is safe for its limit
(``when_unavailable``): refusing (guessing links: nobody with a valid link is refused) or letting
the request through (a withdrawal, an unsubscribe). A warning names the limit, never the client.
"""

import hashlib
import hmac
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# A cache that is down is reported at most this often per limit and process.
WARNING_SECONDS = 60
_last_warning = {}


def _trusted_networks():
    networks = []
    entries = getattr(settings, "VERTEL_TRUSTED_PROXIES", None) or ()
    if isinstance(entries, str):  # set by hand as in the environment: "127.0.0.1,::1"
        entries = entries.split(",")
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue  # refused when the settings load from the environment; trusts nothing
    return networks


def _parse(value):
    try:
        address = ipaddress.ip_address(value.strip().removeprefix("[").split("]")[0])
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address  # ::ffff:127.0.0.1 is 127.0.0.1


def client_address(request):
    """The address of the client, seen through the trusted proxies only; ``None`` when unknown."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _trusted_networks()
    address = _parse(remote) if remote else None
    if address is None or not networks:
        return remote

    def trusted(candidate):
        return any(candidate in network for network in networks)

    if not trusted(address):
        return remote
    hops = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    nearest = remote
    for part in reversed(hops):
        hop = _parse(part)
        if hop is None:
            break  # what lies to the left of an unreadable entry cannot be trusted
        nearest = str(hop)
        if not trusted(hop):
            return nearest
    return nearest


def _warn(scope, when_unavailable):
    now = time.monotonic()
    if now - _last_warning.get(scope, -WARNING_SECONDS) < WARNING_SECONDS:
        return
    _last_warning[scope] = now
    logger.warning(
        "The cache is unavailable: the rate limit %r cannot count and %s requests until it is back",
        scope,
        "refuses" if when_unavailable else "lets through",
    )


def over_limit(scope, who, limit, window=600, *, when_unavailable=False):
    """Count one hit of ``who`` in ``scope``; True once more than ``limit`` hits fell in ``window`` seconds.

    ``when_unavailable`` is the answer while the cache cannot count: False lets the request through
    (the default: for what must always work), True refuses it (for what only an abuser does).
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{who or '-'}".encode(), hashlib.sha256).hexdigest()
    key = f"vertel:rate:{scope}:{digest[:32]}"
    try:
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, window)
            count = 1
    except Exception:  # noqa: BLE001 - a cache outage must not break the page; the warning names no client
        _warn(scope, when_unavailable)
        return when_unavailable
    return count > limit
