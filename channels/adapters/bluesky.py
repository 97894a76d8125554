"""Bluesky, through the atproto SDK pointed at the account's PDS (default https://bsky.social).

- Signs in with the handle and an app password (``com.atproto.server.createSession``); app
  passwords do not expire, a revoked one answers 401.
- The post is an ``app.bsky.feed.post`` record made with ``com.atproto.repo.createRecord``: the
  text with the link at the end and a rich-text link facet over it (offsets in UTF-8 *bytes*), and
  an embed: the images with their alt text (``app.bsky.embed.images``, uploaded with
  ``uploadBlob``), or a link card (``app.bsky.embed.external``, with the image as its thumbnail
  when the account's ``image_style`` is ``card``).
- Length: 300 grapheme clusters (and at most 3,000 bytes).
- The post's id is its at-uri; its address https://bsky.app/profile/<did>/post/<rkey>.
- Duplicates: no idempotency key, but ``find_existing`` lists the account's latest posts
  (``listRecords``) and finds the one with this text and link, so ``can_reconcile`` is True.
- A 500/502/504 or a read timeout on ``createRecord`` is an unknown outcome: the dispatcher looks
  for the post (``find_existing``) before anything is sent again.
- Deleting (``deleteRecord``) a record that is already gone succeeds. The post's at-uri names the
  repository (the account's DID) it lives in; when the signed-in account is another one now, the
  post cannot be deleted with these credentials and goes to a person.
"""

import datetime
import hashlib
import threading

import httpx
import regex
from atproto import Client, models
from atproto_client import exceptions as at_errors
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from django.utils.translation import gettext_lazy as _

from ._http import error_for_status, parse_retry_after, redact
from .base import (
    AccountCheck,
    Adapter,
    AuthError,
    Field,
    Limits,
    OutcomeUnknown,
    PermanentError,
    Result,
    RetractUnsupported,
    TransientError,
)

POST_COLLECTION = "app.bsky.feed.post"
MAX_BYTES = 3000
AUTH_ERRORS = {"AuthenticationRequired", "ExpiredToken", "InvalidToken", "AccountTakedown", "AuthFactorTokenRequired"}


# Signed-in sessions kept in this process's memory, by a digest of server, handle and password.
_sessions = {}
_sessions_lock = threading.Lock()


def _cached_session(key):
    with _sessions_lock:
        return _sessions.get(key)


def _remember_session(key, value):
    with _sessions_lock:
        _sessions[key] = value


def forget_session(key=None):
    """Drop one kept session, or all of them (``key=None``)."""
    with _sessions_lock:
        if key is None:
            _sessions.clear()
        else:
            _sessions.pop(key, None)


def grapheme_count(text):
    """Number of user-perceived characters (extended grapheme clusters), as Bluesky counts."""
    return len(regex.findall(r"\X", text))


def link_facet(text, link):
    """The link facet of ``link`` in ``text`` (last occurrence), with UTF-8 byte offsets."""
    start = text.rfind(link)
    if not link or start < 0:
        return None
    byte_start = len(text[:start].encode("utf-8"))
    return {"byteStart": byte_start, "byteEnd": byte_start + len(link.encode("utf-8")), "uri": link}


def post_url(at_uri, fallback_actor=""):
    """https://bsky.app/profile/<did>/post/<rkey> of an ``at://<did>/app.bsky.feed.post/<rkey>``."""
    parts = at_uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        return ""
    actor = parts[0] or fallback_actor
    return f"https://bsky.app/profile/{actor}/post/{parts[2]}"


class BlueskyAdapter(Adapter):
    kind = "bluesky"
    label = _("Bluesky")
    limits = Limits(
        max_chars=300,
        max_media=4,
        max_media_bytes=1_000_000,
        media_types=("image/jpeg", "image/png", "image/webp"),
        max_alt_chars=2000,
        counted_as="graphemes",
    )
    config_fields = (
        Field("handle", _("Handle"), help_text=_("For example ourhospital.bsky.social")),
        Field(
            "pds_url",
            _("Server"),
            required=False,
            help_text=_("Leave empty for https://bsky.social; fill in for a self-hosted PDS."),
        ),
        Field(
            "image_style",
            _("Image as"),
            required=False,
            help_text=_("'images' (default: the image with its alt text) or 'card' (a link card with the image)."),
        ),
        Field(
            "read_direct_messages",
            _("Read direct messages"),
            required=False,
            help_text=_("'yes' to read the account's chats into the inbox; the app password needs DM access."),
        ),
    )
    credential_fields = (
        Field(
            "app_password",
            _("App password"),
            secret=True,
            help_text=_("Made under Settings → Privacy and security → App passwords. Not the account password."),
        ),
    )
    can_reconcile = True
    idempotency_note = _("None on the network: before a re-send Vertel looks for the post among the latest ones.")
    reconcile_window = 100  # latest posts searched by find_existing

    def __init__(self, account):
        super().__init__(account)
        self.handle = (self.config.get("handle") or "").strip().lstrip("@")
        self.pds_url = (self.config.get("pds_url") or "https://bsky.social").rstrip("/")
        self.image_style = self.config.get("image_style") or "images"
        self.app_password = self.credentials.get("app_password", "")
        self._client = None
        self._from_cache = False
        self._use_password = False
        self.did = ""

    def count(self, text):
        return grapheme_count(text)

    def validate(self, post):
        problems = list(super().validate(post))
        if len(self.compose(post).encode("utf-8")) > MAX_BYTES:
            problems.append(_("The text is longer than Bluesky accepts (3,000 bytes)."))
        if not self.handle:
            problems.append(_("The Bluesky account has no handle."))
        return problems

    # -- the client ---------------------------------------------------------------------------

    def client(self):
        """A signed-in client; reuses this process's session of the account when it has one.

        Bluesky limits ``createSession`` (30 per 5 minutes, 300 a day per account), so a session
        is kept in memory (never stored) and refreshed by the SDK; a refused one is dropped and
        the app password used again.
        """
        if self._client is None:
            timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10))
            client = Client(base_url=self.pds_url, request=Request(timeout=timeout))
            cached = None if self._use_password else _cached_session(self._session_key())
            self._from_cache = False
            if cached:
                try:
                    self._call(client.login, session_string=cached, fetch_bsky_profile=False)
                    self._from_cache = True
                except (AuthError, PermanentError):
                    forget_session(self._session_key())
            if not self._from_cache:
                self._call(client.login, self.handle, self.app_password, fetch_bsky_profile=False)
            self.did = client._session.did
            _remember_session(self._session_key(), client.export_session_string())
            client.on_session_change(
                lambda _event, _session: _remember_session(self._session_key(), client.export_session_string())
            )
            self._client = client
        return self._client

    def _session_key(self):
        digest = hashlib.sha256(f"{self.pds_url}|{self.handle.lower()}|{self.app_password}".encode()).hexdigest()
        return digest

    def _repo(self, method, *args, creates=False, **kwargs):
        """Call ``com.atproto.repo.<method>``; once more with a fresh sign-in if a kept session was refused.

        ``creates``: the call makes the post, so an ambiguous failure is an unknown outcome.
        """
        try:
            return self._call(getattr(self.client().com.atproto.repo, method), *args, creates=creates, **kwargs)
        except AuthError:
            if not self._from_cache:
                raise
            forget_session(self._session_key())
            self._client = None
            self._from_cache = False
            self._use_password = True
            return self._call(getattr(self.client().com.atproto.repo, method), *args, creates=creates, **kwargs)

    def _call(self, function, *args, creates=False, **kwargs):
        try:
            return function(*args, **kwargs)
        except at_errors.LoginRequiredError:
            raise AuthError(_("Bluesky asks to sign in again. Reconnect the account.")) from None
        except at_errors.RequestErrorBase as error:
            raise self._map(error, creates=creates) from None
        except AtProtocolError as error:
            raise PermanentError(
                _("Bluesky refused the request: %(detail)s") % {"detail": redact(error, [self.app_password])}
            ) from None

    def _map(self, error, *, creates=False):
        response = getattr(error, "response", None)
        if response is None:
            cause = error.__cause__
            if isinstance(cause, httpx.ConnectTimeout | httpx.ConnectError):
                return TransientError(_("Bluesky could not be reached."))
            timed_out = isinstance(cause, httpx.TimeoutException) or isinstance(error, at_errors.InvokeTimeoutError)
            if timed_out and creates:
                return OutcomeUnknown(_("Bluesky did not answer in time; the request may have arrived."))
            if timed_out:
                return TransientError(_("Bluesky did not answer in time."))
            return TransientError(_("Bluesky could not be reached."))
        content = response.content
        code = getattr(content, "error", None) or ""
        message = getattr(content, "message", None) or code or ""
        message = redact(message, [self.app_password])
        headers = response.headers or {}
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and headers.get("ratelimit-reset"):
            try:
                reset = datetime.datetime.fromtimestamp(int(headers["ratelimit-reset"]), datetime.UTC)
                retry_after = max(0.0, (reset - datetime.datetime.now(datetime.UTC)).total_seconds())
            except (TypeError, ValueError, OverflowError):
                retry_after = None
        auth = response.status_code == 401 or code in AUTH_ERRORS
        return error_for_status(
            response.status_code, str(self.label), message, retry_after=retry_after, auth=auth, creates=creates
        )

    # -- the network --------------------------------------------------------------------------

    def check(self):
        self.client()
        return AccountCheck(
            ok=True,
            message=str(_("Signed in. App passwords do not expire.")),
            display_name="@" + self.handle,
            profile_url=f"https://bsky.app/profile/{self.handle}",
        )

    def _upload(self, media):
        response = self._repo("upload_blob", media.data, headers={"Content-Type": media.content_type})
        return response.blob

    def record(self, post):
        """The ``app.bsky.feed.post`` record of ``post`` (uploads its images)."""
        text = self.compose(post)
        facets = []
        facet = link_facet(text, post.link)
        if facet:
            facets.append(
                models.AppBskyRichtextFacet.Main(
                    index=models.AppBskyRichtextFacet.ByteSlice(
                        byte_start=facet["byteStart"], byte_end=facet["byteEnd"]
                    ),
                    features=[models.AppBskyRichtextFacet.Link(uri=post.link)],
                )
            )
        embed = None
        if post.media and (self.image_style != "card" or not post.link):
            images = []
            for media in post.media:
                ratio = None
                if media.width and media.height:
                    ratio = models.AppBskyEmbedDefs.AspectRatio(width=media.width, height=media.height)
                images.append(
                    models.AppBskyEmbedImages.Image(alt=media.alt, image=self._upload(media), aspect_ratio=ratio)
                )
            embed = models.AppBskyEmbedImages.Main(images=images)
        elif post.link:
            thumb = self._upload(post.media[0]) if post.media else None
            embed = models.AppBskyEmbedExternal.Main(
                external=models.AppBskyEmbedExternal.External(
                    uri=post.link, title=post.title or post.link, description=post.summary or "", thumb=thumb
                )
            )
        return models.AppBskyFeedPost.Record(
            text=text,
            created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            facets=facets or None,
            embed=embed,
            langs=[post.language[:2]] if post.language else None,
        )

    def publish(self, post):
        self.client()
        record = self.record(post)
        created = self._repo(
            "create_record",
            models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection=POST_COLLECTION, record=record),
            creates=True,
        )
        return Result(remote_id=created.uri, remote_url=post_url(created.uri, self.did))

    def identity(self):
        identity = {"pds_url": self.pds_url}
        if self.did:
            identity["did"] = self.did
        return identity

    def identity_changed(self, identity):
        # The DID is the account; its server may move (the PDS address is only recorded).
        did = (identity or {}).get("did")
        return bool(did and self.did and did != self.did)

    def find_existing(self, post):
        self.client()
        text = self.compose(post)
        listed = self._repo(
            "list_records",
            models.ComAtprotoRepoListRecords.Params(
                repo=self.did, collection=POST_COLLECTION, limit=self.reconcile_window
            ),
        )
        for item in listed.records:
            value = item.value
            if _field(value, "text") != text:
                continue
            if post.link and post.link not in _links(value):
                continue
            return Result(remote_id=item.uri, remote_url=post_url(item.uri, self.did))
        return None

    def retract(self, remote_id, remote_url="", identity=None):
        parts = remote_id.removeprefix("at://").split("/")
        if len(parts) != 3:
            raise PermanentError(_("This is not the id of a Bluesky post: %(id)s") % {"id": remote_id})
        repo, collection, rkey = parts
        self.client()
        if repo != self.did:
            raise RetractUnsupported(
                _(
                    "This post was made by another Bluesky account (%(repo)s) than the one signed in now; "
                    "remove it by hand."
                )
                % {"repo": repo},
                manual_url=remote_url,
            )
        try:
            self._repo(
                "delete_record",
                models.ComAtprotoRepoDeleteRecord.Data(repo=repo, collection=collection, rkey=rkey),
            )
        except PermanentError as error:
            if error.status in (400, 404) and "not found" in error.message.lower():
                return  # already gone
            raise


def _field(value, name):
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _links(value):
    """Every link of a post record: its link facets and its link card."""
    links = set()
    for facet in _field(value, "facets") or []:
        for feature in _field(facet, "features") or []:
            uri = _field(feature, "uri")
            if uri:
                links.add(uri)
    external = _field(_field(value, "embed"), "external")
    if external is not None and _field(external, "uri"):
        links.add(_field(external, "uri"))
    return links
