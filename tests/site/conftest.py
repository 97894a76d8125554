"""Fixtures of the public-site tests: a caching proxy stand-in that records what it is told to purge."""

import http.server
import threading

import pytest


class PurgeRecorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        self.received.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def cdn(settings, monkeypatch):
    """A caching proxy stand-in on loopback that records the PURGE requests it gets."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    PurgeRecorder.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PurgeRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{server.server_address[1]}",
        }
    }
    yield PurgeRecorder.received
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_purge_left_from_another_test():
    """Purges made inside a test's never-committed transaction would be flushed by the next test's commit."""
    from website.cache import _pending, _purge_owed

    _pending.take()
    _purge_owed.clear()  # a purge another test's broken cache left owing
    yield
    _pending.take()
    _purge_owed.clear()
