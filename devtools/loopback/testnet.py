"""A small loopback network ("testnet") and its adapter, for the dispatch tests and the channels benchmark.

The real adapters are tested against their own fakes (``tests/channels/fakes``); this network
lets the dispatch tests script any answer (429 with Retry-After, 5xx, 4xx, 401, a hang after the
post was stored, a 502 after the post was stored) and switch reconciliation and idempotency keys on
and off per account. Its adapter maps answers with the real helper (``_http.error_for_status``),
so a 500/502/504 to the post is an unknown outcome, as on every real network. It is known to the
registry only after ``register_testnet()``.
"""

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests

from channels import adapters as adapters_module
from channels.adapters._http import error_for_status, parse_retry_after
from channels.adapters.base import (
    Adapter,
    Limits,
    OutcomeUnknown,
    Result,
    RetractUnsupported,
    TransientError,
)

from .servers import LoopbackHTTPServer, QuietHandler


class ScriptedNetwork:
    """State of the loopback network: its posts, the requests it saw, what it answers next."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = {}  # id -> {"text", "key"}
        self.requests = []  # (method, path)
        self.post_script = []  # answers to the next POSTs: (status, headers), or (status, headers, "after")
        # ("after": store the post first, then answer with the error, as a proxy in front of a slow server may)
        self.delete_script = []
        self.honour_keys = False
        self.hang = None  # a threading.Event: after storing a post, wait for it before answering
        self.received = threading.Event()
        self.delay = 0  # seconds each POST takes, so concurrent workers overlap
        self.next_id = 1

    def create(self, text, key):
        with self.lock:
            if self.honour_keys and key:
                for post_id, post in self.posts.items():
                    if post["key"] == key:
                        return post_id, False
            post_id = str(self.next_id)
            self.next_id += 1
            self.posts[post_id] = {"text": text, "key": key}
            return post_id, True


def make_handler(network):
    class Handler(QuietHandler):
        def _send(self, status, body=None, headers=None):
            self.reply(status, body or {}, headers, content_type="application/json")

        def _authorised(self):
            if self.headers.get("Authorization") != "Bearer good-token":
                self._send(401, {"error": "The access token is invalid"})
                return False
            return True

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            network.requests.append(("POST", self.path))
            if not self._authorised():
                return
            with network.lock:
                scripted = network.post_script.pop(0) if network.post_script else None
            if scripted is not None and scripted[2:] != ("after",):
                status, headers = scripted[:2]
                self._send(status, {"error": f"scripted {status}"}, headers)
                return
            if network.delay:
                time.sleep(network.delay)
            post_id, _created = network.create(data.get("text", ""), self.headers.get("Idempotency-Key", ""))
            if scripted is not None:
                status, headers = scripted[:2]
                self._send(status, {"error": f"scripted {status}"}, headers)
                return
            network.received.set()
            if network.hang is not None:
                network.hang.wait(30)
            self._send(200, {"id": post_id, "url": f"http://testnet.invalid/posts/{post_id}"})

        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            network.requests.append(("GET", parts.path))
            if not self._authorised():
                return
            key = parse_qs(parts.query).get("key", [""])[0]
            with network.lock:
                found = [
                    {"id": post_id, "url": f"http://testnet.invalid/posts/{post_id}"}
                    for post_id, post in network.posts.items()
                    if key and post["key"] == key
                ]
            self._send(200, found)

        def do_DELETE(self):  # noqa: N802
            network.requests.append(("DELETE", self.path))
            if not self._authorised():
                return
            with network.lock:
                scripted = network.delete_script.pop(0) if network.delete_script else None
            if scripted is not None:
                status, headers = scripted
                self._send(status, {"error": f"scripted {status}"}, headers)
                return
            post_id = self.path.rsplit("/", 1)[-1]
            with network.lock:
                network.posts.pop(post_id, None)
            self._send(200, {})

    return Handler


class ScriptedAdapter(Adapter):
    """Adapter of the loopback test network. Account config: ``base_url``, ``reconcile``,
    ``idempotent`` (re-send with the same key is safe), ``deletable``."""

    kind = "testnet"
    label = "Testnet"
    limits = Limits(max_chars=280)
    timeout = 2
    identity_fields = ("base_url",)

    def __init__(self, account):
        super().__init__(account)
        self.can_reconcile = bool(self.config.get("reconcile"))
        self.can_delete = self.config.get("deletable", True)
        self.idempotency_window = 3600 if self.config.get("idempotent") else None
        self.base = self.config["base_url"].rstrip("/")

    def _headers(self, key=""):
        headers = {"Authorization": f"Bearer {self.credentials.get('token', '')}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def _raise_for(self, response, *, creates=False):
        status = response.status_code
        if status < 400:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise error_for_status(status, "Testnet", "", retry_after=retry_after, creates=creates)

    def publish(self, post):
        try:
            response = requests.post(
                f"{self.base}/posts",
                json={"text": self.compose(post)},
                headers=self._headers(post.idempotency_key),
                timeout=self.timeout,
            )
        except requests.ConnectionError as error:
            raise TransientError(str(error)) from error
        except requests.Timeout as error:
            raise OutcomeUnknown(str(error)) from error
        self._raise_for(response, creates=True)
        data = response.json()
        return Result(remote_id=data["id"], remote_url=data["url"])

    def find_existing(self, post):
        response = requests.get(
            f"{self.base}/posts", params={"key": post.idempotency_key}, headers=self._headers(), timeout=self.timeout
        )
        self._raise_for(response)
        found = response.json()
        return Result(remote_id=found[0]["id"], remote_url=found[0]["url"]) if found else None

    def retract(self, remote_id, remote_url="", identity=None):
        if not self.can_delete:
            raise RetractUnsupported("Testnet does not delete posts.", manual_url=remote_url)
        response = requests.delete(f"{self.base}/posts/{remote_id}", headers=self._headers(), timeout=self.timeout)
        if response.status_code == 404:
            return
        self._raise_for(response)


def serve(network):
    """Start the network on a free loopback port; the server (``.url``, ``.stop()``) is a ``ThreadingHTTPServer``."""
    return LoopbackHTTPServer(make_handler(network)).start()


def register_testnet():
    """Add the testnet adapter to the registry (used in this process and in child processes)."""
    original = adapters_module.adapter_classes

    def with_testnet():
        return {**original(), "testnet": ScriptedAdapter}

    adapters_module.adapter_classes = with_testnet
    return original
