"""Meta's Graph API, shared by the Facebook page and Instagram business account adapters.

The token goes in the ``Authorization: Bearer`` header, never in a URL we could log. Graph
errors come as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``: code
190 (and 102, 463, 467) is an invalid/expired/revoked token; codes 4, 17, 32, 613 and 80001-80014
are rate limits (often sent with HTTP 400, so they are mapped by code, not status); codes 1 and 2
are temporary. Instagram's "50 posts in 24 hours" (code 9, subcode 2207042) waits a day.

``debug_token`` takes the token it inspects as the ``input_token`` query parameter (Graph documents
no other way); ``channels.adapters._http.RedactUrlSecrets`` keeps it out of urllib3's DEBUG log.
"""

import datetime

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ._http import NOT_HANDLED_5XX, Http, error_for_status, parse_retry_after
from .base import AccountCheck, AuthError, Field, TokenExpired, TransientError, local_date

# v26.0 (29 July 2026) is served until at least mid-2028; Graph answers a call to a retired version
# as the oldest version still served, so an old address keeps working until the fields change.
DEFAULT_GRAPH = "https://graph.facebook.com/v26.0"
AUTH_CODES = {102, 190, 463, 467}
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
TEMPORARY_CODES = {1, 2}
# Instagram: at most 50 API-published posts in a moving 24-hour window.
DAILY_LIMIT = (9, 2207042)
DAY = 86400

GRAPH_URL_FIELD = Field(
    "graph_url",
    _("Graph API address"),
    required=False,
    help_text=format_lazy(_("Leave empty for {}."), DEFAULT_GRAPH),
)

# The secrets of the Meta app whose webhooks bring a page's or an Instagram account's comments and
# messages to the inbox (``conversations.webhooks``): optional, the account posts without them.
META_WEBHOOK_FIELDS = (
    Field(
        "app_secret",
        _("App secret"),
        secret=True,
        required=False,
        help_text=_(
            "Of the Meta app whose webhooks bring comments and messages to the inbox; "
            "checks each delivery's signature."
        ),
    ),
    Field(
        "webhook_verify_token",
        _("Webhook verify token"),
        secret=True,
        required=False,
        help_text=_("Any long random text; enter the same in the Meta app's webhook settings."),
    ),
)


def graph_error(response):
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def map_graph_error(response, http, creates=False):
    error = graph_error(response)
    code = error.get("code")
    message = http.clean(error.get("message") or "")
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if code in AUTH_CODES or response.status_code == 401:
        return error_for_status(401, http.label, message, auth=True)
    if (code, error.get("error_subcode")) == DAILY_LIMIT:
        return TransientError(
            _("%(network)s allows 50 posts in 24 hours through its API; this one is tried again in a day.")
            % {"network": http.label},
            status=response.status_code,
            retry_after=max(DAY, retry_after or 0),
        )
    if code in RATE_CODES:
        return TransientError(
            _("%(network)s answered: %(detail)s") % {"network": http.label, "detail": message or "rate limited"},
            status=429 if response.status_code < 500 else response.status_code,
            retry_after=retry_after,
        )
    if creates and response.status_code >= 500 and response.status_code not in NOT_HANDLED_5XX:
        # "Unexpected error, retry later" after a post request may come after the post was made.
        return error_for_status(response.status_code, http.label, message, retry_after=retry_after, creates=True)
    if code in TEMPORARY_CODES or error.get("is_transient"):
        return TransientError(
            _("%(network)s answered: %(detail)s") % {"network": http.label, "detail": message},
            status=response.status_code,
            retry_after=retry_after,
        )
    return error_for_status(response.status_code, http.label, message, retry_after=retry_after, creates=creates)


class GraphMixin:
    """``graph_url`` from the account settings, ``token`` set by the adapter."""

    token = ""

    def graph_setup(self):
        self.graph_url = (self.config.get("graph_url") or DEFAULT_GRAPH).rstrip("/")

    def _http(self):
        return Http(str(self.label), self.timeout, secrets=[self.token], error_of=map_graph_error)

    def graph(self, method, path, *, ok_statuses=(), creates=False, **kwargs):
        """Call ``path`` of the Graph API; ``creates`` for the call that makes the post."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        url = f"{self.graph_url}/{path.lstrip('/')}"
        return self._http().request(method, url, headers=headers, ok_statuses=ok_statuses, creates=creates, **kwargs)

    def debug_token(self):
        """``GET /debug_token``: whether the token is valid and when it expires."""
        data = self.graph("GET", "debug_token", params={"input_token": self.token}).json().get("data") or {}
        expires = data.get("expires_at") or 0
        expires_at = datetime.datetime.fromtimestamp(expires, datetime.UTC) if expires else None
        if not data.get("is_valid"):
            message = (data.get("error") or {}).get("message") or _("The token is no longer valid.")
            text = _("%(network)s refused the token (%(detail)s). Reconnect the account.") % {
                "network": self.label,
                "detail": self._http().clean(message),
            }
            if expires_at is not None and expires_at <= datetime.datetime.now(datetime.UTC):
                raise TokenExpired(text, expires_at=expires_at)
            raise AuthError(text)
        return AccountCheck(
            ok=True,
            expires_at=expires_at,
            message=str(
                _("Connected. The token expires on %(date)s.") % {"date": local_date(expires_at)}
                if expires_at
                else _("Connected. The token does not expire.")
            ),
        ), data
