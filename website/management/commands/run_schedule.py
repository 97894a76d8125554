"""The periodic jobs: scheduled publishing and every app's registered periodic tasks.

Run it beside the worker (``make run`` does), or run ``manage.py run_schedule --once`` from cron.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.schedule import periodic_jobs


class Command(BaseCommand):
    help = "Run scheduled publishing and the periodic jobs every minute (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between runs.")

    def handle(self, *args, **options):
        while True:
            call_command("publish_scheduled")
            for name, job in periodic_jobs():
                try:
                    job()
                except Exception:  # noqa: BLE001 - one failing job must not stop the others
                    self.stderr.write(f"Periodic job {name} failed; it runs again next time.")
            if options["once"]:
                return
            time.sleep(options["interval"])
