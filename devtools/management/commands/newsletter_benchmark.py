"""Send one issue to many subscribers through a loopback SMTP server; print messages/s and peak memory.

Everything happens in a scratch database that this command creates and removes (a temporary
SQLite file, or with ``--database-url`` a PostgreSQL database whose name contains "bench" or
"scratch", dropped and created afresh): never real data. The SMTP server is a separate process,
so it does not share the sender's GIL.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark newsletter sending in a scratch database against a loopback SMTP server."

    def add_arguments(self, parser):
        parser.add_argument("--subscribers", type=int, default=100_000)
        parser.add_argument("--rate", type=float, default=0, help="Messages per second; 0 means unthrottled.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--connections", type=int, default=2, help="SMTP connections used side by side.")
        parser.add_argument(
            "--database-url",
            default="",
            help="A PostgreSQL scratch database (its name must contain 'bench' or 'scratch'); default: SQLite file.",
        )
        parser.add_argument(
            "--stories", type=int, default=4, help="Stories (with images) in the issue, from the demo content."
        )
        parser.add_argument("--inner", choices=["seed", "send"], help=Command.help and "internal")
        parser.add_argument("--issue", type=int)

    def handle(self, *args, **options):
        if options["inner"] == "seed":
            return self.inner_seed(options)
        if options["inner"] == "send":
            return self.inner_send(options)
        return self.outer(options)

    # --- inside the scratch environment -------------------------------------------------------
    def _check_scratch(self):
        if settings.SETTINGS_MODULE != "website.settings.scratch":
            raise CommandError("The inner steps run only with website.settings.scratch.")

    def inner_seed(self, options):
        from devtools.newsletter import seed

        self._check_scratch()
        issue = seed(options["subscribers"], stories=options["stories"])
        self.stdout.write(str(issue.pk))

    def inner_send(self, options):
        from newsletter.sending import send_issue_now

        self._check_scratch()
        started = time.perf_counter()
        sent = send_issue_now(
            options["issue"],
            rate=options["rate"],
            batch_size=options["batch_size"],
            connections=options["connections"],
        )
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(json.dumps({"sent": sent, "seconds": seconds, "peak_rss_kb": peak_kb}))

    # --- the driver -----------------------------------------------------------------------------
    def outer(self, options):
        count = options["subscribers"]
        if count < 1:
            raise CommandError("Give at least one subscriber.")
        workdir = Path(tempfile.mkdtemp(prefix="vertel-newsletter-bench-"))
        database_url = options["database_url"] or f"sqlite:///{workdir / 'bench.sqlite3'}"
        pg = self._create_pg(database_url) if options["database_url"] else None
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "website.settings.scratch",
            "DATABASE_URL": database_url,
            "VERTEL_SCRATCH_SMTP_PORT": str(port),
            "TEST_MEDIA_ROOT": str(workdir / "media"),
            "VERTEL_NEWSLETTER_RATE": str(options["rate"]),
            "VERTEL_NEWSLETTER_BATCH_SIZE": str(options["batch_size"]),
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        sink = None
        try:
            self.stdout.write(f"Scratch database: {'PostgreSQL' if pg else 'SQLite'}; migrating…")
            self._run([*manage, "migrate", "-v0"], env)
            self.stdout.write(f"Creating {count} subscribers…")
            issue_id = int(
                self._run(
                    [
                        *manage,
                        "newsletter_benchmark",
                        "--inner",
                        "seed",
                        "--subscribers",
                        str(count),
                        "--stories",
                        str(options["stories"]),
                    ],
                    env,
                ).splitlines()[-1]
            )
            sink = subprocess.Popen(
                [sys.executable, "-m", "devtools.loopback.smtp", str(port)],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.PIPE,
                text=True,
            )
            if sink.stdout.readline().strip() != "ready":
                raise CommandError("The loopback SMTP server did not start.")
            self.stdout.write(f"Sending issue {issue_id} to 127.0.0.1:{port}…")
            result = json.loads(
                self._run(
                    [
                        *manage,
                        "newsletter_benchmark",
                        "--inner",
                        "send",
                        "--issue",
                        str(issue_id),
                        "--rate",
                        str(options["rate"]),
                        "--batch-size",
                        str(options["batch_size"]),
                        "--connections",
                        str(options["connections"]),
                    ],
                    env,
                ).splitlines()[-1]
            )
            sink.terminate()
            received, received_bytes = map(int, sink.communicate(timeout=30)[0].strip().splitlines()[-1].split())
            sink = None
        finally:
            if sink is not None:
                sink.kill()
            if pg:
                self._drop_pg(*pg)
            shutil.rmtree(workdir, ignore_errors=True)
        rate = result["sent"] / result["seconds"] if result["seconds"] else 0
        self.stdout.write(
            f"Sent {result['sent']} messages over {options['connections']} SMTP connection(s) "
            f"in {result['seconds']:.1f} s: {rate:.0f} messages per second; "
            f"the SMTP server received {received} ({received_bytes / max(received, 1) / 1024:.1f} KB each); "
            f"peak memory of the sender {result['peak_rss_kb'] / 1024:.0f} MB (RSS)."
        )
        if received != count or result["sent"] != count:
            raise CommandError(f"Expected {count} messages, the server received {received}.")

    def _run(self, command, env):
        done = subprocess.run(command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandError(f"{' '.join(command[1:4])} failed:\n{done.stderr[-2000:]}")
        return done.stdout.strip()

    def _create_pg(self, url):
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if parts.scheme not in ("postgres", "postgresql") or not any(word in name for word in ("bench", "scratch")):
            raise CommandError(
                "--database-url must be a PostgreSQL database whose name contains 'bench' or 'scratch'."
            )
        if name == settings.DATABASES["default"].get("NAME"):
            raise CommandError("That is the configured database; the benchmark runs only in a scratch database.")
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return admin_url, name

    def _drop_pg(self, admin_url, name):
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
