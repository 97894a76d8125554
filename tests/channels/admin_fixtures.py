"""Fixtures of the channel admin tests: a loopback network, accounts, users, dispatches.

Imported by the ``test_admin_*`` modules (``from .admin_fixtures import *``) so the shared
``conftest.py`` of this folder stays the adapters'.

The ``loopnet`` adapter is a small network of our own: its ``check`` asks a local HTTP server on
127.0.0.1 (started per test) with the account's bearer token, as a real network's
"verify credentials" call does.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

import channels.adapters
from channels.adapters.base import AccountCheck, Adapter, AuthError, Field, TransientError
from channels.models import ChannelAccount, Dispatch

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
    def __init__(self):
        self.requests = []
        self.expires_in_days = 45
        self.refuse = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
                if server.refuse or self.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(b'{"error": "invalid_token"}')
                    return
                body = json.dumps(
                    {
                        "name": "@zorg@loop.example",
                        "url": "https://loop.example/@zorg",
                        "expires_in_days": server.expires_in_days,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopnet(monkeypatch):
    """Register the loopback adapters (only they exist during the test) and start the server."""
    monkeypatch.setattr(
        channels.adapters, "adapter_classes", lambda: {"loopnet": LoopnetAdapter, "plainnet": PlainAdapter}
    )
    server = LoopServer().start()
    yield server
    server.stop()


@pytest.fixture
def make_account(db, loopnet):
    def _make(name="Loop (@zorg)", token=GOOD_TOKEN, **fields):
        account = ChannelAccount(
            name=name, kind="loopnet", config={"api_base": loopnet.url, "handle": "zorg"}, **fields
        )
        account.set_credentials({"access_token": token, "client_secret": OTHER_SECRET})
        account.save()
        return account

    return _make


@pytest.fixture
def account(make_account):
    return make_account()


def _user(django_user_model, username, groups=(), **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw", email=f"{username}@example.org", **extra
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")


@pytest.fixture
def channel_admin(django_user_model):
    return _user(django_user_model, "chanadmin", ["Channel administrators"])


@pytest.fixture
def editor(django_user_model):
    return _user(django_user_model, "editor", ["Editors"])


@pytest.fixture
def moderator(django_user_model):
    return _user(django_user_model, "moderator", ["Moderators"])


@pytest.fixture
def nobody(django_user_model):
    """Admin access, but no channel permission at all."""
    from django.contrib.auth.models import Permission

    user = _user(django_user_model, "nobody")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def client_for(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def make_dispatch(account):
    counter = {"n": 0}

    def _make(page, state=Dispatch.State.SENT, target=None, **fields):
        counter["n"] += 1
        fields.setdefault("scheduled_for", timezone.now())
        if state == Dispatch.State.SENT:
            fields.setdefault("sent_at", fields["scheduled_for"])
            fields.setdefault("remote_id", f"post-{counter['n']}")
            fields.setdefault("remote_url", f"https://loop.example/@zorg/{counter['n']}")
        return Dispatch.objects.create(
            page=page,
            page_title=page.title if page else "Deleted story",
            account=target or account,
            content_hash=f"{counter['n']:064d}",
            state=state,
            **fields,
        )

    return _make


@pytest.fixture
def engine(monkeypatch):
    """The engine's ``retry`` and ``retract_story``, spied on (the admin's side is under test here;
    the engine's own tests cover what they do on the networks). The spies do what the engine
    promises the admin: re-queue, and remove every sent post (or flag it for manual removal).
    """
    import channels.dispatch
    import channels.retraction

    calls = {"retry": [], "retract_story": []}

    def retry(dispatch, user):
        calls["retry"].append((dispatch.pk, user.pk))
        Dispatch.objects.filter(pk=dispatch.pk).update(state=Dispatch.State.QUEUED, next_attempt_at=None)

    def retract_story(page, reason="editor", actor=None):
        calls["retract_story"].append((page.pk, reason, actor.pk if actor else None))
        sent = Dispatch.objects.filter(page=page, state=Dispatch.State.SENT)
        sent.filter(account__kind="loopnet").update(
            retraction=Dispatch.Retraction.RETRACTED, retracted_at=timezone.now(), retraction_reason=reason
        )
        sent.exclude(account__kind="loopnet").update(
            retraction=Dispatch.Retraction.MANUAL,
            retraction_reason=reason,
            manual_removal_url="https://plain.example/x",
        )

    monkeypatch.setattr(channels.dispatch, "retry", retry)
    monkeypatch.setattr(channels.retraction, "retract_story", retract_story)
    return calls


@pytest.fixture(autouse=True)
def admin_in_english(settings):
    """The assertions read the English source strings; Dutch catalogues may come later."""
    settings.LANGUAGE_CODE = "en"
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English")]
