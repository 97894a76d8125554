"""A Facebook page on the Graph API that also answers the comments the inbox reads.

Shaped after https://developers.facebook.com/docs/graph-api/reference/object/comments
(``filter=toplevel`` (default) or ``stream`` (every comment and reply, with ``parent``), ``order``
chronological or reverse_chronological, ``limit``, cursor paging) and the page ``feed`` webhook
(/docs/graph-api/webhooks/reference/page/#feed: ``item: comment``, ``verb`` add/edited/remove,
``comment_id``, ``post_id``, ``parent_id``, ``from``, ``message``, ``created_time`` in Unix seconds).

Seed with :meth:`add_comment`; :meth:`feed_delivery` builds the webhook body Meta would send for a
comment (signed by ``tests.conversations.fakes.webhooks``).
"""

from tests.channels.fakes.facebook import FakeFacebook as PostingFacebook

from .graph import GraphReading, graph_time

APP_SECRET = "facebook-loopback-app-secret"  # noqa: S105  (test value)
VERIFY_TOKEN = "facebook-loopback-verify-token"  # noqa: S105  (test value)


class FakeFacebook(GraphReading, PostingFacebook):
    routes = [("GET", r"/([\d_]+)/comments", "list_comments"), *PostingFacebook.routes]
    business_id = "104729382917465"

    def reset_state(self):
        super().reset_state()
        self.reading_state()
        self.comments = []  # oldest first
        self.app_secret = APP_SECRET
        self.verify_token = VERIFY_TOKEN

    def add_comment(self, post_id, text, *, parent=None, author=("6001", "Anna de Vries"), hidden=False):
        """A comment on ``post_id`` (a reply to comment ``parent``); returns its id."""
        with self.lock:
            comment_id = f"{post_id.split('_')[-1]}_{3000000 + self.new_id()}"
            created = self.tick()
            comment = {
                "id": comment_id,
                "post_id": post_id,
                "message": text,
                "created_time": graph_time(created),
                "unix_time": int(created.timestamp()),
                "from": {"id": author[0], "name": author[1]},
                "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={comment_id.split('_')[-1]}",
                "is_hidden": hidden,
            }
            if parent:
                comment["parent"] = {"id": parent}
            self.comments.append(comment)
        return comment_id

    def comment(self, comment_id):
        return next(c for c in self.comments if c["id"] == comment_id)

    def list_comments(self, request, object_id):
        denied = self._auth(request)
        if denied:
            return denied
        with self.lock:
            if object_id not in self.posts and not any(c["id"] == object_id for c in self.comments):
                return (*self._missing(object_id), self.usage_headers())
            rows = [
                c for c in self.comments if c["post_id"] == object_id or (c.get("parent") or {}).get("id") == object_id
            ]
        if request.query.get("filter", "toplevel") == "toplevel":
            rows = [c for c in rows if "parent" not in c]
        if request.query.get("order") == "reverse_chronological":
            rows = list(reversed(rows))
        fields = request.query.get("fields") or "id,message,created_time,from"
        shown = [self.select({k: v for k, v in c.items() if k not in ("post_id", "unix_time")}, fields) for c in rows]
        body = self.paged(request, f"/{object_id}/comments", shown, maximum=100)
        if body is None:
            return 400, {"error": {"message": "Invalid cursor", "type": "OAuthException", "code": 100}}
        return 200, body, self.usage_headers()

    def _missing(self, object_id):
        return 400, {
            "error": {
                "message": f"Unsupported get request. Object with ID '{object_id}' does not exist",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
            }
        }

    def feed_delivery(self, comment_id, verb="add"):
        comment = self.comment(comment_id)
        value = {
            "from": comment["from"],
            "post": {"id": comment["post_id"], "status_type": "added_photos", "is_published": True},
            "message": comment["message"],
            "post_id": comment["post_id"],
            "comment_id": comment_id,
            "created_time": comment["unix_time"],
            "item": "comment",
            "parent_id": (comment.get("parent") or {}).get("id") or comment["post_id"],
            "verb": verb,
        }
        if verb == "remove":
            value.pop("message")
        return {
            "object": "page",
            "entry": [
                {"id": self.page_id, "time": comment["unix_time"], "changes": [{"field": "feed", "value": value}]}
            ],
        }
