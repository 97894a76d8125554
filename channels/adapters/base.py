"""The one small interface every channel adapter implements.

An adapter module under ``channels.adapters`` defines one subclass of :class:`Adapter` with a
unique ``kind``. The registry (``channels.adapters.get_adapter_class``) finds it by that kind, so
adding a network means adding one module.

The dispatcher calls, in order: ``validate(post)`` (no network), then ``find_existing(post)`` when
an earlier attempt's outcome is unknown (reconciliation), then ``publish(post)`` and
``identity()`` (recorded with the post); later ``retract(remote_id, remote_url, identity=...)``.
Adapters raise the errors below and never swallow them: the dispatcher decides about retries.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

UNIT_LABELS = {"graphemes": _("graphemes"), "characters": _("characters")}

# -- errors -----------------------------------------------------------------------------------


class ChannelError(Exception):
    """Base of adapter errors. ``message`` is safe to show to editors (no secrets)."""

    transient = False

    def __init__(self, message, *, status=None, retry_after=None):
        super().__init__(message)
        self.message = str(message)
        self.status = status
        # Seconds the network asked us to wait (HTTP 429/503 Retry-After), if it said.
        self.retry_after = retry_after


class TransientError(ChannelError):
    """Try again later: timeouts, connection errors, 5xx, 429."""

    transient = True


class OutcomeUnknown(TransientError):
    """The request may have reached the network (e.g. a read timeout after sending).

    The dispatcher must reconcile (``find_existing``) before it publishes again.
    """


class PermanentError(ChannelError):
    """Retrying cannot help: a 4xx refusal, content the network rejects."""


class AuthError(PermanentError):
    """The token is invalid, expired or revoked: the account needs reconnecting."""


class TokenExpired(AuthError):
    """The token is refused because it expired (``expires_at``, when the network says when)."""

    def __init__(self, message, *, expires_at=None, **kwargs):
        super().__init__(message, **kwargs)
        self.expires_at = expires_at


class RetractUnsupported(PermanentError):
    """The network does not let us delete this post through its API.

    ``manual_url`` is where a person can remove it by hand.
    """

    def __init__(self, message, *, manual_url="", **kwargs):
        super().__init__(message, **kwargs)
        self.manual_url = manual_url


# -- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What a network accepts. ``max_chars`` is counted with ``Adapter.count``."""

    max_chars: int
    max_media: int = 1
    max_media_bytes: int = 5 * 1024 * 1024
    media_types: tuple = ("image/jpeg", "image/png")
    max_alt_chars: int = 1000
    requires_media: bool = False
    # How the network counts, shown next to the character counter ("graphemes", "characters").
    counted_as: str = "characters"
    # For Mastodon-style counting: every URL counts as this many characters (None: as written).
    url_weight: int | None = None

    @property
    def unit_label(self):
        """``counted_as`` in the reader's language, for counters and messages."""
        return UNIT_LABELS.get(self.counted_as, self.counted_as)


@dataclass
class Media:
    """An image to attach. ``data`` is the bytes of the file; ``url`` its public absolute URL."""

    data: bytes
    content_type: str
    filename: str
    alt: str
    url: str = ""
    width: int | None = None
    height: int | None = None


@dataclass
class Post:
    """One post for one channel: the composed text, the link back to the story, optional media."""

    text: str
    link: str
    title: str = ""
    summary: str = ""
    language: str = "nl"
    media: list = field(default_factory=list)
    # Stored before the first network call; the same post always carries the same key.
    idempotency_key: str = ""
    # Extra values the webhook sends along (story id, content hash, ...).
    extra: dict = field(default_factory=dict)


@dataclass
class Result:
    """What the network gave back: its id for the post (needed to delete it) and its URL."""

    remote_id: str
    remote_url: str = ""


def local_date(value):
    """A token's end as the organisation reads it: the day in ``TIME_ZONE``, in the active language's format."""
    return formats.date_format(timezone.localtime(value, timezone.get_default_timezone()), "DATE_FORMAT")


@dataclass
class AccountCheck:
    """The outcome of checking an account's credentials (``Adapter.check``)."""

    ok: bool
    message: str = ""
    # When the token stops working, if the network says.
    expires_at: datetime | None = None
    # The account's public name/handle and profile address, for the admin.
    display_name: str = ""
    profile_url: str = ""


@dataclass(frozen=True)
class Field:
    """A setting or credential an account of this kind needs, for the account form."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help_text: str = ""


# -- the interface ----------------------------------------------------------------------------


class Adapter:
    """Subclass once per network. Instances are made per account: ``Adapter(account)``."""

    kind = ""  # unique key stored on ChannelAccount.kind, e.g. "mastodon"
    label = ""  # human name, e.g. "Mastodon"
    limits = Limits(max_chars=500)
    # Non-secret settings (stored on ChannelAccount.config) and secrets (stored encrypted).
    config_fields: tuple = ()
    credential_fields: tuple = ()
    # Whether ``retract`` can delete through the API at all.
    can_delete = True
    # Whether ``find_existing`` can ask the network (reconciliation after an unknown outcome).
    can_reconcile = False
    # Network-side duplicate protection, for the README/admin: e.g. "Idempotency-Key header".
    idempotency_note = _("None: reconciled by looking for the post before sending again.")

    timeout = 20  # seconds, connect + read
    # Settings that say where a post lives (an instance, a page, an organisation): recorded on each
    # dispatch when it is sent (``identity()``), so removal addresses the same place even after
    # someone edited the account, and a post on a place the account no longer reaches goes to a
    # person instead of being called "removed".
    identity_fields: tuple = ()

    def __init__(self, account):
        self.account = account
        self.config = dict(account.config or {})
        self.credentials = account.get_credentials()

    # Counting and validating need no network.

    def count(self, text):
        """Length of ``text`` as the network counts it."""
        return len(text)

    def compose(self, post):
        """The exact text sent (the post's text plus the link, as this network wants it)."""
        if post.link and post.link not in post.text:
            return f"{post.text}\n\n{post.link}".strip()
        return post.text

    def validate(self, post):
        """A list of human-readable problems; empty when the post can be sent."""
        problems = []
        length = self.count(self.compose(post))
        if length > self.limits.max_chars:
            problems.append(
                _("The text is %(length)s %(unit)s long; %(network)s allows %(max)s.")
                % {
                    "length": length,
                    "unit": self.limits.unit_label,
                    "network": self.label,
                    "max": self.limits.max_chars,
                }
            )
        if self.limits.requires_media and not post.media:
            problems.append(_("%(network)s needs an image.") % {"network": self.label})
        if len(post.media) > self.limits.max_media:
            problems.append(
                _("%(network)s takes at most %(max)s images.") % {"network": self.label, "max": self.limits.max_media}
            )
        for media in post.media:
            if media.content_type not in self.limits.media_types:
                problems.append(
                    _("%(network)s does not accept %(type)s images.")
                    % {"network": self.label, "type": media.content_type}
                )
            if len(media.data) > self.limits.max_media_bytes:
                problems.append(
                    _("The image is larger than %(network)s accepts (%(max)s MB).")
                    % {"network": self.label, "max": round(self.limits.max_media_bytes / 1024 / 1024, 1)}
                )
            if not media.alt.strip():
                problems.append(_("Every image needs alt text."))
            elif len(media.alt) > self.limits.max_alt_chars:
                problems.append(
                    _("The alt text is longer than %(network)s accepts (%(max)s characters).")
                    % {"network": self.label, "max": self.limits.max_alt_chars}
                )
        return problems

    # Network calls.

    def check(self):
        """Verify the credentials; return an :class:`AccountCheck`. Raise AuthError if refused."""
        raise NotImplementedError

    def publish(self, post):
        """Post it; return a :class:`Result`. Raise a ChannelError subclass on failure."""
        raise NotImplementedError

    def retract(self, remote_id, remote_url="", identity=None):
        """Delete the post. Deleting one that is already gone is success (idempotent).

        ``identity`` is what ``identity()`` said when the post was made (None for posts older
        than that record): address the delete there. Raise RetractUnsupported when the network
        does not allow it, or when it cannot be confirmed that a post the network calls missing
        is really gone.
        """
        raise NotImplementedError

    def identity(self):
        """Where this account posts (see ``identity_fields``), for the dispatch's record."""
        return {name: str(self.config.get(name) or "").strip().rstrip("/") for name in self.identity_fields}

    def identity_changed(self, identity):
        """True when the account now posts somewhere other than ``identity`` (a dispatch's record)."""
        current = self.identity()
        for name, value in (identity or {}).items():
            now = current.get(name)
            if value and now and str(value).strip().rstrip("/").lower() != str(now).strip().rstrip("/").lower():
                return True
        return False

    def find_existing(self, post):
        """After an unknown outcome: the :class:`Result` of a post already made with this
        ``post.idempotency_key``/link, or None. Only called when ``can_reconcile``."""
        return None

    def manual_removal_url(self, remote_id, remote_url=""):
        """Where a person removes the post by hand."""
        return remote_url
