"""Benchmark of dispatch and retraction against loopback networks, in a scratch database.

    python manage.py channels_benchmark --stories 1000 --channels 5 [--workers 1]

Never touches real data: it creates a temporary SQLite database (or uses ``--database PATH``, which
must not exist yet), migrates it, and runs every step in a child process pointed at it with the
database task queue, as in production. The loopback networks run in this process; each child
reaches them over HTTP through the real adapters.

Steps: plan (N patient stories with a consent covering every channel, each published, which
plans and enqueues one dispatch per channel), send (``db_worker --batch`` processes, the real worker
loop), withdraw (every consent withdrawn: the stories are unpublished and every post queued for
removal), retract (the workers again). Printed: dispatches per second, the time from the first
withdrawal to the last removal, and the workers' peak memory (maximum resident set size).

Publishing also queues Wagtail's own reference-index and search-index tasks; the benchmark drops
them from its scratch queue so the figures are those of dispatch and retraction alone.

The loopback networks are ``devtools.loopback.testnet`` (the dispatch tests' network), started by
``devtools.loopback.benchmark_networks``; the consents are built as rows by ``devtools.consent``.
"""

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.loopback import benchmark_networks

STEPS = ("setup", "worker", "withdraw", "report")


def drop_other_tasks():
    """Leave only the channels' tasks in the scratch queue.

    Publishing also enqueues Wagtail's reference-index and search-index updates; they belong to
    publishing, not to dispatch, and would blur the figures.
    """
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    # Only tasks no worker has claimed: one DELETE, so a worker claims a row before or never.
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    deleted, _by_model = waiting.exclude(task_path__startswith="channels.").delete()
    return deleted


class Command(BaseCommand):
    help = "Benchmark dispatch and retraction against loopback networks in a scratch database."

    def add_arguments(self, parser):
        parser.add_argument("--stories", type=int, default=1000, help="How many stories (default 1000).")
        parser.add_argument("--channels", type=int, default=5, help="Channel accounts per story (default 5).")
        parser.add_argument("--workers", type=int, default=1, help="Worker processes running at once (default 1).")
        parser.add_argument("--database", default="", help="SQLite file to create (default: a temporary file).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")
        parser.add_argument("--child", choices=STEPS, help="(internal) run one step in a child process.")
        parser.add_argument("--state", default="", help="(internal) the shared state file.")

    # -- the parent ---------------------------------------------------------------------------

    def handle(self, *args, **options):
        if options["child"]:
            return self.run_child(options["child"], Path(options["state"]))
        if options["stories"] < 1 or not 1 <= options["channels"] <= 20 or options["workers"] < 1:
            raise CommandError("Use at least one story, one to twenty channels and at least one worker.")
        scratch = Path(tempfile.mkdtemp(prefix="vertel-bench-"))
        database = Path(options["database"]) if options["database"] else scratch / "bench.sqlite3"
        if database.exists():
            raise CommandError(f"{database} exists; the benchmark only writes to a new scratch database.")
        networks = benchmark_networks.start(options["channels"])
        state_file = scratch / "state.json"
        state_file.write_text(
            json.dumps({"stories": options["stories"], "accounts": [n.account for n in networks.networks]})
        )
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DJANGO_SETTINGS_MODULE": "website.settings.dev",
            "DEBUG": "false",
            "EMAIL_URL": "",
            "PYTHONPATH": str(settings.BASE_DIR),
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]

        def start(step, count=1, extra_env=None):
            return [
                subprocess.Popen(
                    [*manage, "channels_benchmark", "--child", step, "--state", str(state_file)],
                    env={**env, **(extra_env or {})},
                    cwd=settings.BASE_DIR,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(count)
            ]

        def collect(step, processes):
            results = []
            for process in processes:
                stdout, stderr = process.communicate()
                if process.returncode != 0:
                    raise CommandError(f"The benchmark step {step!r} failed:\n{stderr[-2000:]}")
                results.append(json.loads(stdout.strip().splitlines()[-1]))
            return results

        def child(step, count=1):
            started = time.monotonic()
            results = collect(step, start(step, count))
            return results, time.monotonic() - started

        def count_retracted():
            with sqlite3.connect(database, timeout=20) as db:
                return db.execute(
                    "SELECT COUNT(*) FROM vertel_channels_dispatch WHERE retraction IN ('retracted', 'manual')"
                ).fetchone()[0]

        try:
            self.stdout.write(f"Scratch database: {database}")
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=settings.BASE_DIR, check=True)
            [setup], setup_seconds = child("setup")
            workers, send_seconds = child("worker", options["workers"])
            # Removal is timed as in production: the workers are already waiting when consent ends.
            started = time.monotonic()
            waiting = start("worker", options["workers"], {"VERTEL_BENCH_WORKER": "serve"})
            time.sleep(3)
            [withdrawal], _seconds = child("withdraw")
            deadline = time.monotonic() + 60 + options["stories"] * options["channels"] * 0.2
            while count_retracted() < setup["dispatches"] and time.monotonic() < deadline:
                if any(process.poll() is not None for process in waiting):
                    break  # a worker stopped early: collect() below reports its error
                time.sleep(0.2)
            for process in waiting:
                process.send_signal(signal.SIGTERM)
            retractors = collect("worker", waiting)
            retract_seconds = time.monotonic() - started
            [report], _seconds = child("report")
        finally:
            networks.stop()
        posts_left = networks.posts_left()
        figures = {
            "stories": options["stories"],
            "channels": options["channels"],
            "workers": options["workers"],
            "dispatches": report["dispatches"],
            "sent": report["sent"],
            "posts_made": networks.posts_made(),
            "planning_seconds": round(setup_seconds, 2),
            "send_seconds": round(report["send_seconds"], 2),
            "dispatches_per_second": round(report["sent"] / report["send_seconds"], 1)
            if report["send_seconds"]
            else 0,
            "retracted": report["retracted"],
            "withdrawal_to_last_retraction_seconds": round(report["withdrawal_to_last_retraction"], 2),
            "posts_left_on_networks": posts_left,
            "worker_peak_rss_mb": round(max(w["peak_rss_kb"] for w in workers + retractors) / 1024, 1),
            "worker_wall_seconds": round(send_seconds + retract_seconds, 2),
        }
        self.stdout.write(
            f"{figures['sent']} of {figures['dispatches']} dispatches sent in {figures['send_seconds']} s: "
            f"{figures['dispatches_per_second']} dispatches per second ({figures['workers']} worker(s))."
        )
        self.stdout.write(
            f"Withdrawal of {withdrawal['withdrawn']} consents to the last of {figures['retracted']} removals: "
            f"{figures['withdrawal_to_last_retraction_seconds']} s; posts left on the networks: {posts_left}."
        )
        self.stdout.write(f"Worker peak memory (max RSS): {figures['worker_peak_rss_mb']} MB.")
        self.stdout.write(json.dumps(figures))
        if not options["keep"] and not options["database"]:
            shutil.rmtree(scratch, ignore_errors=True)
        if figures["sent"] != figures["dispatches"] or posts_left or figures["posts_made"] != figures["sent"]:
            raise CommandError("Not every dispatch went out exactly once and came back off: see the figures above.")
        return None

    # -- the children -------------------------------------------------------------------------

    def run_child(self, step, state_file):
        if "vertel-bench-" not in str(state_file) and not os.environ.get("VERTEL_BENCHMARK_ANY_STATE"):
            raise CommandError("The benchmark's steps run only against its scratch database.")
        state = json.loads(state_file.read_text())
        benchmark_networks.register_adapters()
        result = getattr(self, f"step_{step}")(state)
        self.stdout.write(json.dumps(result, default=str))

    def step_setup(self, state):
        from django.db import transaction
        from wagtail.models import Locale, Page, Site

        from channels.models import ChannelAccount, Dispatch, PostPlan
        from devtools.consent import build_consent
        from stories.models import PatientStoryPage, Person, StoryIndexPage
        from website.models import HomePage

        locale = Locale.objects.get_or_create(language_code="nl")[0]
        home = Page.get_first_root_node().add_child(
            instance=HomePage(title="Welkom", slug="bench-home", locale=locale)
        )
        Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "root_page": home})
        index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=locale))
        accounts = []
        for spec in state["accounts"]:
            account = ChannelAccount(name=spec["name"], kind=spec["kind"], config=spec["config"])
            account.set_credentials(spec["credentials"])
            account.save()
            accounts.append(account)
        person = Person.objects.create(full_name="Benchmark Persoon", first_name="Benchmark")
        started = time.monotonic()
        for number in range(state["stories"]):
            story = index.add_child(
                instance=PatientStoryPage(
                    title=f"Verhaal {number}",
                    slug=f"verhaal-{number}",
                    summary=f"Een verhaal over goede zorg, nummer {number}.",
                    storyteller=person,
                    live=False,
                    locale=locale,
                )
            )
            for account in accounts:
                PostPlan.objects.create(page=story, account=account)
            with transaction.atomic():
                revision = story.save_revision()
                build_consent(story, revision=revision, channels=["website", "social"])
                revision.publish()
        return {
            "dispatches": Dispatch.objects.count(),
            "seconds": time.monotonic() - started,
            "other_tasks_dropped": drop_other_tasks(),
        }

    def step_worker(self, state):
        from django.core.management import call_command

        batch = os.environ.get("VERTEL_BENCH_WORKER", "batch") == "batch"
        # A waiting worker is stopped with SIGTERM (SystemExit) once every removal is done.
        with contextlib.suppress(SystemExit):
            call_command("db_worker", batch=batch, interval=0.05, startup_delay=False, reload=False, verbosity=0)
        return {"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}

    def step_withdraw(self, state):
        from django.utils import timezone

        from consent.models import Consent
        from consent.services import withdraw

        started = timezone.now()
        withdrawn = 0
        for consent in Consent.objects.filter(withdrawn_at__isnull=True).order_by("pk"):
            if withdraw(consent, None, reason="withdrawn", actor="system"):
                withdrawn += 1
        # Nothing is dropped here: the workers are running, and a row deleted under a worker that
        # claimed it kills that worker. Their other tasks are part of a withdrawal's real cost.
        return {"withdrawn": withdrawn, "started": started.isoformat()}

    def step_report(self, state):
        from django.db.models import Max, Min

        from channels.models import Dispatch
        from consent.models import ConsentEvent

        sent = Dispatch.objects.filter(sent_at__isnull=False)
        window = sent.aggregate(first=Min("sending_started_at"), last=Max("sent_at"))
        withdrawn_at = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.WITHDRAWN).aggregate(
            first=Min("created_at")
        )["first"]
        last_retraction = Dispatch.objects.aggregate(last=Max("retracted_at"))["last"]
        return {
            "dispatches": Dispatch.objects.count(),
            "sent": sent.count(),
            # From the first claim to the last post written as sent (worker start-up excluded).
            "send_seconds": (window["last"] - window["first"]).total_seconds() if window["last"] else 0,
            "retracted": Dispatch.objects.filter(retraction=Dispatch.Retraction.RETRACTED).count(),
            "withdrawal_to_last_retraction": (last_retraction - withdrawn_at).total_seconds()
            if last_retraction and withdrawn_at
            else 0,
        }
