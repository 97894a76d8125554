"""HTTP helpers shared by the adapters that speak to their network with ``requests``.

One place maps transport failures and HTTP answers onto the adapter errors of ``base``:

- connection refused/reset and connect timeouts: :class:`TransientError` (nothing was sent);
- a read timeout after the request went out: :class:`OutcomeUnknown` (it may have arrived);
- 429, 503 and other 5xx: :class:`TransientError`, with ``retry_after`` from ``Retry-After``
  (seconds, an HTTP date or an ISO-8601 time);
- but on a call that *creates* something (``creates=True``: posting), a 5xx other than 503 (500,
  502, 504, ...) is :class:`OutcomeUnknown`: a proxy or a crashing server may answer so after the
  network stored the post, so it is reconciled, never blindly sent again. 503 and 429 say the
  request was not handled, so a plain retry is safe;
- 401: :class:`AuthError`; any other 4xx: :class:`PermanentError` with the network's message.

Messages never contain a token: the request URL (which may carry one in its query) is never
quoted, and known secrets are blanked out of what the network says. ``RedactUrlSecrets`` keeps
tokens in query strings out of urllib3's DEBUG log (installed by ``LOGGING`` in the settings).
"""

import datetime
import email.utils
import logging
import re

import requests
from django.utils.translation import gettext as _

from .base import AuthError, OutcomeUnknown, PermanentError, TransientError

logger = logging.getLogger("channels.adapters")

MAX_MESSAGE = 300


# A 5xx on a creating call whose request plainly was not handled: a retry cannot make a duplicate.
NOT_HANDLED_5XX = {501, 503, 505}


def parse_retry_after(value):
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or None.

    Also takes an ISO-8601 time, as Mastodon's ``X-RateLimit-Reset`` gives it
    (``2026-11-29T21:05:00.000Z``).
    """
    if value is None or value == "":
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        try:
            when = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


# Query parameters that carry a secret in some network's documented calls (Graph's debug_token
# takes the token it inspects as ``input_token``).
SECRET_QUERY = re.compile(
    r"([?&](?:access_token|input_token|token|client_secret|app_secret|appsecret_proof|password)=)[^&\s\"']*",
    re.IGNORECASE,
)


class RedactUrlSecrets(logging.Filter):
    """A logging filter that blanks secret query parameters out of a record (urllib3 logs every
    request line, query included, at DEBUG)."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to break
            return True
        if SECRET_QUERY.search(message):
            record.msg = SECRET_QUERY.sub(r"\1[redacted]", message)
            record.args = ()
        return True


def redact(text, secrets=()):
    """``text`` without any of ``secrets`` in it, cut to a readable length."""
    text = str(text or "")
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            text = text.replace(str(secret), "[redacted]")
    return text[:MAX_MESSAGE]


def transport_error(error, label, *, creates=True):
    """The adapter error for a ``requests`` exception raised before an answer arrived.

    A read timeout is an unknown outcome on a call that creates a post (``creates``); on any other
    call (an upload, a lookup, a delete) nothing can be duplicated, so it is a plain retry.
    """
    if isinstance(error, requests.ConnectTimeout):
        return TransientError(_("%(network)s could not be reached in time.") % {"network": label})
    if isinstance(error, requests.Timeout) and not creates:
        return TransientError(_("%(network)s did not answer in time.") % {"network": label})
    if isinstance(error, requests.Timeout):
        # ReadTimeout: the request was sent; the network may have acted on it.
        return OutcomeUnknown(
            _("%(network)s did not answer in time; the request may have arrived.") % {"network": label}
        )
    if isinstance(error, requests.ConnectionError):
        return TransientError(_("%(network)s could not be reached.") % {"network": label})
    return TransientError(_("The request to %(network)s failed.") % {"network": label})


def error_for_status(status, label, message="", *, retry_after=None, auth=False, creates=False):
    """The adapter error for an HTTP error answer (``status`` >= 400).

    ``creates``: the request would have made something on the network (a post), so a 5xx that
    may come after the network acted is an unknown outcome.
    """
    detail = message or _("HTTP %(status)s") % {"status": status}
    text = _("%(network)s answered: %(detail)s") % {"network": label, "detail": detail}
    if status == 401 or auth:
        return AuthError(
            _("%(network)s refused the token (%(detail)s). Reconnect the account.")
            % {"network": label, "detail": detail},
            status=status,
        )
    if creates and status >= 500 and status not in NOT_HANDLED_5XX:
        return OutcomeUnknown(
            _("%(network)s answered with an error after the post was sent (%(detail)s): it may have been made.")
            % {"network": label, "detail": detail},
            status=status,
            retry_after=retry_after,
        )
    if status == 429 or status >= 500 or status == 408:
        return TransientError(text, status=status, retry_after=retry_after)
    return PermanentError(text, status=status)


class Http:
    """A small ``requests`` wrapper: timeout on every call, errors mapped, secrets kept out."""

    def __init__(self, label, timeout, secrets=(), message_of=None, error_of=None):
        self.label = label
        self.timeout = timeout
        self.secrets = [s for s in secrets if s]
        self.session = requests.Session()
        # ``message_of(response)``: the network's own error text; ``error_of(response)``: a
        # network-specific error (or None to fall back on the status code).
        self.message_of = message_of or default_message
        self.error_of = error_of

    def request(self, method, url, *, ok_statuses=(), creates=False, **kwargs):
        """Send the request; return the response, or raise the adapter error for the failure.

        ``creates``: the call makes a post, so an ambiguous 5xx is an unknown outcome.
        """
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as error:
            logger.info("%s request to %s failed (%s).", method, self.label, type(error).__name__)
            raise transport_error(error, self.label, creates=creates) from None
        if response.status_code < 400 or response.status_code in ok_statuses:
            return response
        raise self.error(response, creates=creates)

    def error(self, response, *, creates=False):
        if self.error_of is not None:
            mapped = self.error_of(response, self, creates=creates)
            if mapped is not None:
                return mapped
        return error_for_status(
            response.status_code,
            self.label,
            self.clean(self.message_of(response)),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            creates=creates,
        )

    def clean(self, text):
        return redact(text, self.secrets)


def default_message(response):
    try:
        data = response.json()
    except ValueError:
        return (response.text or "").strip()[:MAX_MESSAGE]
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return ""
