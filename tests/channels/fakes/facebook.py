"""A Facebook page on the Graph API: feed and photo posts, deletion, debug_token.

``refuse_delete``: Graph answers a deletion it does not allow (a token without the right
permission on the post) with the same code 100 / subcode 33 as for a post that does not exist;
the post stays, and ``GET /{post-id}`` still shows it.
"""

from .graph import FakeGraph, Messaging, graph_error

TOKEN = "EAAfacebook-loopback-page-token"  # noqa: S105  (test value)
PAGE_ID = "104729382917465"


class FakeFacebook(Messaging, FakeGraph):
    name = "facebook"
    default_token = TOKEN
    scopes = ["pages_manage_posts", "pages_read_engagement"]
    routes = [
        ("GET", r"/debug_token", "debug_token"),
        ("POST", r"/(\d+)/feed", "feed"),
        ("POST", r"/(\d+)/photos", "photos"),
        ("DELETE", r"/([\d_]+)", "delete"),
        ("GET", r"/([\d_]+)", "get_object"),
        # Replying and moderating comments (conversations.respond.facebook).
        ("POST", r"/([\d_]+)/comments", "comment_reply"),
        ("GET", r"/([\d_]+)/comments", "comment_list"),
        ("POST", r"/([\d_]+)", "comment_update"),
        # Private replies: Messenger's Send API (graph.Messaging).
        ("POST", r"/(\d+)/messages", "send_message"),
    ]

    def reset_state(self):
        super().reset_state()
        self.page_id = PAGE_ID
        self.refuse_delete = False
        self.objects[PAGE_ID] = {"name": "Zorg Utrecht", "link": "https://www.facebook.com/zorgutrecht"}
        # Comments under the page's posts: id -> Graph comment fields (``add_comment``).
        self.comments = {}
        self.messaging_state()

    def messaging_owner(self):
        return self.page_id

    def get_object(self, request, object_id):
        if object_id in self.comments:
            denied = self._auth(request)
            return denied or (200, self.comment_view(object_id))
        if object_id in self.posts:
            denied = self._auth(request)
            return denied or (200, {"id": object_id, "message": self.posts[object_id].get("message", "")})
        return super().get_object(request, object_id)

    def _page(self, request, page_id):
        denied = self._auth(request)
        if denied:
            return denied
        if page_id != self.page_id:
            return graph_error(
                "(#200) The user hasn't authorized the application to perform this action", 200, status=403
            )
        return None

    def feed(self, request, page_id):
        denied = self._page(request, page_id)
        if denied:
            return denied
        if not request.form.get("message") and not request.form.get("link"):
            return graph_error("(#100) The parameter message or link is required", 100)
        post_id = f"{page_id}_{900000000 + self.new_id()}"
        with self.lock:
            self.posts[post_id] = {"kind": "feed", **request.form}
        return 200, {"id": post_id}

    def photos(self, request, page_id):
        denied = self._page(request, page_id)
        if denied:
            return denied
        if not (request.form.get("url") or "").startswith(("http://", "https://")):
            return graph_error("(#100) Invalid parameter: url", 100)
        photo_id = str(800000000 + self.new_id())
        post_id = f"{page_id}_{photo_id}"
        with self.lock:
            self.posts[post_id] = {"kind": "photo", "photo_id": photo_id, **request.form}
        return 200, {"id": photo_id, "post_id": post_id}

    def delete(self, request, object_id):
        denied = self._auth(request)
        if denied:
            return denied
        if object_id in self.comments:
            return self.comment_delete(object_id)
        with self.lock:
            gone = None if self.refuse_delete else self.posts.pop(object_id, None)
        if gone is None:
            return graph_error(
                f"Unsupported delete request. Object with ID '{object_id}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation.",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        return 200, {"success": True}

    # -- comments: replies, hiding, deleting ------------------------------------------------------
    # /docs/graph-api/reference/object/comments and /reference/comment: a comment's ``can_hide`` and
    # ``can_remove`` say what the page may do with it; the page's own comments cannot be hidden.

    def add_comment(self, post_id, message, *, from_id="5550001", from_name="Patiënt", parent_id=None, **fields):
        comment_id = f"{post_id.split('_')[-1]}_{700000000 + self.new_id()}"
        comment = {
            "id": comment_id,
            "message": message,
            "from": {"id": from_id, "name": from_name},
            "created_time": "2026-01-05T10:00:00+0000",
            "post_id": post_id,
            "parent_id": parent_id,
            "is_hidden": False,
            "can_hide": from_id != self.page_id,
            "can_remove": True,
            "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={comment_id}",
            **fields,
        }
        with self.lock:
            self.comments[comment_id] = comment
        return comment

    def comment_view(self, comment_id):
        comment = self.comments[comment_id]
        view = {k: v for k, v in comment.items() if k not in ("post_id", "parent_id")}
        if comment["parent_id"]:
            view["parent"] = {"id": comment["parent_id"]}
        return view

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
        message = request.form.get("message") or ""
        if not message.strip():
            return graph_error("(#100) The parameter message is required", 100)
        made = self.add_comment(
            parent["post_id"], message, from_id=self.page_id, from_name="Zorg Utrecht", parent_id=comment_id
        )
        return 200, {"id": made["id"]}

    def comment_list(self, request, comment_id):
        denied = self._auth(request)
        if denied:
            return denied
        if comment_id not in self.comments and comment_id not in self.posts:
            return graph_error(f"Object with ID '{comment_id}' does not exist", 100, subcode=33)
        found = [self.comment_view(c["id"]) for c in self.comments.values() if c["parent_id"] == comment_id]
        return 200, {"data": found, "paging": {"cursors": {"before": "b", "after": "a"}}}

    def comment_update(self, request, comment_id):
        """``POST /{comment-id}`` with ``is_hidden=true|false`` (or ``message`` to edit our own)."""
        denied = self._auth(request)
        if denied:
            return denied
        comment = self.comments.get(comment_id)
        if comment is None:
            return graph_error(
                f"Unsupported post request. Object with ID '{comment_id}' does not exist", 100, subcode=33
            )
        if "is_hidden" in request.form:
            if not comment["can_hide"]:
                return graph_error("(#100) This comment cannot be hidden", 100)
            with self.lock:
                comment["is_hidden"] = request.form["is_hidden"] in ("true", "1")
        return 200, {"success": True}

    def comment_delete(self, comment_id):
        comment = self.comments[comment_id]
        if not comment["can_remove"]:
            return graph_error("(#200) Permissions error", 200, kind="OAuthException", status=403)
        with self.lock:
            self.comments.pop(comment_id)
        return 200, {"success": True}
