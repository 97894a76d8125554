"""Fixtures of the public-site tests: a caching proxy stand-in (loopback kit) that records what it must purge."""

import pytest

from devtools.loopback.servers import LoopbackHTTPServer, QuietHandler


class PurgeRecorder(QuietHandler):
    received = []

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        self.received.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()


@pytest.fixture
def cdn(settings, monkeypatch):
    """A caching proxy stand-in on loopback that records the PURGE requests it gets."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    PurgeRecorder.received = []
    server = LoopbackHTTPServer(PurgeRecorder).start()
    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": server.url,
        }
    }
    yield PurgeRecorder.received
    server.stop()


@pytest.fixture(autouse=True)
def _no_purge_left_from_another_test():
    """Purges made inside a test's never-committed transaction would be flushed by the next test's commit."""
    from website.cache import _pending, _purge_owed

    _pending.take()
    _purge_owed.clear()  # a purge another test's broken cache left owing
    yield
    _pending.take()
    _purge_owed.clear()
