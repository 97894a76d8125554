"""Kill the sending worker (SIGKILL), restart it: nobody gets the issue twice, and nobody is skipped unseen.

A real ``db_worker`` subprocess sends through SMTP to a loopback server in this process, against
a scratch SQLite file (``website.settings.scratch``). The scratch database is migrated and seeded
once per module and copied for each test.
"""

import collections
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from devtools.loopback.smtp import start_server

SUBSCRIBERS = 40
KILL_AFTER = 15
RATE = 20  # messages per second: the worker spends most of its time between messages
LEASE_SECONDS = 2


def manage(env, *args, check=True):
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


def scratch_env(folder, **extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.scratch",
        "DATABASE_URL": f"sqlite:///{folder / 'scratch.sqlite3'}",
        "TEST_MEDIA_ROOT": str(folder / "media"),
        **extra,
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A migrated scratch database with the subscribers and an issue of four stories, made once."""
    folder = tmp_path_factory.mktemp("newsletter-scratch")
    env = scratch_env(folder)
    manage(env, "migrate", "-v0")
    issue_id = int(
        manage(env, "newsletter_benchmark", "--inner", "seed", "--subscribers", str(SUBSCRIBERS)).stdout.split()[-1]
    )
    return folder, issue_id


@pytest.fixture(params=[1, 2], ids=["one-connection", "two-connections"])
def scratch(request, seeded, tmp_path):
    template, issue_id = seeded
    for item in template.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp_path / item.name)
    controller, collector = start_server()
    env = scratch_env(
        tmp_path,
        VERTEL_SCRATCH_SMTP_PORT=str(controller.port),
        VERTEL_NEWSLETTER_RATE=str(RATE),
        VERTEL_NEWSLETTER_BATCH_SIZE="8",
        VERTEL_NEWSLETTER_LEASE_SECONDS=str(LEASE_SECONDS),
        VERTEL_NEWSLETTER_CONNECTIONS=str(request.param),
    )
    manage(env, "shell", "-c", f"from newsletter.tasks import send_issue; send_issue.enqueue({issue_id})")
    yield env, collector, tmp_path / "scratch.sqlite3", request.param
    controller.stop()


def start_worker(env):
    return subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "db_worker", "--no-startup-delay", "--batch"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def query(db_path, sql):
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def delivery_counts(db_path):
    return dict(query(db_path, "SELECT status, COUNT(*) FROM newsletter_delivery GROUP BY status"))


def unknown_recipients(db_path):
    rows = query(
        db_path,
        "SELECT s.email FROM newsletter_delivery d JOIN newsletter_subscriber s ON s.id = d.subscriber_id "
        "WHERE d.status = 'unknown'",
    )
    return {email for (email,) in rows}


def resume(env):
    """The lease runs out (the dead worker cannot renew it), the periodic job re-enqueues, a new worker resumes."""
    time.sleep(LEASE_SECONDS + 0.5)
    manage(env, "run_schedule", "--once")
    manage(env, "db_worker", "--no-startup-delay", "--batch")


def progress(env):
    script = "import json; from newsletter.models import NewsletterIssue; "
    # The issue being sent is the one with deliveries (the demo content holds sent issues of its own).
    script += "issue = NewsletterIssue.objects.filter(deliveries__isnull=False).distinct().get(); "
    script += "print(json.dumps(issue.progress()))"
    return json.loads(manage(env, "shell", "-c", script).stdout.strip().splitlines()[-1])


def all_subscribers(db_path):
    return {email for (email,) in query(db_path, "SELECT email FROM newsletter_subscriber")}


def test_killed_worker_resumes_without_duplicates_or_gaps(scratch):
    env, collector, db_path, connections = scratch
    worker = start_worker(env)
    deadline = time.monotonic() + 300
    # Kill once KILL_AFTER messages are recorded as sent, wherever the worker is by then: between
    # two messages (the throttle's pause, most likely), or in the middle of one. Nothing below
    # depends on which.
    while (delivery_counts(db_path).get("sent") or 0) < KILL_AFTER:
        assert worker.poll() is None, "the worker ended before it was killed"
        assert time.monotonic() < deadline, "the worker sent too little"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    received_before = len(collector.messages)
    counts = delivery_counts(db_path)
    assert KILL_AFTER <= counts["sent"] <= received_before < SUBSCRIBERS
    # Each accepted message is recorded right away: at most one per connection was in flight.
    assert received_before - counts["sent"] <= counts.get("sending", 0) <= connections

    resume(env)

    per_recipient = collections.Counter(item["rcpt"][0] for item in collector.messages)
    assert set(per_recipient.values()) == {1}  # none duplicated
    unknown = unknown_recipients(db_path)
    assert len(unknown) <= connections
    # None missed without a trace: who did not get it is counted as unknown for an editor to decide.
    assert set(per_recipient) | unknown == all_subscribers(db_path)
    assert delivery_counts(db_path).keys() <= {"sent", "unknown"}
    report = progress(env)
    assert report["unknown"] == len(unknown) and report["sent"] + report["unknown"] == SUBSCRIBERS
    sending = "SELECT status FROM newsletter_newsletterissue WHERE id IN (SELECT issue_id FROM newsletter_delivery)"
    assert [status for (status,) in query(db_path, sending)] == ["sent"]


def test_worker_killed_after_the_server_accepted_a_message_sends_it_to_nobody_twice(scratch):
    env, collector, db_path, connections = scratch
    worker_holder = {}
    killed = {}

    def kill_the_worker(index):
        # The server has the message; the worker dies before it reads the server's "250".
        if index == KILL_AFTER - 1 and not killed:
            killed["rcpt"] = collector.messages[index]["rcpt"][0]
            os.kill(worker_holder["worker"].pid, signal.SIGKILL)

    collector.after_accept = kill_the_worker
    worker = worker_holder["worker"] = start_worker(env)
    assert worker.wait(timeout=300) == -signal.SIGKILL
    collector.after_accept = None
    assert killed, "the worker was not killed"
    assert delivery_counts(db_path).get("sending", 0) >= 1  # handed over, the answer never recorded

    resume(env)

    per_recipient = collections.Counter(item["rcpt"][0] for item in collector.messages)
    assert set(per_recipient.values()) == {1}  # the accepted message was not sent again
    unknown = unknown_recipients(db_path)
    assert killed["rcpt"] in unknown  # reported, not counted as sent nor silently dropped
    assert len(unknown) <= connections
    assert set(per_recipient) | unknown == all_subscribers(db_path)
    counts = delivery_counts(db_path)
    assert counts.keys() <= {"sent", "unknown"} and counts["unknown"] == len(unknown)
    report = progress(env)
    assert (report["unknown"], report["sent"]) == (len(unknown), SUBSCRIBERS - len(unknown))
