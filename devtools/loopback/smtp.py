"""Real SMTP servers on loopback (aiosmtpd): one that keeps what it receives, for the tests, and one
that only counts, for the newsletter benchmark. Ports come from the kit (``servers.free_port``).

``aiosmtpd`` is a test requirement (``requirements-test.txt``), imported only when a server starts.
The counting server runs in a process of its own (so it does not share the sender's GIL)::

    python -m devtools.loopback.smtp PORT    # prints "ready"; on SIGTERM, the count and the bytes
"""

import asyncio
import signal
import sys
import threading
import time
from email import message_from_bytes, policy

from .servers import HOST, free_port


class Collector:
    """aiosmtpd handler: parses and keeps every accepted message, with its arrival time.

    Tests can hook in, each hook run in a worker thread (so it may use the database):
    ``before_accept(envelope)`` may return an SMTP reply such as ``"451 4.3.0 Try again later"``
    to refuse the message instead; ``after_accept(index)`` runs once the message is kept, before
    the sender gets its "250".
    """

    def __init__(self):
        self.messages = []
        self.refused = []
        self.lock = threading.Lock()
        self.before_accept = None
        self.after_accept = None

    @staticmethod
    def _run_hook(hook, *args):
        from django.db import connections

        try:
            return hook(*args)
        finally:
            connections.close_all()  # this worker thread's own; left open they would outlive the test database

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        if self.before_accept is not None:
            reply = await loop.run_in_executor(None, self._run_hook, self.before_accept, envelope)
            if reply:
                with self.lock:
                    self.refused.append({"rcpt": list(envelope.rcpt_tos), "reply": reply})
                return reply
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(
                {
                    "rcpt": list(envelope.rcpt_tos),
                    "from": envelope.mail_from,
                    "message": message,
                    "at": time.monotonic(),
                }
            )
            index = len(self.messages) - 1
        if self.after_accept is not None:
            await loop.run_in_executor(None, self._run_hook, self.after_accept, index)
        return "250 Message accepted for delivery"


def start_server(handler=None, port=None):
    from aiosmtpd.controller import Controller

    handler = handler or Collector()
    controller = Controller(handler, hostname=HOST, port=port or free_port())
    controller.start()
    return controller, handler


class CountingHandler:
    """aiosmtpd handler: accepts every message and counts it and its bytes, keeping nothing."""

    def __init__(self):
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.bytes += len(envelope.original_content)
        return "250 OK"


def run_sink(port):
    """An SMTP server that accepts and counts; prints the count and the bytes received when terminated (SIGTERM)."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    print("ready", flush=True)

    def stop(*args):
        controller.stop()
        print(handler.count, handler.bytes, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    run_sink(int(sys.argv[1]))
