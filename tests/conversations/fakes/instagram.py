"""An Instagram professional account on the Graph API that also answers the comments the inbox reads.

Shaped after https://developers.facebook.com/docs/instagram-platform/reference/ig-media/comments
(top-level comments; ``replies`` expandable as a field), /ig-comment/replies, the ``comments`` and
``mentions`` webhook fields (/docs/instagram-platform/webhooks: ``comments`` carries ``id``,
``text``, ``from{id,username}``, ``media{id}`` and ``parent_id`` for a reply; ``mentions`` only
``media_id`` and ``comment_id``), and ``GET /{ig-user-id}?fields=mentioned_comment.comment_id(..)``.

``nested_limit``: how many replies a comment's expanded ``replies`` field holds before it pages
(then the reader follows ``/{comment-id}/replies``).
"""

import re

from tests.channels.fakes.instagram import FakeInstagram as PostingInstagram

from .facebook import APP_SECRET, VERIFY_TOKEN
from .graph import GraphReading, encode, graph_time


class FakeInstagram(GraphReading, PostingInstagram):
    routes = [
        ("GET", r"/(\d+)/comments", "list_comments"),
        ("GET", r"/(\d+)/replies", "replies"),
        *PostingInstagram.routes,
    ]
    business_id = "17841405822304914"

    def reset_state(self):
        super().reset_state()
        self.reading_state()
        self.comments = []
        self.nested_limit = 25
        self.app_secret = APP_SECRET
        self.verify_token = VERIFY_TOKEN

    def add_comment(self, media_id, text, *, parent=None, author=("7001", "anna.devries"), hidden=False):
        with self.lock:
            comment_id = str(18000000000000000 + self.new_id())
            created = self.tick()
            comment = {
                "id": comment_id,
                "text": text,
                "timestamp": graph_time(created),
                "unix_time": int(created.timestamp()),
                "username": author[1],
                "from": {"id": author[0], "username": author[1]},
                "hidden": hidden,
                "media": {"id": media_id},
                "like_count": 0,
            }
            if parent:
                comment["parent_id"] = parent
            self.comments.append(comment)
        return comment_id

    def comment(self, comment_id):
        return next(c for c in self.comments if c["id"] == comment_id)

    def _view(self, comment, fields):
        row = {k: v for k, v in comment.items() if k != "unix_time"}
        return self.select(row, fields)

    def _nested_fields(self, fields):
        found = re.search(r"replies\{(.*)\}", fields or "")
        return found.group(1) if found else None

    def list_comments(self, request, media_id):
        denied = self._auth(request)
        if denied:
            return denied
        if media_id not in self.posts:
            return 400, {"error": {"message": "Media does not exist", "type": "GraphMethodException", "code": 100}}
        fields = request.query.get("fields") or "id,text,timestamp"
        nested = self._nested_fields(fields)
        rows = []
        with self.lock:
            top = [c for c in self.comments if c["media"]["id"] == media_id and "parent_id" not in c]
            for comment in top:
                row = self._view(comment, fields)
                if nested is not None:
                    replies = [self._view(r, nested) for r in self.comments if r.get("parent_id") == comment["id"]]
                    row["replies"] = {"data": replies[: self.nested_limit]}
                    if len(replies) > self.nested_limit:
                        after = encode(self.nested_limit - 1)
                        row["replies"]["paging"] = {
                            "cursors": {"after": after},
                            "next": f"{self.url}/{comment['id']}/replies?after={after}",
                        }
                rows.append(row)
        body = self.paged(request, f"/{media_id}/comments", rows, maximum=50)
        if body is None:
            return 400, {"error": {"message": "Invalid cursor", "type": "OAuthException", "code": 100}}
        return 200, body, self.usage_headers()

    def replies(self, request, comment_id):
        denied = self._auth(request)
        if denied:
            return denied
        fields = request.query.get("fields") or "id,text,timestamp"
        with self.lock:
            rows = [self._view(c, fields) for c in self.comments if c.get("parent_id") == comment_id]
        body = self.paged(request, f"/{comment_id}/replies", rows, maximum=50)
        return 200, body or {"data": []}, self.usage_headers()

    def get_object(self, request, object_id):
        fields = request.query.get("fields") or ""
        found = re.match(r"mentioned_comment\.comment_id\((\d+)\)\{(.*)\}$", fields)
        if object_id == self.ig_user_id and found:
            denied = self._auth(request)
            if denied:
                return denied
            comment = next((c for c in self.comments if c["id"] == found.group(1)), None)
            if comment is None:
                return 400, {"error": {"message": "Invalid comment id", "type": "OAuthException", "code": 100}}
            row = self._view(comment, found.group(2))
            if "media" in row:
                row["media"] = {
                    "id": comment["media"]["id"],
                    "permalink": f"https://www.instagram.com/p/X{comment['media']['id'][-6:]}/",
                }
            return 200, {"mentioned_comment": row, "id": object_id}
        return super().get_object(request, object_id)

    def comments_delivery(self, comment_id):
        comment = self.comment(comment_id)
        value = {
            "from": comment["from"],
            "media": {"id": comment["media"]["id"], "media_product_type": "FEED"},
            "id": comment_id,
            "text": comment["text"],
        }
        if comment.get("parent_id"):
            value["parent_id"] = comment["parent_id"]
        return {
            "object": "instagram",
            "entry": [
                {
                    "id": self.ig_user_id,
                    "time": comment["unix_time"],
                    "changes": [{"field": "comments", "value": value}],
                }
            ],
        }

    def mention_delivery(self, comment_id):
        comment = self.comment(comment_id)
        return {
            "object": "instagram",
            "entry": [
                {
                    "id": self.ig_user_id,
                    "time": comment["unix_time"],
                    "changes": [
                        {"field": "mentions", "value": {"media_id": comment["media"]["id"], "comment_id": comment_id}}
                    ],
                }
            ],
        }
