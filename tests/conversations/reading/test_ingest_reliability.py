"""Reading survives crashes, retries, overlaps, rate limits and other readers: nothing lost, nothing twice."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import tasks
from conversations.ingest import runner, store
from conversations.models import AccountInbox, IngestCursor, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("mastodon")


def test_a_crash_before_the_commit_loses_nothing_and_keeps_the_cursor(nets, account, monkeypatch):
    nets.mastodon.add_status("Eerste")
    runner.read_account(account)
    cursor = IngestCursor.objects.get(account=account, stream="notifications").cursor
    for number in range(30):
        nets.mastodon.add_status(f"Bericht {number}")
    original = store._Batch.refresh

    def crash_after_the_insert(batch):
        # The thirty messages are inserted in the transaction, then the worker dies before the commit.
        assert len(batch.new_messages) == 30
        raise RuntimeError("worker killed")

    monkeypatch.setattr(store._Batch, "refresh", crash_after_the_insert)
    outcome = runner.read_account(account)
    assert outcome.errors
    assert Message.objects.count() == 1  # the thirty inserted before the crash were never committed
    row = IngestCursor.objects.get(account=account, stream="notifications")
    assert row.cursor == cursor
    assert row.last_error == "RuntimeError"
    monkeypatch.setattr(store._Batch, "refresh", original)
    runner.read_account(account)
    assert Message.objects.count() == 31
    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(
        n["status"]["id"] for n in nets.mastodon.notes
    )


def test_an_overlapping_reread_and_a_retried_page_store_nothing_twice(nets, account):
    for number in range(5):
        nets.mastodon.add_status(f"Bericht {number}")
    nets.mastodon.fail_next(502, match="GET /api/v1/notifications")
    runner.read_account(account)
    assert not Message.objects.exists()
    runner.read_account(account)
    assert Message.objects.count() == 5
    # A restart from an older cursor (a backup restored, a cursor lost): the same items again.
    IngestCursor.objects.filter(account=account, stream="notifications").update(cursor="")
    result = runner.read_account(account)
    assert result.stored == 0
    assert Message.objects.count() == 5


def test_one_failing_stream_does_not_stop_the_others(nets, account, publish):
    first = publish(account)
    second = publish(account)
    nets.mastodon.add_status("Via de melding")
    nets.mastodon.add_status("Stil", in_reply_to=second.remote_id, mention=False)
    nets.mastodon.fail_next(500, match=f"/statuses/{first.remote_id}/context")
    outcome = runner.read_account(account)
    assert [s.stream for s in outcome.errors] == [f"context:{first.remote_id}"]
    assert Message.objects.count() == 2


def test_one_failing_account_does_not_stop_the_others(nets, make_account):
    broken = make_account("mastodon", name="Kapot", access_token="not-a-token")
    working = make_account("bluesky")
    nets.bluesky.add_post("Hallo", mention=True)
    assert tasks.poll_inboxes() == 2
    assert Message.objects.filter(account=working).count() == 1
    assert IngestCursor.objects.filter(account=broken).exclude(last_error="").exists()


def test_two_readers_never_read_one_account_at_once(nets, account):
    nets.mastodon.add_status("Hallo")
    now = timezone.now()
    assert runner.claim(account, now)  # another worker is reading
    outcome = runner.read_account(account, now=now)
    assert not outcome.claimed
    assert not nets.mastodon.requests
    # A worker that died leaves a lease that runs out.
    later = now + datetime.timedelta(seconds=runner.CLAIM_SECONDS + 1)
    assert runner.read_account(account, now=later).claimed
    assert Message.objects.count() == 1
    assert runner.claim(account, later)  # released after the read


def test_the_periodic_job_queues_each_due_account_once_per_interval(nets, make_account, settings):
    settings.VERTEL = {**settings.VERTEL, "CONVERSATIONS_POLL_MINUTES": 5}
    read = make_account("mastodon")
    disabled = make_account("bluesky")
    AccountInbox.objects.filter(account=disabled).update(enabled=False)
    make_account("facebook", active=False)
    now = timezone.now()
    assert tasks.poll_inboxes(now) == 1
    assert tasks.poll_inboxes(now + datetime.timedelta(minutes=2)) == 0
    assert tasks.poll_inboxes(now + datetime.timedelta(minutes=6)) == 1
    assert IngestCursor.objects.filter(account=read, stream="notifications").exists()
    assert not IngestCursor.objects.filter(account=disabled).exists()


def test_the_job_is_registered_with_the_schedule():
    from core.schedule import periodic_jobs

    assert dict(periodic_jobs())["conversations-poll"] is tasks.poll_inboxes


def test_a_page_of_80_costs_a_bounded_number_of_queries(nets, account, publish):
    dispatch = publish(account)
    for number in range(80):
        nets.mastodon.add_status(f"Reactie {number}", in_reply_to=dispatch.remote_id, author=f"p{number % 7}")
    nets.mastodon.notes[:] = nets.mastodon.notes  # 80 notifications: one full page
    with CaptureQueriesContext(connection) as queries:
        runner.read_account(account)
    assert Message.objects.count() == 80
    # The store reads, inserts and updates a page together: about 64 queries for all the account's
    # streams (claim, cursors, our posts, the page), none of them per item (one per item would be 80 more).
    assert len(queries) <= 70, len(queries)
    with CaptureQueriesContext(connection) as again:
        runner.read_account(account)
    assert len(again) <= 40, len(again)


def test_a_failure_is_logged_without_what_people_wrote(nets, account, monkeypatch, caplog):
    nets.mastodon.add_status("Ik heb sinds gisteren hevige pijn")

    def leaks(*args, **kwargs):
        raise ValueError("Ik heb sinds gisteren hevige pijn")

    monkeypatch.setattr(store._Batch, "add", leaks)
    with caplog.at_level("DEBUG"):
        runner.read_account(account)
    assert "pijn" not in caplog.text
    assert "ValueError" in caplog.text
    assert "pijn" not in IngestCursor.objects.get(account=account, stream="notifications").last_error
