"""What every personal consent page shares: the client's address, the rate limits, the response headers.

These pages are personal: never indexed, never cached, CSRF-protected, rate-limited, and they
show nothing about a story to someone without a valid link.
"""

from django.shortcuts import render

from core.ratelimit import client_address, over_limit

RATE_LIMIT = 30  # requests per link, and invented links per client address, per window
RATE_WINDOW = 600  # seconds


def client_ip(request):
    """The client's address, through the trusted proxies only (``VERTEL_TRUSTED_PROXIES``)."""
    return client_address(request)


def rate_limited(request, scope, token=None, when_unavailable=False):
    """Count hits per address, or per link when ``token`` is given (see website.ratelimit)."""
    who = token if token is not None else client_ip(request)
    return over_limit(scope, who, RATE_LIMIT, RATE_WINDOW, when_unavailable=when_unavailable)


def guess_refused(request, scope):
    """An invented link: limited per client address, and refused while the count cannot be kept.

    Only links that match nothing are counted per address, so junk from anyone behind the same
    proxy never refuses a valid link, whose own count only its holders can fill.
    """
    return rate_limited(request, scope, when_unavailable=True)


def personal_page(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: with no-referrer browsers post forms with "Origin: null", which
    # fails Django's CSRF origin check. Other sites still never see the address with its token.
    response["Referrer-Policy"] = "same-origin"
    return response
