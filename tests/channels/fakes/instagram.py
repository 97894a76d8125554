"""An Instagram business account on the Graph API: media container, media_publish, permalink,
deletion (refused by default, as the API may do), debug_token.

Making a container fetches the image as Instagram does and refuses what Instagram refuses: an
address it cannot fetch (code 9004), anything but a JPEG, and an aspect ratio outside 4:5 to
1.91:1 (code 36003). The fake "fetches" from ``serve(url, data)`` or, for the test site's media
(``/media/...``), from ``MEDIA_ROOT``. ``daily_limit``: publishing answers Instagram's "50 posts in
24 hours" error (code 9, subcode 2207042).
"""

import io
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from .graph import FakeGraph, Messaging, graph_error

TOKEN = "EAAinstagram-loopback-token"  # noqa: S105  (test value)
IG_USER_ID = "17841405822304914"


class FakeInstagram(Messaging, FakeGraph):
    name = "instagram"
    default_token = TOKEN
    scopes = ["instagram_basic", "instagram_content_publish"]
    window_subcode = 2534022
    max_message_chars = 1000
    routes = [
        ("GET", r"/debug_token", "debug_token"),
        ("POST", r"/(\d+)/media", "create_container"),
        ("POST", r"/(\d+)/media_publish", "publish"),
        ("DELETE", r"/(\d+)", "delete"),
        ("GET", r"/(\d+)", "get_object"),
        # Replying and moderating comments (conversations.respond.instagram).
        ("POST", r"/(\d+)/replies", "comment_reply"),
        ("GET", r"/(\d+)/replies", "comment_replies"),
        ("POST", r"/(\d+)", "comment_update"),
        # Private replies: the Send API for Instagram (graph.Messaging).
        ("POST", r"/(\d+)/messages", "send_message"),
    ]

    def reset_state(self):
        super().reset_state()
        self.ig_user_id = IG_USER_ID
        self.refuse_delete = True
        self.daily_limit = False
        self.containers = {}
        self.served = {}  # url -> bytes
        self.objects[IG_USER_ID] = {"username": "zorgutrecht"}
        # Comments on the account's media: id -> fields (``add_comment``).
        self.comments = {}
        self.messaging_state()

    def messaging_owner(self):
        return self.ig_user_id

    def serve(self, url, data):
        """Make ``data`` fetchable at ``url`` (as if it were on a public server)."""
        self.served[url] = data

    def fetch(self, url):
        if url in self.served:
            return self.served[url]
        from django.conf import settings

        path = urlsplit(url).path
        if path.startswith(settings.MEDIA_URL):
            try:
                return (Path(settings.MEDIA_ROOT) / path.removeprefix(settings.MEDIA_URL)).read_bytes()
            except OSError:
                return None
        return None

    def _account(self, request, user_id):
        denied = self._auth(request)
        if denied:
            return denied
        if user_id != self.ig_user_id:
            return graph_error(
                f"Unsupported post request. Object with ID '{user_id}' does not exist",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        return None

    def create_container(self, request, user_id):
        denied = self._account(request, user_id)
        if denied:
            return denied
        image_url = request.form.get("image_url") or ""
        data = self.fetch(image_url) if image_url.startswith(("http://", "https://")) else None
        if data is None:
            return graph_error("The media could not be fetched from this URI", 9004, subcode=2207052)
        try:
            with Image.open(io.BytesIO(data)) as picture:
                kind, (width, height) = picture.format, picture.size
        except OSError:
            kind, width, height = None, 0, 0
        if kind != "JPEG":
            return graph_error("Only photo or video can be accepted as media type.", 9004, subcode=2207026)
        if not 0.8 <= width / height <= 1.91:
            return graph_error(
                f"The submitted image with aspect ratio ('{width / height:.4g}:1') cannot be published. "
                "Please submit an image with a valid aspect ratio.",
                36003,
                subcode=2207009,
            )
        container_id = str(17900000000000000 + self.new_id())
        self.containers[container_id] = dict(request.form)
        return 200, {"id": container_id}

    def publish(self, request, user_id):
        denied = self._account(request, user_id)
        if denied:
            return denied
        if self.daily_limit:
            return graph_error("Application request limit reached", 9, subcode=2207042, status=403)
        container = self.containers.pop(request.form.get("creation_id"), None)
        if container is None:
            return graph_error("Media ID is not available", 9007, subcode=2207027)
        media_id = str(17950000000000000 + self.new_id())
        permalink = f"https://www.instagram.com/p/C{media_id[-8:]}/"
        with self.lock:
            self.posts[media_id] = {**container, "permalink": permalink}
            self.objects[media_id] = {"permalink": permalink, "caption": container.get("caption")}
        return 200, {"id": media_id}

    def delete(self, request, media_id):
        denied = self._auth(request)
        if denied:
            return denied
        if media_id in self.comments:
            # /docs/instagram-platform/comment-moderation: comments on the account's own media may be deleted.
            with self.lock:
                self.comments.pop(media_id)
            return 200, {"success": True}
        if media_id not in self.posts:
            return 404, {"error": {"message": "Media does not exist", "type": "GraphMethodException", "code": 100}}
        if self.refuse_delete:
            return graph_error(
                f"Unsupported delete request. Object with ID '{media_id}' does not support this operation.",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        with self.lock:
            self.posts.pop(media_id)
            self.objects.pop(media_id, None)
        return 200, {"success": True}

    # -- comments: replies, hiding, deleting (/docs/instagram-platform/comment-moderation) ---------

    def get_object(self, request, object_id):
        if object_id in self.comments:
            denied = self._auth(request)
            return denied or (200, self.comment_view(object_id))
        return super().get_object(request, object_id)

    def add_comment(self, media_id, text, *, username="patient", from_id="9990001", parent_id=None, timestamp=None):
        comment_id = str(18000000000000000 + self.new_id())
        comment = {
            "id": comment_id,
            "text": text,
            "username": username,
            "from": {"id": from_id, "username": username},
            "timestamp": timestamp or "2026-01-05T10:00:00+0000",
            "media": {"id": media_id},
            "parent_id": parent_id,
            "hidden": False,
        }
        with self.lock:
            self.comments[comment_id] = comment
        return comment

    def comment_view(self, comment_id):
        return {k: v for k, v in self.comments[comment_id].items() if v is not None}

    def replies_to(self, comment_id):
        with self.lock:
            return [c for c in self.comments.values() if c["parent_id"] == comment_id]

    def comment_reply(self, request, comment_id):
        denied = self._auth(request)
        if denied:
            return denied
        parent = self.comments.get(comment_id)
        if parent is None:
            return graph_error(
                f"Unsupported post request. Object with ID '{comment_id}' does not exist", 100, subcode=33
            )
        if parent["parent_id"]:
            # Replies are one level deep: a reply to a reply is refused.
            return graph_error("(#100) Replies can only be made to top-level comments", 100)
        message = request.form.get("message") or request.query.get("message") or ""
        if not message.strip():
            return graph_error("(#100) The parameter message is required", 100)
        made = self.add_comment(
            parent["media"]["id"], message, username="zorgutrecht", from_id=self.ig_user_id, parent_id=comment_id
        )
        return 200, {"id": made["id"]}

    def comment_replies(self, request, comment_id):
        denied = self._auth(request)
        if denied:
            return denied
        if comment_id not in self.comments:
            return graph_error(f"Object with ID '{comment_id}' does not exist", 100, subcode=33)
        return 200, {"data": [self.comment_view(c["id"]) for c in self.replies_to(comment_id)]}

    def comment_update(self, request, comment_id):
        """``POST /{ig-comment-id}`` with ``hide=true|false``."""
        denied = self._auth(request)
        if denied:
            return denied
        comment = self.comments.get(comment_id)
        if comment is None:
            return graph_error(
                f"Unsupported post request. Object with ID '{comment_id}' does not exist", 100, subcode=33
            )
        hide = request.form.get("hide", request.query.get("hide"))
        if hide is None:
            return graph_error("(#100) The parameter hide is required", 100)
        if comment["from"]["id"] == self.ig_user_id:
            return graph_error("(#100) The account's own comments cannot be hidden", 100)
        with self.lock:
            comment["hidden"] = hide in ("true", "1")
        return 200, {"success": True}
