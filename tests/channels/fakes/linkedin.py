"""LinkedIn's versioned REST API: Posts, Images (initializeUpload + upload URL), Organizations.

Shaped after https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
and .../images-api. Every /rest call needs ``LinkedIn-Version: YYYYMM`` and
``X-Restli-Protocol-Version: 2.0.0``; a created post's URN comes back in ``x-restli-id``.

Versions: LinkedIn serves each monthly version for about a year. The fake refuses a version older
than ``SUPPORTED_MONTHS`` (and one from the future) as LinkedIn does:
``426 {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 20241101 is
not active"}`` (the version written as YYYYMM01).
"""

import datetime
import re
from urllib.parse import unquote

from .base import FakeNetwork

SUPPORTED_MONTHS = 12


def active_version(today=None, months_back=1):
    """A version LinkedIn would serve today: ``months_back`` months ago, as YYYYMM."""
    today = today or datetime.date.today()
    months = today.year * 12 + today.month - 1 - months_back
    return f"{months // 12}{months % 12 + 1:02d}"


TOKEN = "linkedin-loopback-token"  # noqa: S105  (test value)
ORGANIZATION = "5515715"


class FakeLinkedIn(FakeNetwork):
    name = "linkedin"
    routes = [
        ("POST", r"/rest/posts", "create_post"),
        ("DELETE", r"/rest/posts/(.+)", "delete_post"),
        ("POST", r"/rest/images", "initialize_upload"),
        ("PUT", r"/upload/(\w+)", "upload"),
        ("GET", r"/rest/organizations/(\d+)", "organization"),
        # Comments (conversations.respond.linkedin).
        ("POST", r"/rest/socialActions/(.+)/comments", "create_comment"),
        ("GET", r"/rest/socialActions/(.+)/comments", "list_comments"),
    ]

    def reset_state(self):
        self.token = TOKEN
        self.organization_id = ORGANIZATION
        self.images = {}  # urn -> bytes (None until uploaded)
        self.upload_urls = {}  # upload id -> image urn
        # Comments: comment urn -> {"actor", "object", "message", "parentComment"} (``add_comment``).
        self.comments = {}

    def scripted_body(self, status):
        return {"status": status, "message": f"Scripted failure {status}"}

    def _check(self, request, *, rest=True):
        if self.revoked:
            return 401, {
                "status": 401,
                "serviceErrorCode": 65601,
                "code": "REVOKED_ACCESS_TOKEN",
                "message": "The token used in the request has been revoked by the user",
            }
        if request.header("Authorization") != f"Bearer {self.token}":
            return 401, {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            }
        if rest:
            version = request.header("LinkedIn-Version") or ""
            if not re.fullmatch(r"20\d{4}", version):
                return 400, {
                    "status": 400,
                    "code": "VERSION_MISSING",
                    "message": "A version must be present. "
                    "Please specify a version by adding the LinkedIn-Version header.",
                }
            today = datetime.date.today()
            age = (today.year * 12 + today.month) - (int(version[:4]) * 12 + int(version[4:]))
            if not 0 <= age <= SUPPORTED_MONTHS:
                return 426, {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version}01 is not active",
                }
            if request.header("X-Restli-Protocol-Version") != "2.0.0":
                return 400, {"status": 400, "message": "X-Restli-Protocol-Version 2.0.0 is required"}
        return None

    def create_post(self, request):
        refused = self._check(request)
        if refused:
            return refused
        body = request.json or {}
        problems = []
        if body.get("author") != f"urn:li:organization:{self.organization_id}":
            problems.append("/author: not an organization you administer")
        if body.get("lifecycleState") != "PUBLISHED":
            problems.append("/lifecycleState: must be PUBLISHED")
        if (body.get("distribution") or {}).get("feedDistribution") != "MAIN_FEED":
            problems.append("/distribution/feedDistribution: missing")
        if not isinstance(body.get("commentary"), str) or len(body["commentary"]) > 3000 * 2:
            problems.append("/commentary: invalid")
        article = (body.get("content") or {}).get("article")
        if article is not None and (not article.get("source") or not article.get("title")):
            problems.append("/content/article: source and title are required")
        thumbnail = (article or {}).get("thumbnail")
        if thumbnail and self.images.get(thumbnail) is None:
            problems.append("/content/article/thumbnail: image not uploaded")
        if problems:
            return 422, {"status": 422, "code": "UNPROCESSABLE_ENTITY", "message": "; ".join(problems)}
        urn = f"urn:li:share:{7100000000000000000 + self.new_id()}"
        with self.lock:
            self.posts[urn] = body
        return 201, None, {"x-restli-id": urn, "x-linkedin-id": urn}

    def delete_post(self, request, encoded):
        refused = self._check(request)
        if refused:
            return refused
        urn = unquote(encoded)
        with self.lock:
            gone = self.posts.pop(urn, None)
        if gone is None:
            return 404, {"status": 404, "message": f"Not found: {urn}"}
        return 204, None

    def initialize_upload(self, request):
        refused = self._check(request)
        if refused:
            return refused
        if request.query.get("action") != "initializeUpload":
            return 400, {"status": 400, "message": "Unknown action"}
        owner = ((request.json or {}).get("initializeUploadRequest") or {}).get("owner")
        if owner != f"urn:li:organization:{self.organization_id}":
            return 403, {"status": 403, "message": "Not enough permissions to upload for this owner"}
        number = self.new_id()
        urn = f"urn:li:image:C4E10AQ{number:08d}"
        self.images[urn] = None
        self.upload_urls[str(number)] = urn
        return 200, {
            "value": {
                "uploadUrlExpiresAt": 1700000000000,
                "uploadUrl": f"{self.url}/upload/{number}",
                "image": urn,
            }
        }

    def upload(self, request, number):
        refused = self._check(request, rest=False)
        if refused:
            return refused
        self.images[self.upload_urls[number]] = request.raw
        return 201, None

    def organization(self, request, organization_id):
        refused = self._check(request)
        if refused:
            return refused
        if organization_id != self.organization_id:
            return 403, {"status": 403, "message": "Not enough permissions to access organization"}
        return 200, {"id": int(organization_id), "localizedName": "Zorg Utrecht", "vanityName": "zorg-utrecht"}

    # -- comments (…/community-management/shares/comments-api) ------------------------------------
    # A comment's URN is urn:li:comment:(<post's activity urn>,<id>); a nested reply names its
    # parent in ``parentComment``. Hiding or deleting other members' comments: no such call.

    def add_comment(self, post_urn, text, *, actor="urn:li:person:patient1", parent=None):
        number = 6900000000000000000 + self.new_id()
        urn = f"urn:li:comment:({post_urn},{number})"
        comment = {"actor": actor, "object": post_urn, "message": {"text": text}, "id": str(number)}
        if parent:
            comment["parentComment"] = parent
        with self.lock:
            self.comments[urn] = comment
        return urn

    def replies_to(self, comment_urn):
        with self.lock:
            return {u: c for u, c in self.comments.items() if c.get("parentComment") == comment_urn}

    def create_comment(self, request, encoded):
        refused = self._check(request)
        if refused:
            return refused
        target = unquote(encoded)
        body = request.json or {}
        problems = []
        if body.get("actor") != f"urn:li:organization:{self.organization_id}":
            problems.append("/actor: not an organization you administer")
        if body.get("object") != target:
            problems.append("/object: must be the post the comment is on")
        if not isinstance((body.get("message") or {}).get("text"), str) or not body["message"]["text"].strip():
            problems.append("/message/text: required")
        parent = body.get("parentComment")
        if parent is not None and (parent not in self.comments or self.comments[parent]["object"] != target):
            problems.append("/parentComment: no such comment on this post")
        if problems:
            return 422, {"status": 422, "code": "UNPROCESSABLE_ENTITY", "message": "; ".join(problems)}
        urn = self.add_comment(target, body["message"]["text"], actor=body["actor"], parent=parent)
        return 201, {**self.comments[urn], "$URN": urn}, {"x-restli-id": urn}

    def list_comments(self, request, encoded):
        refused = self._check(request)
        if refused:
            return refused
        target = unquote(encoded)
        with self.lock:
            found = [{**c, "$URN": u} for u, c in self.comments.items() if c["object"] == target]
        return 200, {"elements": found, "paging": {"count": len(found), "start": 0, "total": len(found)}}
