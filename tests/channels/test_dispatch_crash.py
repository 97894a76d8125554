"""A worker killed between the network call and the database write produces no duplicate and loses nothing.

Real processes: a child sets up a story in a file SQLite database and the real ``db_worker`` loop
sends it; the loopback network stores the post and then holds its answer; the test SIGKILLs the
worker; the periodic sweep and a new worker then finish the job. Exactly one post must exist, on
every channel the story was planned for, including those still queued when the worker died.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from devtools.loopback.testnet import ScriptedNetwork, register_testnet, serve

ROOT = Path(settings.BASE_DIR)
CHILD = ROOT / "tests" / "channels" / "dispatch_child.py"


def child_env(database):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.dev",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
        "DISPATCH_STALE_SECONDS": "1",
    }
    return env


def run_child(database, *args, timeout=120):
    completed = subprocess.run(
        [sys.executable, str(CHILD), *args],
        cwd=ROOT,
        env=child_env(database),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """One migrated file database per test session; each test works on a copy."""
    path = tmp_path_factory.mktemp("crash-template") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=child_env(path),
        check=True,
        timeout=300,
    )
    return path


@pytest.fixture
def database(migrated_database, tmp_path):
    path = tmp_path / "crash.sqlite3"
    shutil.copy(migrated_database, path)
    return path


@pytest.fixture
def network():
    original = register_testnet()
    network = ScriptedNetwork()
    server = serve(network)
    network.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield network
    if network.hang is not None:
        network.hang.set()
    server.shutdown()
    server.server_close()
    from channels import adapters

    adapters.adapter_classes = original


def kill_worker_after_the_post_arrives(database, network):
    network.hang = threading.Event()
    worker = subprocess.Popen(
        [sys.executable, str(CHILD), "worker"], cwd=ROOT, env=child_env(database), stdout=subprocess.DEVNULL
    )
    try:
        assert network.received.wait(60), "the worker never reached the network"
        time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    network.hang.set()
    network.hang = None


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"reconcile": True}, id="reconciled-by-asking-the-network"),
        pytest.param({"idempotent": True}, id="resent-with-the-same-idempotency-key"),
    ],
)
def test_worker_killed_after_the_call_produces_no_duplicate(database, network, config):
    network.honour_keys = bool(config.get("idempotent"))
    setup = run_child(
        database, "setup", "testnet", json.dumps({"base_url": network.url, **config}), '{"token": "good-token"}'
    )
    assert setup["state"] == "queued"
    kill_worker_after_the_post_arrives(database, network)
    [row] = run_child(database, "state")
    assert row["state"] == "sending"  # the claim was committed before the call
    assert len(network.posts) == 1

    time.sleep(1.2)  # the SENDING row goes stale (1 s in this test, 5 minutes by default)
    swept = run_child(database, "sweep")
    assert swept["stale"] == 1
    run_child(database, "worker")
    [row] = run_child(database, "state")
    assert row["state"] == "sent"
    assert len(network.posts) == 1, "a second post was made"
    assert row["remote_id"] == next(iter(network.posts))


@pytest.fixture
def real_network(request):
    """The Mastodon or Bluesky loopback server (the real adapters' protocol), per test."""
    from .conftest import FAKES
    from .fakes.accounts import account_settings

    fake = FAKES[request.param]().start()
    fake.kind = request.param
    fake.settings = account_settings(request.param, fake)
    yield fake
    fake.stop()


@pytest.mark.parametrize(
    "real_network",
    [
        pytest.param("mastodon", id="mastodon-idempotency-key"),
        pytest.param("bluesky", id="bluesky-finds-the-post-it-made"),
    ],
    indirect=True,
)
def test_worker_killed_mid_post_to_a_real_network_protocol_posts_once(database, real_network):
    """The real adapters (Mastodon.py, the atproto SDK) against their networks' loopback servers."""
    fake = real_network
    config, credentials = fake.settings
    post_path = "/api/v1/statuses" if fake.kind == "mastodon" else "/xrpc/com.atproto.repo.createRecord"
    # The network stores the post, then holds its answer long past the worker's death.
    fake.slow_next(120, match=f"POST {post_path}")
    setup = run_child(database, "setup", fake.kind, json.dumps(config), json.dumps(credentials))
    assert setup["state"] == "queued"

    worker = subprocess.Popen(
        [sys.executable, str(CHILD), "worker"], cwd=ROOT, env=child_env(database), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not fake.posts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.posts, "the worker never reached the network"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [row] = run_child(database, "state")
    assert row["state"] == "sending"
    assert len(fake.posts) == 1

    time.sleep(1.2)
    assert run_child(database, "sweep")["stale"] == 1
    run_child(database, "worker")
    [row] = run_child(database, "state")
    assert row["state"] == "sent", row
    assert len(fake.posts) == 1, "a second post was made"
    [(post_key, post)] = fake.posts.items()
    assert row["remote_id"] and row["remote_id"] in f"{post_key} {post}", "the dispatch names another post"
    # Both networks are asked (Mastodon lists the account's statuses): the post is not sent again.
    assert len(fake.requests_to("POST", post_path)) == 1


# Several channels at once: the first is sent, the worker dies during the second, the rest wait.
CHANNELS = ["webhook", "mastodon", "bluesky", "linkedin"]
POST_PATHS = {
    "webhook": "POST /hook",
    "mastodon": "POST /api/v1/statuses",
    "bluesky": "POST /xrpc/com.atproto.repo.createRecord",
    "linkedin": "POST /rest/posts",
}


@pytest.fixture
def channel_networks():
    """A loopback server for each network in ``CHANNELS`` (the real adapters' protocols)."""
    from .conftest import FAKES
    from .fakes.accounts import account_settings

    fakes = {}
    try:
        for kind in CHANNELS:
            fake = FAKES[kind]().start()
            fake.settings = account_settings(kind, fake)
            fakes[kind] = fake
        yield fakes
    finally:
        for fake in fakes.values():
            fake.stop()


def posts_on(fake):
    return len(fake.posts)


@pytest.mark.parametrize("dies_on", ["mastodon", "bluesky"])
def test_worker_killed_mid_dispatch_of_several_channels_posts_once_on_every_channel(
    database, channel_networks, dies_on
):
    """Queued posts survive the crash; the one in flight is neither lost nor doubled; the one sent stays sent."""
    # The network the worker dies on stores the post and holds its answer long past the worker's death.
    channel_networks[dies_on].slow_next(120, match=POST_PATHS[dies_on])
    accounts = [[kind, *channel_networks[kind].settings] for kind in CHANNELS]
    setup = run_child(database, "setup-many", json.dumps(accounts))
    assert [row["kind"] for row in setup["dispatches"]] == CHANNELS
    assert {row["state"] for row in setup["dispatches"]} == {"queued"}

    worker = subprocess.Popen(
        [sys.executable, str(CHILD), "worker"], cwd=ROOT, env=child_env(database), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while not posts_on(channel_networks[dies_on]) and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker stopped before reaching the network"
            time.sleep(0.05)
        assert posts_on(channel_networks[dies_on]) == 1, "the worker never reached the network"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    at_crash = {row["account__kind"]: row["state"] for row in run_child(database, "state")}
    assert at_crash[dies_on] == "sending"  # the claim was committed before the call
    queued = [kind for kind, state in at_crash.items() if state == "queued"]
    assert queued, f"nothing was left waiting when the worker died: {at_crash}"
    assert all(posts_on(channel_networks[kind]) == 0 for kind in queued)

    time.sleep(1.2)  # the SENDING row goes stale (1 s in this test, 5 minutes by default)
    assert run_child(database, "sweep")["stale"] == 1
    run_child(database, "worker")

    rows = run_child(database, "state")
    assert {row["account__kind"]: row["state"] for row in rows} == dict.fromkeys(CHANNELS, "sent"), rows
    for kind, fake in channel_networks.items():
        assert posts_on(fake) == 1, f"{kind} has {posts_on(fake)} posts"
    for row in rows:
        fake = channel_networks[row["account__kind"]]
        [(post_key, post)] = fake.posts.items()
        assert row["remote_id"] and row["remote_id"] in f"{post_key} {post}", f"{row['account__kind']}: another post"
