"""Benchmark of the inbox's reading against loopback networks, in a scratch database.

    python manage.py conversations_benchmark --items 10000

Never touches real data: it creates a temporary SQLite database (or uses ``--database PATH``, which
must not exist yet), migrates it, and runs each step in a child process pointed at it. The five
loopback networks (``devtools.loopback.conversation_networks``: Mastodon, Bluesky, Facebook,
Instagram, LinkedIn, seeded with ``--items`` replies, comments and mentions between them) run in
this process; each child reads them over HTTP through the real readers.

Steps, each in its own process so each peak memory is its own:

- ``setup``: one account per network and our posts as sent dispatches;
- ``baseline``: the same pages fetched and parsed into items by the same readers, nothing stored
  (``store`` replaced by a counter): what the HTTP and parsing alone cost;
- ``ingest``: every account read as the periodic job's task reads it (``runner.read_account``),
  then read once more, which must store nothing new;
- ``listing``: the inbox's first page, as a superuser sees it, with the conversations the ingest
  made and again with 50,000 (``--listing-rows``): its queries (the same number) and its time.

Printed: items per second of the baseline and of ingesting, their ratio, the second read's time
and new items (0), each step's peak memory (maximum resident set size), and the listing's queries
and median time at both sizes.
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

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmark reading conversations from loopback networks into a scratch database."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=10000, help="Incoming items seeded over the networks.")
        parser.add_argument("--database", default="", help="Path of a new SQLite file to use (default: temporary).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")
        parser.add_argument(
            "--listing-rows", type=int, default=50_000, help="Conversations in the inbox for the second listing."
        )
        parser.add_argument("--child", default="", help="internal: run one step")
        parser.add_argument("--state", default="", help="internal: the state file of the run")

    def handle(self, *args, **options):
        if options["child"]:
            return self.run_child(options["child"], Path(options["state"]))
        if options["items"] < 10:
            raise CommandError("Use at least 10 items.")
        from devtools.loopback import conversation_networks

        scratch = Path(tempfile.mkdtemp(prefix="vertel-bench-"))
        database = Path(options["database"]) if options["database"] else scratch / "bench.sqlite3"
        if database.exists():
            raise CommandError(f"{database} exists; the benchmark only writes to a new scratch database.")
        started = time.monotonic()
        networks = conversation_networks.start(options["items"])
        seeding = time.monotonic() - started
        state_file = scratch / "state.json"
        state_file.write_text(
            json.dumps(
                {"items": networks.items, "accounts": networks.accounts, "listing_rows": options["listing_rows"]}
            )
        )
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "website.settings.dev",
            "DEBUG": "false",
            "EMAIL_URL": "",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(settings.BASE_DIR),
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]

        def child(step):
            process = subprocess.run(
                [*manage, "conversations_benchmark", "--child", step, "--state", str(state_file)],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
            )
            if process.returncode != 0:
                raise CommandError(f"The benchmark step {step!r} failed:\n{process.stderr[-3000:]}")
            return json.loads(process.stdout.strip().splitlines()[-1])

        try:
            self.stdout.write(f"Scratch database: {database}")
            self.stdout.write(f"Seeded {networks.items} items over five loopback networks in {seeding:.1f} s.")
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=settings.BASE_DIR, check=True)
            child("setup")
            baseline = child("baseline")
            ingest = child("ingest")
            listing = child("listing")
        finally:
            networks.stop()
            if not options["keep"]:
                shutil.rmtree(scratch, ignore_errors=True)
        self.report(networks.items, baseline, ingest, listing)
        if ingest["stored"] != networks.items or ingest["stored_again"] != 0:
            raise CommandError(
                f"Expected {networks.items} items stored once and nothing on the second read; "
                f"stored {ingest['stored']}, then {ingest['stored_again']}."
            )

    def report(self, items, baseline, ingest, listing):
        base_rate = baseline["items"] / baseline["seconds"]
        rate = ingest["stored"] / ingest["seconds"]
        figures = {
            "items": items,
            "baseline_items": baseline["items"],
            "baseline_seconds": round(baseline["seconds"], 2),
            "baseline_items_per_second": round(base_rate),
            "baseline_peak_rss_mb": round(baseline["peak_rss_kb"] / 1024),
            "stored": ingest["stored"],
            "ingest_seconds": round(ingest["seconds"], 2),
            "ingest_items_per_second": round(rate),
            "ingest_peak_rss_mb": round(ingest["peak_rss_kb"] / 1024),
            "reread_seconds": round(ingest["seconds_again"], 2),
            "reread_new_items": ingest["stored_again"],
            "ratio_baseline_to_ingest": round(base_rate / rate, 1) if rate else None,
            "listing": listing["pages"],
        }
        self.stdout.write(
            f"Baseline (fetch and parse, nothing stored): {baseline['items']} items in "
            f"{figures['baseline_seconds']} s, {figures['baseline_items_per_second']} items/s, "
            f"peak RSS {figures['baseline_peak_rss_mb']} MB."
        )
        self.stdout.write(
            f"Ingest (fetch, parse, thread, classify, store): {ingest['stored']} items in "
            f"{figures['ingest_seconds']} s, {figures['ingest_items_per_second']} items/s, "
            f"peak RSS {figures['ingest_peak_rss_mb']} MB."
        )
        self.stdout.write(f"Ingesting is {figures['ratio_baseline_to_ingest']}× slower than the baseline.")
        self.stdout.write(
            f"Second read: {ingest['stored_again']} new items in {figures['reread_seconds']} s "
            "(everything was already stored)."
        )
        for page in listing["pages"]:
            self.stdout.write(
                f"Inbox listing, first page with {page['rows']:,} conversations: {page['queries']} queries, "
                f"{page['ms']:.0f} ms (median of 5)."
            )
        self.stdout.write(json.dumps(figures))

    # -- the steps, in child processes ------------------------------------------------------------

    def run_child(self, step, state_file):
        if "vertel-bench-" not in str(state_file):
            raise CommandError("The benchmark's steps run only against its scratch database.")
        state = json.loads(state_file.read_text())
        result = getattr(self, f"step_{step}")(state)
        result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(json.dumps(result))

    def step_setup(self, state):
        import datetime

        from django.utils import timezone

        from channels.models import ChannelAccount, Dispatch
        from conversations.models import IngestCursor

        sent = timezone.now() - datetime.timedelta(hours=1)
        for number, spec in enumerate(state["accounts"]):
            account = ChannelAccount(name=f"Benchmark {spec['kind']}", kind=spec["kind"], config=spec["config"])
            account.set_credentials(spec["credentials"])
            account.save()
            for index, remote_id in enumerate(spec["posts"]):
                Dispatch.objects.create(
                    account=account,
                    page_title="Benchmark",
                    content_hash=f"{number:032d}{index:032d}",
                    state=Dispatch.State.SENT,
                    scheduled_for=sent,
                    sent_at=sent,
                    remote_id=remote_id,
                )
            for stream, cursor in spec["cursors"].items():
                # Where an earlier read stopped: the benchmark reads the whole backlog, not the first page.
                IngestCursor.objects.create(account=account, stream=stream, cursor=cursor)
        return {"accounts": len(state["accounts"])}

    def step_baseline(self, state):
        from unittest import mock

        from channels.models import ChannelAccount
        from conversations.ingest import bluesky, linkedin, mastodon, meta, runner
        from conversations.ingest.store import StoreResult

        counted = {"items": 0}

        def count_only(account, items, **kwargs):
            items = list(items)
            counted["items"] += len(items)
            return StoreResult(created=list(range(len(items))))

        started = time.monotonic()
        with (
            mock.patch.object(mastodon, "store", count_only),
            mock.patch.object(bluesky, "store", count_only),
            mock.patch.object(meta, "store", count_only),
            mock.patch.object(linkedin, "store", count_only),
        ):
            for account in ChannelAccount.objects.order_by("pk"):
                runner.read_account(account)
        return {"items": counted["items"], "seconds": time.monotonic() - started}

    def step_ingest(self, state):
        from channels.models import ChannelAccount
        from conversations.ingest import runner
        from conversations.models import Message

        accounts = list(ChannelAccount.objects.order_by("pk"))
        started = time.monotonic()
        for account in accounts:
            outcome = runner.read_account(account)
            if outcome.errors:
                raise CommandError(f"Reading {account.kind} failed: {[s.error for s in outcome.errors]}")
        seconds = time.monotonic() - started
        stored = Message.objects.count()
        started = time.monotonic()
        for account in accounts:
            runner.read_account(account)
        seconds_again = time.monotonic() - started
        return {
            "stored": stored,
            "seconds": seconds,
            "stored_again": Message.objects.count() - stored,
            "seconds_again": seconds_again,
        }

    def step_listing(self, state):
        import datetime

        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse
        from django.utils import timezone

        from channels.models import ChannelAccount
        from conversations.models import Conversation

        user = get_user_model().objects.create_superuser("benchmark", "benchmark@example.invalid", "unused")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        url = reverse("conversations:index")

        def measure():
            client.get(url)  # the first request warms the caches
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"The inbox answered {response.status_code}.")
            return {"rows": Conversation.objects.count(), "queries": len(queries), "ms": sorted(times)[2] * 1000}

        pages = [measure()]
        accounts = list(ChannelAccount.objects.order_by("pk"))
        now = timezone.now()
        missing = max(0, state["listing_rows"] - Conversation.objects.count())
        Conversation.objects.bulk_create(
            [
                Conversation(
                    account=accounts[n % len(accounts)],
                    root_external_id=f"benchmark-{n}",
                    last_message_at=now - datetime.timedelta(seconds=n),
                    first_message_at=now - datetime.timedelta(seconds=n),
                    labels=["medical_question"] if n % 50 == 0 else [],
                    flagged=n % 50 == 0,
                )
                for n in range(missing)
            ],
            batch_size=5000,
        )
        pages.append(measure())
        return {"pages": pages}
