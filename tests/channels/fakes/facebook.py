"""A Facebook page on the Graph API: feed and photo posts, deletion, debug_token.

``refuse_delete``: Graph answers a deletion it does not allow (a token without the right
permission on the post) with the same code 100 / subcode 33 as for a post that does not exist;
the post stays, and ``GET /{post-id}`` still shows it.
"""

from .graph import FakeGraph, graph_error

TOKEN = "EAAfacebook-loopback-page-token"  # noqa: S105  (test value)
PAGE_ID = "104729382917465"


class FakeFacebook(FakeGraph):
    name = "facebook"
    default_token = TOKEN
    scopes = ["pages_manage_posts", "pages_read_engagement"]
    routes = [
        ("GET", r"/debug_token", "debug_token"),
        ("POST", r"/(\d+)/feed", "feed"),
        ("POST", r"/(\d+)/photos", "photos"),
        ("DELETE", r"/([\d_]+)", "delete"),
        ("GET", r"/([\d_]+)", "get_object"),
    ]

    def reset_state(self):
        super().reset_state()
        self.page_id = PAGE_ID
        self.refuse_delete = False
        self.objects[PAGE_ID] = {"name": "Zorg Utrecht", "link": "https://www.facebook.com/zorgutrecht"}

    def get_object(self, request, object_id):
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
