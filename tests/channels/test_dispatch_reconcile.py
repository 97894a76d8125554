"""Exactly once when the outcome of a call is unknown: reconcile, or re-send with the same key, or ask a person."""

import datetime
import threading

import pytest
from django.core import mail
from django.utils import timezone

from channels.dispatch import retry, run_dispatch
from channels.models import Dispatch
from channels.periodic import dispatch_sweep

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.django_db
State = Dispatch.State


@pytest.fixture
def story(make_org_story, owner):
    page = make_org_story(title="Open dag", publish=False)
    page.owner = owner
    page.save()
    return page


def time_out_first_post(testnet):
    """The network stores the post but answers too late: the adapter times out (outcome unknown)."""
    testnet.hang = threading.Event()


def answer_again(testnet):
    testnet.hang.set()
    testnet.hang = None


def test_timeout_then_reconciliation_finds_the_post(
    story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(story, testnet_account(reconcile=True))
    time_out_first_post(testnet)
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and dispatch.sending_started_at is not None
    assert len(testnet.posts) == 1
    answer_again(testnet)
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    dispatch.refresh_from_db()
    assert len(testnet.posts) == 1
    assert dispatch.remote_id == next(iter(testnet.posts))
    assert dispatch.events.filter(action="reconcile", outcome="sent").exists()
    assert [method for method, _path in testnet.requests].count("POST") == 1


def test_gateway_timeout_then_nothing_found_sends_once(
    story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(story, testnet_account(reconcile=True))
    testnet.post_script = [(504, {})]  # a gateway timeout: the server behind it may have made the post
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    # Not a definite failure: the next attempt asks the network first.
    assert dispatch.state == State.FAILED and dispatch.sending_started_at is not None
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    assert dispatch.events.filter(action="reconcile", outcome="absent").exists()
    assert len(testnet.posts) == 1


def test_503_is_retried_without_asking(story, testnet, testnet_account, django_capture_on_commit_callbacks):
    add_plan(story, testnet_account(reconcile=True))
    testnet.post_script = [(503, {})]  # "not handled": nothing can have been made
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and dispatch.sending_started_at is None
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    assert not dispatch.events.filter(action="reconcile").exists()
    assert [method for method, _path in testnet.requests] == ["POST", "POST"]


def test_idempotency_key_makes_the_resend_safe(story, testnet, testnet_account, django_capture_on_commit_callbacks):
    testnet.honour_keys = True
    add_plan(story, testnet_account(idempotent=True))
    time_out_first_post(testnet)
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED
    answer_again(testnet)
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    assert [method for method, _path in testnet.requests].count("POST") == 2
    assert len(testnet.posts) == 1
    assert Dispatch.objects.get(pk=dispatch.pk).events.filter(action="reconcile", outcome="resend").exists()


def test_network_that_cannot_be_asked_hands_over_to_a_person(
    story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    add_plan(story, testnet_account())
    time_out_first_post(testnet)
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    answer_again(testnet)
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.FAILED
    dispatch.refresh_from_db()
    assert dispatch.next_attempt_at is None
    assert "Outcome unknown" in dispatch.last_error and "retry or mark as sent" in dispatch.last_error
    assert len(mail.outbox) == 1 and "Check whether a post went out" in mail.outbox[0].subject
    # Nothing retries it by itself: still exactly one post.
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep(now=timezone.now() + datetime.timedelta(days=1))
    assert [method for method, _path in testnet.requests].count("POST") == 1
    # The editor looked, found nothing (say), and retries: now it is sent.
    testnet.posts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        retry(dispatch, owner)
    assert Dispatch.objects.get(pk=dispatch.pk).state == State.SENT


def test_stale_sending_row_is_reconciled_by_the_sweep(
    story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    """A worker died after the network stored the post and before it wrote SENT."""
    account = testnet_account(reconcile=True)
    add_plan(story, account)
    publish(story)  # the task never ran
    dispatch = Dispatch.objects.get(page=story)
    # What the dead worker left: the claim committed, the post on the network, no SENT.
    post_id, _created = testnet.create("Open dag", dispatch.idempotency_key)
    started = timezone.now() - datetime.timedelta(minutes=1)
    Dispatch.objects.filter(pk=dispatch.pk).update(state=State.SENDING, sending_started_at=started, attempts=1)
    # A SENDING row that is not stale yet may belong to a live worker: left alone.
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep()
    assert Dispatch.objects.get(pk=dispatch.pk).state == State.SENDING
    with django_capture_on_commit_callbacks(execute=True):
        counts = dispatch_sweep(now=timezone.now() + datetime.timedelta(minutes=10))
    assert counts["stale"] == 1
    dispatch.refresh_from_db()
    assert dispatch.state == State.SENT and dispatch.remote_id == post_id
    assert len(testnet.posts) == 1 and [m for m, _p in testnet.requests].count("POST") == 0


# -- a 5xx after the network stored the post (issue: blind retries made duplicates) -------------


def test_post_stored_then_502_is_reconciled_not_sent_twice(
    story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    """A proxy answers 502 although the server behind it made the post: the next attempt asks first."""
    add_plan(story, testnet_account(reconcile=True))
    testnet.post_script = [(502, {}, "after")]
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and dispatch.sending_started_at is not None
    assert len(testnet.posts) == 1
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    dispatch.refresh_from_db()
    assert dispatch.remote_id == next(iter(testnet.posts))
    assert len(testnet.posts) == 1
    assert [method for method, _path in testnet.requests].count("POST") == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_mastodon_stores_then_fails_and_is_found_instead_of_posted_again(
    story, make_account, fake_networks, django_capture_on_commit_callbacks, status
):
    fake = fake_networks.mastodon
    add_plan(story, make_account("mastodon"))
    fake.fail_after(status, match="POST /api/v1/statuses")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and dispatch.sending_started_at is not None
    assert len(fake.posts) == 1
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    dispatch.refresh_from_db()
    # The account's statuses were asked: the status it had made is found, not posted again.
    keys = [request.header("Idempotency-Key") for request in fake.requests_to("POST", "/api/v1/statuses")]
    assert keys == [dispatch.idempotency_key]
    assert fake.requests_to("GET", "/api/v1/accounts/109/statuses")
    assert list(fake.posts) == [dispatch.remote_id]
    assert dispatch.events.filter(action="reconcile", outcome="sent").exists()


def test_bluesky_stores_then_fails_and_is_found_instead_of_posted_again(
    story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    fake = fake_networks.bluesky
    add_plan(story, make_account("bluesky"))
    fake.fail_after(502, match="createRecord")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and len(fake.posts) == 1
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    dispatch.refresh_from_db()
    assert len(fake.requests_to("POST", "createRecord")) == 1
    assert dispatch.remote_id.endswith(next(iter(fake.posts)))
    assert dispatch.events.filter(action="reconcile", outcome="sent").exists()


def test_linkedin_stores_then_fails_and_a_person_decides(
    story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    fake = fake_networks.linkedin
    add_plan(story, make_account("linkedin"))
    fake.fail_after(500, match="POST /rest/posts")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.FAILED
    dispatch.refresh_from_db()
    assert dispatch.next_attempt_at is None and "Outcome unknown" in dispatch.last_error
    assert len(mail.outbox) == 1 and "Check whether a post went out" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep(now=timezone.now() + datetime.timedelta(days=1))
    assert len(fake.requests_to("POST", "/rest/posts")) == 1 and len(fake.posts) == 1


# -- the idempotency window ---------------------------------------------------------------------


def test_idempotency_window_is_measured_from_the_first_attempt(
    story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    """Mastodon forgets a key an hour after it first saw it; later attempts do not extend that hour."""
    testnet.honour_keys = True
    add_plan(story, testnet_account(idempotent=True))
    time_out_first_post(testnet)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.FAILED and dispatch.first_attempt_at is not None
    first_attempt = dispatch.first_attempt_at
    # 50 minutes later: inside the hour, so re-sent with the same key; it times out again.
    assert run_dispatch(dispatch.pk, now=start + datetime.timedelta(minutes=50)) == State.FAILED
    dispatch.refresh_from_db()
    assert dispatch.first_attempt_at == first_attempt
    assert dispatch.events.filter(action="reconcile", outcome="resend").count() == 1
    # 70 minutes after the first attempt (20 after the last): the key may be forgotten, so no re-send.
    answer_again(testnet)
    assert run_dispatch(dispatch.pk, now=start + datetime.timedelta(minutes=70)) == State.FAILED
    dispatch.refresh_from_db()
    assert dispatch.next_attempt_at is None and "Outcome unknown" in dispatch.last_error
    assert [method for method, _path in testnet.requests].count("POST") == 2
    assert dispatch.events.filter(action="reconcile", outcome="resend").count() == 1


def test_reconciliation_looks_for_what_was_sent_even_if_the_plan_changed_since(
    story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    from channels.models import PostPlan

    fake = fake_networks.bluesky
    plan = add_plan(story, make_account("bluesky"), text="Kom naar de open dag.")
    fake.fail_after(502, match="createRecord")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.text == "Kom naar de open dag."
    PostPlan.objects.filter(pk=plan.pk).update(text="Kom zaterdag naar de open dag!")
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    assert len(fake.posts) == 1 and len(fake.requests_to("POST", "createRecord")) == 1
