"""A Facebook page, through the Graph API (default https://graph.facebook.com/v26.0).

- ``POST /{page-id}/feed`` with ``message`` and ``link`` (Facebook draws the link preview), or
  ``POST /{page-id}/photos`` with ``url`` (the image's public address) and ``caption`` when there is
  an image; the answer's ``id`` (``post_id`` for photos) is the post's id.
- ``DELETE /{post-id}``. Graph answers code 100 / subcode 33 ("does not exist, cannot be loaded
  due to missing permissions, or does not support this operation") both for a deleted post and
  for one this token may not delete, so the post is looked up (``GET /{post-id}``) before it counts
  as gone; if it is still there, it needs manual removal.
- 63,206 characters. A page token made from a long-lived user token does not expire;
  ``check()`` asks ``GET /debug_token`` for ``is_valid`` and ``expires_at`` (0 = never).
- Duplicates: no idempotency key; an unknown outcome (a read timeout, or a 500/502/504 answer to
  the post) is handed to a person.
"""

from django.utils.translation import gettext_lazy as _

from ._graph import GRAPH_URL_FIELD, META_WEBHOOK_FIELDS, GraphMixin, graph_error
from .base import Adapter, Field, Limits, PermanentError, Result, RetractUnsupported


class FacebookAdapter(GraphMixin, Adapter):
    kind = "facebook"
    label = _("Facebook")
    limits = Limits(max_chars=63206, max_media=1, max_media_bytes=4 * 1024 * 1024)
    config_fields = (
        Field("page_id", _("Page id")),
        GRAPH_URL_FIELD,
    )
    credential_fields = (
        Field(
            "page_access_token",
            _("Page access token"),
            secret=True,
            help_text=_("With pages_manage_posts; made from a long-lived user token it does not expire."),
        ),
        *META_WEBHOOK_FIELDS,
    )
    can_reconcile = False
    idempotency_note = _("None: after an unknown outcome a person checks the page before anything is re-sent.")
    identity_fields = ("page_id",)

    def __init__(self, account):
        super().__init__(account)
        self.graph_setup()
        self.page_id = str(self.config.get("page_id") or "").strip()
        self.token = self.credentials.get("page_access_token", "")

    def compose(self, post):
        if post.media:
            # A photo post has no link preview: the link goes in the caption.
            return super().compose(post)
        return post.text

    def validate(self, post):
        problems = list(super().validate(post))
        if not self.page_id:
            problems.append(_("The Facebook account has no page id."))
        for media in post.media:
            if not media.url.startswith(("https://", "http://")):
                problems.append(_("Facebook fetches the image from its public address, and this image has none."))
        return problems

    def publish(self, post):
        if post.media:
            data = {"url": post.media[0].url, "caption": self.compose(post), "published": "true"}
            answer = self.graph("POST", f"{self.page_id}/photos", data=data, creates=True).json()
            post_id = answer.get("post_id") or answer.get("id")
        else:
            data = {"message": self.compose(post)}
            if post.link:
                data["link"] = post.link
            post_id = self.graph("POST", f"{self.page_id}/feed", data=data, creates=True).json().get("id")
        if not post_id:
            raise PermanentError(_("Facebook accepted the post but gave no id for it."))
        return Result(remote_id=str(post_id), remote_url=f"https://www.facebook.com/{post_id}")

    def retract(self, remote_id, remote_url="", identity=None):
        response = self.graph("DELETE", remote_id, ok_statuses=(400, 404))
        if response.status_code < 400:
            return
        if not (response.status_code == 404 or _does_not_exist(graph_error(response))):
            raise self._http().error(response)
        # "Does not exist" also means "may not be deleted by this token": look before calling it gone.
        lookup = self.graph("GET", remote_id, params={"fields": "id"}, ok_statuses=(400, 404))
        if lookup.status_code == 404 or (lookup.status_code == 400 and _does_not_exist(graph_error(lookup))):
            return
        if lookup.status_code >= 400:
            raise self._http().error(lookup)
        raise RetractUnsupported(
            _("Facebook did not let Vertel delete this post, which is still on the page; remove it by hand."),
            manual_url=remote_url or f"https://www.facebook.com/{remote_id}",
            status=response.status_code,
        )

    def check(self):
        result, _data = self.debug_token()
        page = self.graph("GET", self.page_id, params={"fields": "name,link"}).json()
        result.display_name = page.get("name") or ""
        result.profile_url = page.get("link") or f"https://www.facebook.com/{self.page_id}"
        return result


def _does_not_exist(error):
    """Graph's "object does not exist (or cannot be loaded)": code 100, subcode 33."""
    return error.get("code") == 100 and error.get("error_subcode") == 33
