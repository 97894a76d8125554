"""The kit every loopback server of the tests and benchmarks is built from: a free port, a threaded
HTTP server on 127.0.0.1, and a request handler that answers JSON, bytes or nothing.

Each fake network (``tests/channels/fakes``, ``devtools.loopback.testnet``), the channel admin's
``loopnet``, the caching proxy stand-in of the site tests and the SMTP servers
(``devtools.loopback.smtp``) use it, so starting, addressing and stopping a server is written once::

    server = LoopbackHTTPServer(Handler).start()   # server.url == "http://127.0.0.1:<port>"
    ...
    server.stop()
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 (a free port unless ``port`` is given), served from a daemon thread."""

    daemon_threads = True

    def __init__(self, handler_class, port=0):
        super().__init__((HOST, port), handler_class)
        self.thread = None

    @property
    def port(self):
        return self.server_address[1]

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with :meth:`reply`."""

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=None, *, content_type="application/json; charset=utf-8"):
        """Answer ``status`` with ``body``: a dict or list (sent as JSON), bytes, or None (no body).

        A client that gave up (a read timeout) is no error: that was the point.
        """
        if isinstance(body, bytes):
            payload, content_type = body, "application/octet-stream"
        elif body is None:
            payload, content_type = b"", None
        else:
            payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
