"""Run the development server and a task worker together; stopping one stops both."""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the site (runserver) and the database task worker (db_worker) side by side."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, **options):
        python = sys.executable
        commands = [
            [python, "manage.py", "runserver", f"{options['host']}:{options['port']}"],
            [python, "manage.py", "db_worker", "--interval", "1"],
            [python, "manage.py", "run_schedule"],
        ]
        processes = [subprocess.Popen(command) for command in commands]
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [process.returncode for process in processes if process.returncode not in (0, None, -2, 130)]
        if failed:
            self.stderr.write("A process stopped with an error; see its output above.")
            sys.exit(1)
