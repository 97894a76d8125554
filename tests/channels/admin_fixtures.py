"""Helpers of the channel admin tests: the ``loopnet`` network and its adapters (no fixtures).

The fixtures built on them (``loopnet``, ``make_loop_account``, ``account``, the users,
``make_dispatch``, ``engine``) are in ``tests/channels/conftest.py``; the browser tests'
``loopnet`` fixture (``tests/browser/conftest.py``) uses :func:`use_loopnet` too.

The ``loopnet`` adapter is a small network of our own: its ``check`` asks a local HTTP server on
127.0.0.1 (the loopback kit's, started per test) with the account's bearer token, as a real network's
"verify credentials" call does.
"""

import json
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.utils import timezone

import channels.adapters
from channels.adapters.base import AccountCheck, Adapter, AuthError, Field, TransientError
from devtools.loopback.servers import LoopbackHTTPServer, QuietHandler

GOOD_TOKEN = "tok-SUPERSECRET-abcdef-123456-WXYZ"  # noqa: S105 - a test value
OTHER_SECRET = "client-SECRET-9876543210-QRST"  # noqa: S105 - a test value


class LoopnetAdapter(Adapter):
    """A network answering on loopback: GET /verify with a bearer token."""

    kind = "loopnet"
    label = "Loopnet"
    config_fields = (
        Field("api_base", "API address"),
        Field("handle", "Handle", required=False),
    )
    credential_fields = (
        Field("access_token", "Access token", secret=True),
        Field("client_secret", "Client secret", secret=True, required=False),
    )

    def check(self):
        request = Request(
            self.config["api_base"].rstrip("/") + "/verify",
            headers={"Authorization": f"Bearer {self.credentials.get('access_token', '')}"},
        )
        try:
            with urlopen(request, timeout=5) as response:  # noqa: S310 - loopback test server
                data = json.loads(response.read())
        except HTTPError as error:
            if error.code == 401:
                raise AuthError("The token was revoked.", status=401) from None
            raise TransientError(f"HTTP {error.code}", status=error.code) from None
        except URLError:
            raise TransientError("Connection refused.") from None
        expires = None
        if data.get("expires_in_days") is not None:
            expires = timezone.now() + timezone.timedelta(days=data["expires_in_days"])
        return AccountCheck(
            ok=True, message="Token accepted.", expires_at=expires, display_name=data["name"], profile_url=data["url"]
        )


class PlainAdapter(Adapter):
    """A second kind without secrets, so the kind chooser has a choice."""

    kind = "plainnet"
    label = "Plainnet"
    config_fields = (Field("address", "Address"),)


class LoopServer:
    """The loopnet server: GET /verify answers the account's name for the good bearer token, else 401."""

    def __init__(self):
        self.requests = []
        self.expires_in_days = 45
        self.refuse = False
        server = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
                if server.refuse or self.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(b'{"error": "invalid_token"}')
                    return
                body = {
                    "name": "@zorg@loop.example",
                    "url": "https://loop.example/@zorg",
                    "expires_in_days": server.expires_in_days,
                }
                self.reply(200, body, content_type="application/json")

        self.httpd = LoopbackHTTPServer(Handler)
        self.url = self.httpd.url

    def start(self):
        self.httpd.start()
        return self

    def stop(self):
        # shutdown and close (not ``httpd.stop()``): a test swaps ``httpd`` for a stopped stand-in.
        self.httpd.shutdown()
        self.httpd.server_close()


def use_loopnet(monkeypatch):
    """Register the loopback adapters (only they exist while ``monkeypatch`` lasts); start and return the server."""
    monkeypatch.setattr(
        channels.adapters, "adapter_classes", lambda: {"loopnet": LoopnetAdapter, "plainnet": PlainAdapter}
    )
    return LoopServer().start()
