"""The common machinery of the loopback networks: a log of every request, scripted failures, and
routing to one method per API endpoint, served by the loopback kit's threaded HTTP server on
127.0.0.1 (``devtools.loopback.servers``).

A network subclasses :class:`FakeNetwork`, lists its ``routes`` as ``(method, path regex, name)``
and implements ``name(request, *groups)`` returning ``(status, body[, headers])``; ``body`` is a
dict/list (sent as JSON), bytes, or None.

Scripting (consumed in order, only by requests they ``match``, e.g. ``"POST /api/v1/statuses"``):

- ``fail_next(status, times=1, headers=None, body=None, match=None)``: answer with an error
  instead of handling the request (nothing is stored);
- ``slow_next(seconds, times=1, match=None)``: handle the request normally (the post is stored),
  then wait before answering, so a client with a shorter timeout gets a read timeout;
- ``fail_after(status, times=1, headers=None, body=None, match=None)``: handle the request normally
  (the post is stored), then answer with the error anyway, as a proxy (502/504) or a server that
  crashed after its write (500) does;
- ``revoke()``: the token is revoked; every authenticated call answers as the network does for a
  revoked token.
"""

import email.parser
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from devtools.loopback.servers import LoopbackHTTPServer, QuietHandler


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    raw: bytes
    json: object = None
    form: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Script:
    match: str | None
    times: int
    status: int | None = None
    headers: dict | None = None
    body: object = None
    delay: float = 0.0
    after: bool = False  # handle the request first, then answer with ``status``


def parse_multipart(content_type, raw):
    """Fields and files of a multipart/form-data body: ``({name: value}, {name: (filename, type, bytes)})``."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, part.get_content_type(), payload)
        else:
            form[name] = payload.decode()
    return form, files


class FakeNetwork:
    routes: list = []
    name = "fake"

    def __init__(self):
        self.lock = threading.RLock()
        self.server = None
        self.url = ""
        self.reset()

    # -- state --------------------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.requests = []
            self.posts = {}
            self.scripts = []
            self.revoked = False
            self.next_id = 1
            self.reset_state()

    def reset_state(self):
        """Network-specific state; called by ``reset``."""

    def new_id(self):
        with self.lock:
            value = self.next_id
            self.next_id += 1
            return value

    def fail_next(self, status, *, times=1, headers=None, body=None, match=None):
        with self.lock:
            self.scripts.append(Script(match=match, times=times, status=status, headers=headers, body=body))

    def fail_after(self, status, *, times=1, headers=None, body=None, match=None):
        with self.lock:
            self.scripts.append(
                Script(match=match, times=times, status=status, headers=headers, body=body, after=True)
            )

    def slow_next(self, seconds, *, times=1, match=None):
        with self.lock:
            self.scripts.append(Script(match=match, times=times, delay=seconds))

    def revoke(self):
        self.revoked = True

    def requests_to(self, method, path_contains=""):
        return [r for r in self.requests if r.method == method and path_contains in r.path]

    def _take_script(self, signature):
        with self.lock:
            for script in self.scripts:
                if script.match is None or script.match in signature:
                    script.times -= 1
                    if script.times <= 0:
                        self.scripts.remove(script)
                    return script
        return None

    # -- serving ------------------------------------------------------------------------------

    def start(self):
        self.server = LoopbackHTTPServer(make_handler(self)).start()
        self.url = self.server.url
        return self

    def stop(self):
        if self.server is not None:
            self.server.stop()

    def dispatch(self, request):
        """Route ``request``; return ``(status, body, headers)``."""
        import re

        for method, pattern, name in self.routes:
            if method != request.method:
                continue
            found = re.fullmatch(pattern, request.path)
            if found:
                answer = getattr(self, name)(request, *found.groups())
                status, body, *rest = answer
                return status, body, (rest[0] if rest else {})
        return 404, self.not_found(request), {}

    def not_found(self, request):
        return {"error": "Not found"}

    def scripted_body(self, status):
        return {"error": f"Scripted failure {status}"}


def make_handler(network):
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type") or ""
            request = Recorded(
                method=self.command,
                path=parts.path,
                query={k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()},
                headers=dict(self.headers.items()),
                raw=raw,
            )
            if "json" in content_type and raw:
                try:
                    request.json = json.loads(raw)
                except ValueError:
                    request.json = None
            elif "x-www-form-urlencoded" in content_type:
                request.form = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(raw.decode()).items()}
            elif "multipart/form-data" in content_type:
                request.form, request.files = parse_multipart(content_type, raw)
            with network.lock:
                network.requests.append(request)
            script = network._take_script(f"{request.method} {request.path}")
            if script is not None and script.status is not None and not script.after:
                body = script.body if script.body is not None else network.scripted_body(script.status)
                self._reply(script.status, body, script.headers or {})
                return
            status, body, headers = network.dispatch(request)
            if script is not None and script.after:
                status = script.status
                body = script.body if script.body is not None else network.scripted_body(script.status)
                headers = script.headers or {}
            if script is not None and script.delay:
                time.sleep(script.delay)
            self._reply(status, body, headers)

        def _reply(self, status, body, headers):
            self.reply(status, body, headers)

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

    return Handler
