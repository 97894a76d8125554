"""Mastodon, through Mastodon.py pointed at the account's own instance.

- Posts with ``POST /api/v1/statuses`` and an ``Idempotency-Key`` header: Mastodon keeps the key
  for an hour and answers a repeated key with the status it already made, so re-sending after an
  unknown outcome is safe within that hour (``idempotency_window``). There is no search by key, but
  ``find_existing`` asks the network: it lists the account's latest statuses
  (``GET /api/v1/accounts/:id/statuses``) and finds the one with this text, so ``can_reconcile`` is
  True and a post whose outcome is unknown is found even when it must not be sent again (the story
  was withdrawn meanwhile) or the key's hour is over.
- Images go up first with ``POST /api/v2/media`` and their alt text (``description``).
- A 500/502/504 or a read timeout on ``POST /api/v1/statuses`` is an unknown outcome (the status
  may exist): the dispatcher looks for it first, then re-sends with the same key.
- Deleting: ``DELETE /api/v1/statuses/:id`` on the instance the post was made on (recorded with
  the dispatch). Mastodon answers 404 both for a deleted status and for one this token's account
  does not own, so a 404 is confirmed with ``GET /api/v1/statuses/:id`` before it counts as gone.
- Rate limits: a 429 carries ``X-RateLimit-Reset`` as an ISO-8601 time (and no ``Retry-After``).
- Length: grapheme clusters, every URL counts as 23, ``@user@domain`` as ``@user``; the maximum is
  the instance's ``configuration.statuses.max_characters`` (read by ``check()``), else 500.
- Tokens do not expire; a revoked token answers 401.
"""

import html
import io

import regex
import requests
from django.utils.translation import gettext_lazy as _
from mastodon import Mastodon
from mastodon import errors as mastodon_errors

from ._http import error_for_status, parse_retry_after, redact, transport_error
from .base import (
    AccountCheck,
    Adapter,
    AuthError,
    Field,
    Limits,
    PermanentError,
    Result,
    RetractUnsupported,
    TransientError,
)

URL_WEIGHT = 23
DEFAULT_MAX_CHARS = 500
# What Mastodon's composer treats as a link: an http(s) URL, without trailing punctuation.
URL_RE = regex.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'’]")
MENTION_RE = regex.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w")


def mastodon_length(text, url_weight=URL_WEIGHT):
    """Length of ``text`` as Mastodon counts it."""
    text = URL_RE.sub(lambda _match: "x" * url_weight, text)
    text = MENTION_RE.sub(lambda match: "@" + match.group(1), text)
    return len(regex.findall(r"\X", text))


class MastodonAdapter(Adapter):
    kind = "mastodon"
    label = _("Mastodon")
    config_fields = (Field("instance_url", _("Instance address"), help_text=_("For example https://zorg.social")),)
    credential_fields = (
        Field(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=_(
                "From Preferences → Development → New application, with the write:statuses and write:media scopes."
            ),
        ),
    )
    can_reconcile = True
    reconcile_window = 40  # latest statuses searched by find_existing (the API's maximum page)
    # Mastodon keeps an Idempotency-Key for one hour: a re-send within it returns the same status.
    idempotency_window = 3600
    idempotency_note = _("Idempotency-Key header: Mastodon returns the same post for a repeated key within an hour.")
    identity_fields = ("instance_url",)

    def __init__(self, account):
        super().__init__(account)
        self.instance_url = (self.config.get("instance_url") or "").rstrip("/")
        self.token = self.credentials.get("access_token", "")
        instance = self.config.get("instance") or {}
        self.limits = Limits(
            max_chars=int(instance.get("max_characters") or DEFAULT_MAX_CHARS),
            max_media=int(instance.get("max_media_attachments") or 4),
            max_media_bytes=int(instance.get("image_size_limit") or 16 * 1024 * 1024),
            media_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
            max_alt_chars=1500,
            counted_as="characters",
            url_weight=int(instance.get("characters_reserved_per_url") or URL_WEIGHT),
        )
        self._client = None
        self._last_response = None
        self._account_id = ""

    def count(self, text):
        return mastodon_length(text, self.limits.url_weight or URL_WEIGHT)

    def validate(self, post):
        problems = list(super().validate(post))
        if not self.instance_url.startswith(("https://", "http://")):
            problems.append(_("The Mastodon account has no instance address."))
        return problems

    # -- the client ---------------------------------------------------------------------------

    def client(self, instance_url=None):
        """Mastodon.py on the account's instance (or on ``instance_url``, where a post was made)."""
        if instance_url and instance_url.rstrip("/") != self.instance_url:
            return self._make_client(instance_url.rstrip("/"))
        if self._client is None:
            self._client = self._make_client(self.instance_url)
        return self._client

    def _make_client(self, instance_url):
        session = requests.Session()
        session.hooks["response"].append(self._remember)
        return Mastodon(
            access_token=self.token,
            api_base_url=instance_url,
            request_timeout=self.timeout,
            ratelimit_method="throw",
            version_check_mode="none",
            session=session,
            user_agent="Vertel",
        )

    def _remember(self, response, *args, **kwargs):
        self._last_response = response

    def _call(self, method, *args, creates=False, instance_url=None, **kwargs):
        """Call ``method`` of the client; map Mastodon.py's exceptions onto ours.

        ``creates``: the call makes the post, so an ambiguous failure is an unknown outcome.
        """
        self._last_response = None
        try:
            return getattr(self.client(instance_url), method)(*args, **kwargs)
        except mastodon_errors.MastodonNetworkError as error:
            cause = error.__context__ or error.__cause__
            if isinstance(cause, requests.RequestException):
                raise transport_error(cause, str(self.label), creates=creates) from None
            raise TransientError(_("Mastodon could not be reached.")) from None
        except mastodon_errors.MastodonRatelimitError:
            raise TransientError(
                _("Mastodon answered: too many requests."), status=429, retry_after=self._retry_after()
            ) from None
        except mastodon_errors.MastodonAPIError as error:
            raise self._api_error(error, creates=creates) from None
        except mastodon_errors.MastodonError as error:
            raise PermanentError(
                _("Mastodon refused the request: %(detail)s") % {"detail": redact(error, [self.token])}
            ) from None

    def _retry_after(self):
        response = self._last_response
        if response is None:
            return None
        value = parse_retry_after(response.headers.get("Retry-After"))
        if value is None:
            # Mastodon itself sends no Retry-After: the reset time of the limit, in ISO 8601.
            value = parse_retry_after(response.headers.get("X-RateLimit-Reset"))
        return value

    def _api_error(self, error, *, creates=False):
        args = error.args
        status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
        if status is None and self._last_response is not None:
            status = self._last_response.status_code
        message = args[3] if len(args) > 3 and args[3] else (args[2] if len(args) > 2 else "")
        message = redact(message, [self.token])
        if status is None:
            return PermanentError(_("Mastodon refused the request: %(detail)s") % {"detail": message})
        return error_for_status(status, str(self.label), message, retry_after=self._retry_after(), creates=creates)

    # -- the network --------------------------------------------------------------------------

    def check(self):
        account = self._call("account_verify_credentials")
        instance = self._call("instance_v2")
        statuses = _get(instance, "configuration", "statuses") or {}
        media = _get(instance, "configuration", "media_attachments") or {}
        limits = {
            "max_characters": _get(statuses, "max_characters"),
            "max_media_attachments": _get(statuses, "max_media_attachments"),
            "characters_reserved_per_url": _get(statuses, "characters_reserved_per_url"),
            "image_size_limit": _get(media, "image_size_limit"),
        }
        limits = {key: value for key, value in limits.items() if isinstance(value, int) and value > 0}
        if limits and self.account.pk:
            config = {**(self.account.config or {}), "instance": limits}
            type(self.account).objects.filter(pk=self.account.pk).update(config=config)
            self.account.config = config
        return AccountCheck(
            ok=True,
            display_name="@" + str(_get(account, "acct") or ""),
            profile_url=str(_get(account, "url") or ""),
        )

    def publish(self, post):
        media_ids = []
        for media in post.media:
            uploaded = self._call(
                "media_post",
                io.BytesIO(media.data),
                mime_type=media.content_type,
                description=media.alt,
                file_name=media.filename,
                synchronous=True,
            )
            media_ids.append(_get(uploaded, "id"))
        status = self._call(
            "status_post",
            self.compose(post),
            media_ids=media_ids or None,
            visibility="public",
            language=(post.language or "")[:2] or None,
            idempotency_key=post.idempotency_key or None,
            creates=True,
        )
        self._account_id = str(_get(status, "account", "id") or "")
        return Result(remote_id=str(_get(status, "id")), remote_url=str(_get(status, "url") or ""))

    def find_existing(self, post):
        me = self._call("account_verify_credentials")
        account_id = str(_get(me, "id") or "")
        if not account_id:
            return None
        statuses = self._call("account_statuses", account_id, exclude_reblogs=True, limit=self.reconcile_window)
        wanted = _plain_words(self.compose(post))
        for status in statuses or []:
            if _plain_words(html_to_text(str(_get(status, "content") or ""))) == wanted:
                self._account_id = account_id
                return Result(remote_id=str(_get(status, "id")), remote_url=str(_get(status, "url") or ""))
        return None

    def identity(self):
        identity = super().identity()
        if self._account_id:
            identity["account_id"] = self._account_id
        return identity

    def retract(self, remote_id, remote_url="", identity=None):
        instance_url = (identity or {}).get("instance_url") or self.instance_url
        try:
            self._call("status_delete", remote_id, instance_url=instance_url)
        except PermanentError as error:
            if error.status != 404 or isinstance(error, AuthError):
                raise
        else:
            return
        # 404 means "gone" or "not this token's account's post": look before calling it removed.
        try:
            self._call("status", remote_id, instance_url=instance_url)
        except PermanentError as error:
            if error.status == 404 and not isinstance(error, AuthError):
                return  # really gone
            raise
        raise RetractUnsupported(
            _(
                "Mastodon did not delete this post: it is still there, but this account's token cannot delete it "
                "(the account was changed after posting?). Remove it by hand."
            ),
            manual_url=remote_url,
            status=404,
        )


TAG_RE = regex.compile(r"<[^>]*>")
BREAK_RE = regex.compile(r"<br\s*/?>|</p>", regex.IGNORECASE)


def html_to_text(content):
    """The text of a status's HTML ``content`` (links, hashtags and mentions keep their text)."""
    return html.unescape(TAG_RE.sub("", BREAK_RE.sub("\n", content)))


def _plain_words(text):
    """``text`` with every run of white space as one space: Mastodon's HTML keeps no blank lines."""
    return " ".join(text.split())


def _get(value, *keys):
    for key in keys:
        if value is None:
            return None
        try:
            value = value[key]
        except (KeyError, TypeError, IndexError):
            value = getattr(value, key, None)
    return value
