"""The security headers Django's ``SecurityMiddleware`` does not set: the CSP and Permissions-Policy.

The Content-Security-Policy is django-csp's: the strict public policy is ``CONTENT_SECURITY_POLICY``
in the settings; the Wagtail admin and Django's admin get ``VERTEL_ADMIN_CSP_DIRECTIVES`` instead
(they run inline styles and scripts of their own). A view that sets its own policy (django-csp's
decorators or the header itself) keeps it. ``X-Content-Type-Options``, ``Referrer-Policy`` and
``Cross-Origin-Opener-Policy`` come from ``SecurityMiddleware`` (``SECURE_*`` settings).
"""

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings

ADMIN_PREFIXES = ("/admin/", "/django-admin/")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's policy for the admin's addresses."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and request.path.startswith(ADMIN_PREFIXES):
            parts.config = default_config(settings.VERTEL_ADMIN_CSP_DIRECTIVES)
        return parts


class PermissionsPolicyMiddleware:
    """Turns off the browser features no page of the site uses (camera, microphone, location, FLoC)."""

    POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.POLICY)
        return response
