"""Web benchmark: the demo site under gunicorn with production settings, uncached and cached.

Run from the repository root with the project's virtualenv::

    python tests/benchmarks/web.py            # about two minutes
    python tests/benchmarks/web.py --seconds 10 --clients 8

It builds a scratch SQLite database in a temporary directory, migrates, loads the demo content,
collects the static files, then starts gunicorn (2 sync workers) on a free loopback port twice:
once with the page cache off (``VERTEL_PAGE_CACHE=0``) and once with it on. For a story page, the
story index, a feed and a static file served by WhiteNoise it prints requests per second and
p50/p99 latency. During the cached run it withdraws a story's consents (Dutch and English) from a
separate process and prints how long until no watched page shows the story any more: the story
in both languages, the home pages, the indexes and a theme filter in both languages, the sitemap
and the RSS, Atom and JSON feeds in both languages. Finally, for each mode, a fresh gunicorn
(its access log naming the worker of each request) is loaded with the story, the index and the
feed until every worker has served ``--page-requests`` pages (10,000; static files do not
count), and the peak RSS (VmHWM) of each worker is printed. Not part of the test suite.
"""

import argparse
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from base64 import urlsafe_b64encode
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WITHDRAW_SCRIPT = """
import time
from django.db import transaction
from consent.models import Consent
from consent.services import withdraw
from stories.models import PatientStoryPage
story = PatientStoryPage.objects.get(pk={pk})
consents = Consent.objects.filter(story__translation_key=story.translation_key, withdrawn_at__isnull=True)
print("STARTED", time.time())
with transaction.atomic():
    # Registered first, so it runs first once the withdrawal commits: the moment of commit.
    transaction.on_commit(lambda: print("COMMITTED", time.time()))
    for consent in consents:
        withdraw(consent, reason="withdrawn", actor="benchmark")
"""
# Dutch patient stories with a consent in both languages, newest first (the home pages list the newest).
FIND_STORY_SCRIPT = """
from consent.models import Consent
from stories.models import PatientStoryPage
for story in PatientStoryPage.objects.live().filter(locale__language_code="nl").order_by("-date", "-pk"):
    english = story.get_translations().live().filter(locale__language_code="en").first()
    theme = story.themes.first()
    if english is None or theme is None:
        continue
    if Consent.objects.filter(story__in=[story, english], withdrawn_at__isnull=True).count() < 2:
        continue
    print("STORY", story.pk, story.url, english.url, story.get_parent().url, english.get_parent().url, theme.slug)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(workdir, port, cached):
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "VERTEL_CREDENTIALS_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "0",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "VERTEL_PAGE_CACHE_DIR": str(workdir / "page-cache"),
            "VERTEL_PAGE_CACHE": "1" if cached else "0",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("REDIS_URL", None) if not os.environ.get("BENCH_REDIS_URL") else env.update(
        {"REDIS_URL": os.environ["BENCH_REDIS_URL"]}
    )
    return env


def manage(env, *args, capture=False):
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout if capture else None


# Load generation -------------------------------------------------------------------------------


def fetch(port, path, timeout=10):
    """One HTTP/1.0 GET on a new connection; returns (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head, body


def _client(args):
    """Ask for ``paths`` in turn (one path or a list) for ``seconds``; latencies and errors."""
    port, paths, seconds = args
    paths = [paths] if isinstance(paths, str) else list(paths)
    latencies, errors, turn = [], 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        path = paths[turn % len(paths)]
        turn += 1
        start = time.perf_counter()
        try:
            status, _head, _body = fetch(port, path)
        except OSError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors += 1
    return latencies, errors


def load(pool, port, path, seconds, clients):
    started = time.perf_counter()
    results = pool.map(_client, [(port, path, seconds)] * clients)
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for part, _errors in results for latency in part)
    errors = sum(errors for _part, errors in results)
    if not latencies:
        return {"rps": 0, "p50": 0, "p99": 0, "requests": 0, "errors": errors}
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "requests": len(latencies),
        "errors": errors,
    }


# Gunicorn --------------------------------------------------------------------------------------


class Server:
    def __init__(self, env, port, access_log=None):
        self.port = port
        self.access_log = access_log
        arguments = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        if access_log:
            # "<pid> /path": which worker answered each request.
            arguments += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(U)s"]
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "website.wsgi:application", *arguments],
            cwd=ROOT,
            env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if fetch(port, "/static/css/site.css", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start within a minute.")

    def worker_pids(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def peak_rss_mb(self):
        """Peak resident memory (VmHWM) of each worker, by pid."""
        peaks = {}
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks[pid] = int(match.group(1)) / 1024
        return peaks

    def pages_served(self, paths):
        """How many requests for ``paths`` each worker answered, by pid (from the access log)."""
        counts = dict.fromkeys(self.worker_pids(), 0)
        wanted = set(paths)
        for line in Path(self.access_log).read_text().splitlines():
            pid, _, path = line.partition(" ")
            if path in wanted:
                pid = int(pid.strip("<>"))
                counts[pid] = counts.get(pid, 0) + 1
        return counts

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# Withdrawal during load ------------------------------------------------------------------------


def withdrawal_delay(env, port, story_pk, story_paths, watched, pool, clients):
    """Withdraw during cached load; seconds from commit until no watched page shows the story.

    ``story_paths``: the story's address in each language; a story page shows it while it answers
    200, any other page while its body holds one of those addresses.
    """
    cleared = {}
    stop = threading.Event()
    markers = [path.encode() for path in story_paths]

    def shows_story(path):
        status, _head, body = fetch(port, path)
        if path in story_paths:
            return status == 200
        return any(marker in body for marker in markers)

    def watch(path):
        while not stop.is_set():
            sent = time.time()
            showing = shows_story(path)
            arrived = time.time()
            if showing:
                cleared.pop(path, None)  # a stale copy after a clean one counts from the last
            else:
                # The page changed between these two: the request was sent before, the answer after.
                cleared.setdefault(path, (sent, arrived))
            time.sleep(0.002)

    for path in watched:
        assert shows_story(path), f"{path} does not show the story before the withdrawal"
    background = pool.map_async(_client, [(port, watched, 6)] * clients)
    watchers = [threading.Thread(target=watch, args=(path,), daemon=True) for path in watched]
    for thread in watchers:
        thread.start()
    time.sleep(1)
    output = manage(env, "shell", "-c", WITHDRAW_SCRIPT.format(pk=story_pk), capture=True)
    started = float(re.search(r"STARTED ([\d.]+)", output).group(1))
    committed = float(re.search(r"COMMITTED ([\d.]+)", output).group(1))
    time.sleep(2)
    stop.set()
    for thread in watchers:
        thread.join()
    background.wait()
    if len(cleared) < len(watched):
        return None, cleared
    last_sent = max(sent for sent, _arrived in cleared.values())
    last_arrived = max(arrived for _sent, arrived in cleared.values())
    slowest = max(cleared, key=lambda path: cleared[path][1])
    return (last_sent - committed, last_arrived - committed, last_arrived - started, slowest), cleared


def memory_after_page_requests(server, pages, wanted, pool, clients):
    """Load ``pages`` until each worker of ``server`` served ``wanted`` of them; {pid: (pages served, peak MB)}."""
    while True:
        served = server.pages_served(pages)
        if len(served) >= 2 and min(served.values()) >= wanted:
            break
        load(pool, server.port, pages, 5, clients)
    return {pid: (served.get(pid, 0), peak) for pid, peak in server.peak_rss_mb().items()}


# Main ------------------------------------------------------------------------------------------


def find_story(env, port):
    """The first candidate story that every watched page shows (the home pages list only the newest)."""
    output = manage(env, "shell", "-c", FIND_STORY_SCRIPT, capture=True)
    for line in output.splitlines():
        if not line.startswith("STORY "):
            continue
        pk, story_nl, story_en, index_nl, index_en, theme = line.split()[1:]
        story_paths = [story_nl, story_en]
        watched = [
            story_nl,
            story_en,
            "/nl/",
            "/en/",
            index_nl,
            index_en,
            f"{index_nl}?theme={theme}",
            f"{index_en}?theme={theme}",
            "/sitemap.xml",
        ]
        watched += [f"/{code}/feeds/{kind}/" for code in ("nl", "en") for kind in ("rss", "atom", "json")]
        markers = [path.encode() for path in story_paths]
        if all(
            (fetch(port, path)[0] == 200) if path in story_paths else any(m in fetch(port, path)[2] for m in markers)
            for path in watched
        ):
            return int(pk), story_paths, watched
    raise SystemExit("No demo story shows on every watched page.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="load duration per address (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes (default 4)")
    parser.add_argument(
        "--page-requests", type=int, default=10_000, help="pages each worker serves before its memory is read"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vertel-bench-"))
    port = free_port()
    try:
        env = environment(workdir, port, cached=False)
        print(f"Scratch directory {workdir}; preparing the database and static files…", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput")
        rows, memory, withdrawal = [], {}, None
        with multiprocessing.Pool(max(options.clients, 3) * 3) as pool:
            for cached in (False, True):
                mode = "cached" if cached else "uncached"
                mode_env = environment(workdir, port, cached=cached) | {"SECRET_KEY": env["SECRET_KEY"]}
                server = Server(mode_env, port)
                try:
                    story_pk, story_paths, watched = find_story(env, port)
                    story_path, index_path = story_paths[0], watched[4]
                    feed_path = "/nl/feeds/rss/"
                    targets = [
                        ("story page", story_path),
                        ("story index", index_path),
                        ("RSS feed", feed_path),
                        ("static file", "/static/css/site.css"),
                    ]
                    for label, path in targets:
                        fetch(port, path)  # warm the cache (and the worker) first
                        fetch(port, path)
                        result = load(pool, port, path, options.seconds, options.clients)
                        rows.append((label, mode, result))
                        print(f"  {label:12} {mode:8} {result['rps']:8.0f} req/s", flush=True)
                finally:
                    server.stop()
                # A fresh server, its access log telling which worker served each page.
                print(f"  {mode}: loading until each worker served {options.page_requests} pages…", flush=True)
                server = Server(mode_env, port, access_log=workdir / f"access-{mode}.log")
                try:
                    memory[mode] = memory_after_page_requests(
                        server, [story_path, index_path, feed_path], options.page_requests, pool, options.clients
                    )
                    if cached:
                        withdrawal = withdrawal_delay(env, port, story_pk, story_paths, watched, pool, options.clients)
                finally:
                    server.stop()
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"Vertel web benchmark: gunicorn, 2 sync workers, {options.clients} clients, {os.cpu_count()} CPUs")
    print(f"{'address':14}{'mode':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for label, mode, result in rows:
        print(
            f"{label:14}{mode:10}{result['rps']:10.0f}{result['p50']:10.1f}{result['p99']:10.1f}{result['errors']:8d}"
        )
    by_key = {(label, mode): result for label, mode, result in rows}
    uncached = by_key[("story page", "uncached")]["rps"]
    speedup = by_key[("story page", "cached")]["rps"] / uncached if uncached else 0
    print(f"cached story page: {speedup:.1f}x the uncached rate (target: at least 10x)")
    delays, cleared = withdrawal
    if delays is None:
        print(f"withdrawal: NOT every page stopped showing the story (cleared: {sorted(cleared)})")
    else:
        sent, arrived, from_start = (max(0, round(value * 1000)) for value in delays[:3])
        print(
            f"withdrawal: all {len(cleared)} watched pages (story, home, index and theme filter in both languages, "
            f"sitemap, six feeds) stopped showing the story at most {arrived} ms after the commit (last: "
            f"{delays[3]}; the first clean answers were asked for {sent} ms after it; {from_start} ms after the "
            "withdrawal began; target under 1000 ms)"
        )
    for mode, workers in memory.items():
        for pid, (served, peak) in sorted(workers.items()):
            print(f"peak RSS of web worker {pid} ({mode}, after {served} page requests): {peak:.0f} MB")


if __name__ == "__main__":
    main()
