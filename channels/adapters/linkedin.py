"""A LinkedIn organisation page, through the versioned REST Posts API.

- ``POST /rest/posts`` with ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``:
  author ``urn:li:organization:<id>``, the commentary (in LinkedIn's "little text" format, so its
  reserved characters are escaped), public feed distribution, ``lifecycleState: PUBLISHED`` and an
  article for the link (with the image as its thumbnail: ``/rest/images?action=initializeUpload``,
  then a PUT of the bytes to the ``uploadUrl``). The post's URN comes back in ``x-restli-id``.
- ``DELETE /rest/posts/{url-encoded URN}``; 404 means it is already gone.
- 3,000 characters. Access tokens last 60 days: the credentials may hold ``expires_at`` (ISO date or
  time), which ``check()`` reports so editors are warned in time.
- Duplicates: LinkedIn has no idempotency key and no search by one; an unknown outcome (a read
  timeout, or a 500/502/504 answer to ``POST /rest/posts``) is handed to a person
  (``can_reconcile`` False).
- Versions: LinkedIn supports each monthly version for about a year, then answers
  ``426 {"code": "NONEXISTENT_VERSION", "message": "Requested version 20241101 is not active"}``.
  ``check()`` warns when the configured version is older than ``VERSION_WARN_MONTHS``.
"""

import datetime
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ._http import Http
from .base import AccountCheck, Adapter, Field, Limits, PermanentError, Result, local_date

DEFAULT_API = "https://api.linkedin.com"
DEFAULT_VERSION = "202610"
# LinkedIn retires a version about a year after its release: warn a month before that.
VERSION_WARN_MONTHS = 11
# Reserved characters of LinkedIn's "little text" commentary format: escaped with a backslash.
LITTLE_TEXT_RESERVED = set("\\|{}@[]()<>#*_~")


def little_text(text):
    return "".join("\\" + char if char in LITTLE_TEXT_RESERVED else char for char in text)


def parse_expiry(value):
    """An aware datetime from an ISO date/time (or Unix seconds), or None."""
    if not value:
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.datetime.fromtimestamp(int(value), datetime.UTC)
    moment = parse_datetime(str(value))
    if moment is None:
        day = parse_date(str(value))
        if day is None:
            return None
        moment = datetime.datetime.combine(day, datetime.time(0, 0))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def version_age_months(version, today=None):
    """Whole months from a ``YYYYMM`` version to ``today``; None when it is not a version."""
    text = str(version or "").strip()
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        return None
    today = today or timezone.localdate()
    return (today.year * 12 + today.month) - (int(text[:4]) * 12 + int(text[4:]))


def linkedin_error(response, http, creates=False):
    """A retired ``LinkedIn-Version`` gets a message that says what to change."""
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("code") == "NONEXISTENT_VERSION":
        return PermanentError(
            _(
                "LinkedIn no longer accepts API version %(version)s (%(detail)s): enter a recent version (YYYYMM) "
                "in the account's settings."
            )
            % {
                "version": response.request.headers.get("LinkedIn-Version", ""),
                "detail": http.clean(data.get("message")),
            },
            status=response.status_code,
        )
    return None


def linkedin_message(response):
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error_description") or data.get("code") or "")
    return ""


class LinkedInAdapter(Adapter):
    kind = "linkedin"
    label = _("LinkedIn")
    limits = Limits(
        max_chars=3000,
        max_media=1,
        max_media_bytes=8 * 1024 * 1024,
        media_types=("image/jpeg", "image/png", "image/gif"),
        max_alt_chars=4086,
    )
    config_fields = (
        Field("organization_id", _("Organisation id"), help_text=_("The number in urn:li:organization:<id>.")),
        Field(
            "api_version",
            _("API version"),
            required=False,
            help_text=format_lazy(_("LinkedIn-Version header, YYYYMM (default {})."), DEFAULT_VERSION),
        ),
        Field(
            "api_url", _("API address"), required=False, help_text=format_lazy(_("Leave empty for {}."), DEFAULT_API)
        ),
    )
    credential_fields = (
        Field(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=_("A member token with w_organization_social, from an admin of the page."),
        ),
        Field(
            "expires_at",
            _("Token expires"),
            required=False,
            help_text=_("When the token stops working (tokens last 60 days), e.g. 2026-03-31."),
        ),
        Field(
            "client_secret",
            _("Client secret"),
            secret=True,
            required=False,
            help_text=_("Of the LinkedIn app; checks the signature of its webhook deliveries to the inbox."),
        ),
    )
    can_reconcile = False
    idempotency_note = _("None: after an unknown outcome a person checks the page before anything is re-sent.")
    identity_fields = ("organization_id",)

    def __init__(self, account):
        super().__init__(account)
        self.organization_id = str(self.config.get("organization_id") or "").strip()
        self.api = (self.config.get("api_url") or DEFAULT_API).rstrip("/")
        self.version = str(self.config.get("api_version") or DEFAULT_VERSION)
        self.token = self.credentials.get("access_token", "")
        self.expires_at = parse_expiry(self.credentials.get("expires_at"))

    @property
    def author(self):
        return f"urn:li:organization:{self.organization_id}"

    def compose(self, post):
        # The link travels as the article; the commentary is the text alone.
        return post.text

    def validate(self, post):
        problems = list(super().validate(post))
        if not self.organization_id.isdigit():
            problems.append(_("The LinkedIn account has no organisation id."))
        return problems

    def _http(self):
        return Http(
            str(self.label), self.timeout, secrets=[self.token], message_of=linkedin_message, error_of=linkedin_error
        )

    def _headers(self, **extra):
        return {
            "Authorization": f"Bearer {self.token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
            **extra,
        }

    def _upload_image(self, http, media):
        answer = http.request(
            "POST",
            f"{self.api}/rest/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": self.author}},
            headers=self._headers(),
        ).json()["value"]
        http.request(
            "PUT",
            answer["uploadUrl"],
            data=media.data,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": media.content_type},
        )
        return answer["image"]

    def publish(self, post):
        http = self._http()
        body = {
            "author": self.author,
            "commentary": little_text(self.compose(post)),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.link:
            article = {"source": post.link, "title": post.title or post.link}
            if post.summary:
                article["description"] = post.summary
            if post.media:
                article["thumbnail"] = self._upload_image(http, post.media[0])
                article["thumbnailAltText"] = post.media[0].alt
            body["content"] = {"article": article}
        elif post.media:
            body["content"] = {"media": {"id": self._upload_image(http, post.media[0]), "altText": post.media[0].alt}}
        response = http.request("POST", f"{self.api}/rest/posts", json=body, headers=self._headers(), creates=True)
        urn = response.headers.get("x-restli-id") or ""
        if not urn:
            raise PermanentError(_("LinkedIn accepted the post but gave no id for it."), status=response.status_code)
        return Result(remote_id=urn, remote_url=f"https://www.linkedin.com/feed/update/{urn}/")

    def retract(self, remote_id, remote_url="", identity=None):
        self._http().request(
            "DELETE",
            f"{self.api}/rest/posts/{quote(remote_id, safe='')}",
            headers=self._headers(),
            ok_statuses=(404, 410),
        )

    def check(self):
        if self.expires_at and self.expires_at <= timezone.now():
            return AccountCheck(
                ok=False,
                expires_at=self.expires_at,
                message=str(
                    _("The LinkedIn token expired on %(date)s. Reconnect the account.")
                    % {"date": local_date(self.expires_at)}
                ),
            )
        response = self._http().request(
            "GET", f"{self.api}/rest/organizations/{self.organization_id}", headers=self._headers()
        )
        data = response.json()
        vanity = data.get("vanityName") or ""
        message = (
            str(_("Connected. The token expires on %(date)s.") % {"date": local_date(self.expires_at)})
            if self.expires_at
            else str(_("Connected. LinkedIn tokens last 60 days: note when this one expires."))
        )
        warning = self.version_warning()
        return AccountCheck(
            ok=True,
            expires_at=self.expires_at,
            message=f"{message} {warning}" if warning else message,
            display_name=data.get("localizedName") or "",
            profile_url=f"https://www.linkedin.com/company/{vanity}/" if vanity else "",
        )

    def version_warning(self, today=None):
        """A sentence for the administrators when the API version is (nearly) retired, else ""."""
        age = version_age_months(self.version, today)
        if age is None:
            return str(_("The API version %(version)s is not a YYYYMM version.") % {"version": self.version})
        if age > VERSION_WARN_MONTHS:
            return str(
                _(
                    "The API version %(version)s is %(months)s months old; LinkedIn retires versions after about a "
                    "year: enter a recent one (for example %(default)s) in the account's settings."
                )
                % {"version": self.version, "months": age, "default": DEFAULT_VERSION}
            )
        return ""
