"""An Instagram business or creator account, through the Graph API's content publishing.

- Every post needs one JPEG at a public absolute address (``Media.url``): ``POST /{ig-user-id}/media``
  with ``image_url``, ``caption`` and ``alt_text`` makes a container, ``POST
  /{ig-user-id}/media_publish`` with ``creation_id`` publishes it and gives the media id;
  ``GET /{media-id}?fields=permalink`` gives its address.
- 2,200 characters. Links in captions are not clickable: the link is written out as text. The
  image's aspect ratio must lie between 4:5 (portrait) and 1.91:1 (landscape).
- At most 50 posts through the API in 24 hours (code 9, subcode 2207042): a transient error that
  waits a day, not a refusal.
- Deleting: the API may refuse to delete a published post. Vertel tries ``DELETE /{media-id}``;
  when Instagram refuses, the post is marked "needs manual removal" with its permalink
  (:class:`RetractUnsupported`). Treat Instagram as a network where removal can be manual.
- Tokens: as for Facebook (``check()`` asks ``/debug_token``).
- Duplicates: no idempotency key; an unknown outcome (a read timeout, or a 500/502/504 answer to
  ``media_publish``) is handed to a person. Making a container publishes nothing, so a failed
  container call is simply retried.
"""

from django.utils.translation import gettext_lazy as _

from ._graph import (
    AUTH_CODES,
    GRAPH_URL_FIELD,
    META_WEBHOOK_FIELDS,
    RATE_CODES,
    TEMPORARY_CODES,
    GraphMixin,
    graph_error,
)
from .base import Adapter, AuthError, Field, Limits, PermanentError, Result, RetractUnsupported, TransientError

# Width / height that Instagram publishes: from 4:5 (portrait) to 1.91:1 (landscape).
MIN_RATIO = 4 / 5
MAX_RATIO = 1.91


class InstagramAdapter(GraphMixin, Adapter):
    kind = "instagram"
    label = _("Instagram")
    limits = Limits(
        max_chars=2200,
        max_media=1,
        max_media_bytes=8 * 1024 * 1024,
        media_types=("image/jpeg",),
        requires_media=True,
    )
    config_fields = (
        Field(
            "ig_user_id",
            _("Instagram account id"),
            help_text=_("The Instagram business account id linked to the page."),
        ),
        GRAPH_URL_FIELD,
    )
    credential_fields = (
        Field(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=_("With instagram_basic and instagram_content_publish."),
        ),
        *META_WEBHOOK_FIELDS,
    )
    # Deleting through the API is not always allowed: removal may fall to a person.
    can_delete = False
    can_reconcile = False
    idempotency_note = _("None: after an unknown outcome a person checks the account before anything is re-sent.")
    identity_fields = ("ig_user_id",)

    def __init__(self, account):
        super().__init__(account)
        self.graph_setup()
        self.ig_user_id = str(self.config.get("ig_user_id") or "").strip()
        self.token = self.credentials.get("access_token", "")

    def validate(self, post):
        problems = list(super().validate(post))
        if not self.ig_user_id:
            problems.append(_("The Instagram account has no account id."))
        for media in post.media:
            if not media.url.startswith(("https://", "http://")):
                problems.append(_("Instagram fetches the image from its public address, and this image has none."))
            if media.width and media.height and not MIN_RATIO <= media.width / media.height <= MAX_RATIO:
                problems.append(
                    _(
                        "Instagram takes images from 4:5 (portrait) to 1.91:1 (landscape); this one is "
                        "%(width)s × %(height)s pixels."
                    )
                    % {"width": media.width, "height": media.height}
                )
        return problems

    def publish(self, post):
        if not post.media:
            raise PermanentError(_("Instagram needs an image."))
        media = post.media[0]
        container = self.graph(
            "POST",
            f"{self.ig_user_id}/media",
            data={"image_url": media.url, "caption": self.compose(post), "alt_text": media.alt},
        ).json()["id"]
        media_id = self.graph(
            "POST", f"{self.ig_user_id}/media_publish", data={"creation_id": container}, creates=True
        ).json()["id"]
        return Result(remote_id=str(media_id), remote_url=self.permalink(media_id))

    def permalink(self, media_id):
        try:
            return self.graph("GET", str(media_id), params={"fields": "permalink"}).json().get("permalink") or ""
        except AuthError:
            raise
        except (TransientError, PermanentError):
            return ""

    def manual_removal_url(self, remote_id, remote_url=""):
        return remote_url or self.permalink(remote_id)

    def retract(self, remote_id, remote_url="", identity=None):
        response = self.graph("DELETE", remote_id, ok_statuses=(400, 403, 404))
        if response.status_code < 400:
            return
        error = graph_error(response)
        if response.status_code == 404:
            return
        if error.get("code") in AUTH_CODES | RATE_CODES | TEMPORARY_CODES or error.get("is_transient"):
            raise self._http().error(response)
        raise RetractUnsupported(
            _("Instagram did not let Vertel delete this post (%(detail)s); remove it in the app.")
            % {"detail": self._http().clean(error.get("message") or response.status_code)},
            manual_url=self.manual_removal_url(remote_id, remote_url),
            status=response.status_code,
        )

    def check(self):
        result, _data = self.debug_token()
        account = self.graph("GET", self.ig_user_id, params={"fields": "username"}).json()
        username = account.get("username") or ""
        result.display_name = f"@{username}" if username else ""
        result.profile_url = f"https://www.instagram.com/{username}/" if username else ""
        return result
