"""Meta's Graph API for a Facebook page and an Instagram business account.

Shaped after https://developers.facebook.com/docs/pages-api/posts, /docs/graph-api/reference/photo,
/docs/instagram-platform/content-publishing and /docs/graph-api/reference/debug_token. The token
is taken from ``Authorization: Bearer``. Errors have Graph's shape:
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

import time

from .base import FakeNetwork


def graph_error(message, code, *, kind="OAuthException", subcode=None, status=400):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


class FakeGraph(FakeNetwork):
    """The token handling and ``/debug_token`` of both Graph fakes."""

    def reset_state(self):
        self.token = self.default_token
        self.expires_at = 0  # Unix seconds; 0 = never
        self.objects = {}  # id -> fields, for GET /{id}

    def scripted_body(self, status):
        if status == 429 or status == 400:
            return graph_error("(#4) Application request limit reached", 4, status=status)[1]
        return {
            "error": {
                "message": "An unexpected error has occurred. Please retry your request later.",
                "type": "OAuthException",
                "code": 2,
                "is_transient": True,
            }
        }

    def _auth(self, request):
        if self.revoked:
            return graph_error(
                "Error validating access token: The session has been invalidated because the user changed "
                "their password or Facebook has changed the session for security reasons.",
                190,
                subcode=460,
                status=401,
            )
        if request.header("Authorization") != f"Bearer {self.token}":
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190, status=401)
        return None

    def debug_token(self, request):
        # The inspecting token authenticates the call; input_token is the one inspected.
        denied = self._auth(request) if not self.revoked else None
        if denied:
            return denied
        valid = request.query.get("input_token") == self.token and not self.revoked
        expired = bool(self.expires_at) and self.expires_at < time.time()
        data = {
            "app_id": "1234567890",
            "type": "PAGE",
            "application": "Vertel",
            "is_valid": valid and not expired,
            "expires_at": self.expires_at,
            "data_access_expires_at": int(time.time()) + 90 * 86400,
            "scopes": self.scopes,
        }
        if not data["is_valid"]:
            data["error"] = {
                "code": 190,
                "message": "The session has been invalidated" if self.revoked else "Session has expired",
                "subcode": 460 if self.revoked else 463,
            }
        return 200, {"data": data}

    def get_object(self, request, object_id):
        denied = self._auth(request)
        if denied:
            return denied
        if object_id not in self.objects:
            return graph_error(
                f"Unsupported get request. Object with ID '{object_id}' does not exist",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        fields = request.query.get("fields", "id").split(",")
        found = self.objects[object_id]
        return 200, {"id": object_id, **{f: found[f] for f in fields if f in found}}
