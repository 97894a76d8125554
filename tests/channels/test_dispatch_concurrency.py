"""Several workers running the same dispatches at once post each exactly once (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from channels.dispatch import run_dispatch
from channels.models import Dispatch

from .dispatch_support import add_plan, publish

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Row locking with SKIP LOCKED needs PostgreSQL (set DATABASE_URL).")


def test_concurrent_workers_post_each_dispatch_once(make_org_story, testnet, testnet_account, settings):
    # A queue that holds tasks without running them: the workers below do the running.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    story = make_org_story(title="Drukke dag", publish=False)
    accounts = [testnet_account(f"Account {n}") for n in range(12)]
    for account in accounts:
        add_plan(story, account)
    publish(story)
    ids = list(Dispatch.objects.filter(page=story).values_list("pk", flat=True))
    assert len(ids) == len(accounts)
    testnet.delay = 0.05

    barrier = threading.Barrier(4)
    outcomes = []

    def worker(order):
        try:
            barrier.wait()
            for dispatch_id in order:
                outcomes.append(run_dispatch(dispatch_id))
        finally:
            connections.close_all()

    orders = [ids, list(reversed(ids)), ids[::2] + ids[1::2], ids[1::2] + ids[::2]]
    threads = [threading.Thread(target=worker, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert list(Dispatch.objects.filter(page=story).values_list("state", flat=True)) == [Dispatch.State.SENT] * 12
    assert len(testnet.posts) == 12
    assert [method for method, _path in testnet.requests].count("POST") == 12
    # Every dispatch was sent by one worker; the other 36 runs found it taken or done.
    assert outcomes.count(Dispatch.State.SENT) == 12 and len(outcomes) == 48
