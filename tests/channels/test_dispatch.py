"""Dispatch: a published story goes out once per planned channel, within consent, with retries."""

import datetime
import random

import pytest
from django.core import mail
from django.utils import timezone

from channels import attempts
from channels.dispatch import ActionRefused, mark_sent_manually, retry, run_dispatch
from channels.models import ChannelAccount, Dispatch
from channels.periodic import dispatch_sweep
from channels.planning import plan_for_publish
from tests.channels.dispatch_support import publish_with_consent
from tests.consent.gate_fixtures import build_consent

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.django_db
State = Dispatch.State


@pytest.fixture
def org_story(make_org_story, owner):
    page = make_org_story(title="Nieuwe afdeling", publish=False)
    page.owner = owner
    page.save()
    return page


def test_publishing_sends_one_post_per_planned_channel(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    first, second = testnet_account("One"), testnet_account("Two")
    add_plan(org_story, first, text="Lees ons nieuwe verhaal")
    add_plan(org_story, second)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatches = Dispatch.objects.filter(page=org_story).order_by("account__name")
    assert [d.state for d in dispatches] == [State.SENT, State.SENT]
    assert len(testnet.posts) == 2
    texts = sorted(post["text"] for post in testnet.posts.values())
    # The plan's text, or the summary; each with the UTM-tagged link back to the story.
    assert texts[0].startswith("Lees ons nieuwe verhaal")
    assert texts[1].startswith("Nieuws uit het ziekenhuis.")
    assert all("utm_source=testnet" in text and "utm_medium=social" in text for text in texts)
    one = dispatches[0]
    assert one.remote_id and one.remote_url.startswith("http://testnet.invalid/posts/")
    assert list(one.events.values_list("action", "outcome").order_by("pk")) == [
        ("plan", "queued"),
        ("publish", "sending"),
        ("publish", "sent"),
    ]


def test_republishing_the_same_content_sends_nothing_more(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
        org_story.title = org_story.title  # no change
        publish(org_story)
    assert Dispatch.objects.filter(page=org_story).count() == 1
    assert len(testnet.posts) == 1


def test_a_changed_story_is_not_posted_twice_and_the_log_says_so(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    org_story.summary = "Een heel ander verhaal."
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    assert len(testnet.posts) == 1
    sent = Dispatch.objects.get(page=org_story)
    assert sent.events.filter(action="republish", outcome="skipped").count() == 1


def test_unsent_dispatch_of_an_old_version_is_replaced(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    later = timezone.now() + datetime.timedelta(hours=3)
    add_plan(org_story, testnet_account(), publish_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    org_story.summary = "Bijgewerkt."
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    states = sorted(Dispatch.objects.filter(page=org_story).values_list("state", flat=True))
    assert states == [State.CANCELLED, State.QUEUED]
    assert not testnet.posts


def test_scheduled_post_waits_for_its_time(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    later = (timezone.now() + datetime.timedelta(hours=2)).replace(microsecond=0)
    add_plan(org_story, testnet_account(), publish_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.QUEUED and dispatch.scheduled_for == later
    task = DBTaskResult.objects.get(task_path="channels.dispatch.send_dispatch")
    assert task.run_after == later
    # A worker that runs it early (or a duplicate task) sends nothing.
    assert run_dispatch(dispatch.pk).startswith("not-due")
    assert not testnet.posts
    assert run_dispatch(dispatch.pk, now=later + datetime.timedelta(seconds=1)) == State.SENT
    assert len(testnet.posts) == 1


def test_a_post_far_overdue_is_marked_missed_not_sent(org_story, testnet, testnet_account, settings):
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_MISSED_AFTER_HOURS": 48}
    add_plan(org_story, testnet_account(), publish_at=timezone.now() + datetime.timedelta(hours=1))
    publish(org_story)  # on-commit callbacks not run: the task is "lost"
    dispatch = Dispatch.objects.get(page=org_story)
    counts = dispatch_sweep(now=timezone.now() + datetime.timedelta(hours=50))
    assert counts["missed"] == 1
    dispatch.refresh_from_db()
    assert dispatch.state == State.MISSED
    assert not testnet.posts


def test_planned_time_long_past_at_publishing_is_missed(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(org_story, testnet_account(), publish_at=timezone.now() - datetime.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    assert Dispatch.objects.get(page=org_story).state == State.MISSED
    assert not testnet.posts


def test_sweep_enqueues_a_due_dispatch_whose_task_was_lost(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(org_story, testnet_account())
    publish(org_story)  # on-commit callbacks (the enqueue) never run
    assert Dispatch.objects.get(page=org_story).state == State.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep()
    assert Dispatch.objects.get(page=org_story).state == State.SENT
    assert len(testnet.posts) == 1


def test_429_retry_after_is_respected(org_story, testnet, testnet_account, django_capture_on_commit_callbacks):
    testnet.post_script = [(429, {"Retry-After": "1800"})]
    add_plan(org_story, testnet_account())
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.FAILED
    assert dispatch.next_attempt_at >= before + datetime.timedelta(seconds=1800)
    assert dispatch.events.filter(outcome="retry", status_code=429).exists()
    assert not testnet.posts
    assert run_dispatch(dispatch.pk).startswith("not-due")
    assert run_dispatch(dispatch.pk, now=dispatch.next_attempt_at) == State.SENT
    assert len(testnet.posts) == 1


def test_transient_errors_retry_with_growing_jittered_backoff_then_succeed(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_RETRY_BASE_SECONDS": 60, "DISPATCH_RETRY_CAP_SECONDS": 100000}
    # The random half of each delay is pinned to a quarter of its range: the waits are exact, and
    # differ from a back-off without jitter (60, 120, 240 s).
    monkeypatch.setattr(attempts.random, "uniform", lambda low, high: low + (high - low) / 4)
    # Answers that say the post was not handled: 503, 429, 503 (a 500/502/504 is an unknown outcome).
    testnet.post_script = [(503, {}), (429, {}), (503, {})]
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    waits = []
    for _attempt in range(3):
        dispatch.refresh_from_db()
        if dispatch.state == State.SENT:
            break
        assert dispatch.state == State.FAILED and dispatch.sending_started_at is None
        failed_at = dispatch.events.filter(outcome="retry").latest("pk").at
        waits.append((dispatch.next_attempt_at - failed_at).total_seconds())
        run_dispatch(dispatch.pk, now=dispatch.next_attempt_at)
    dispatch.refresh_from_db()
    assert dispatch.state == State.SENT and dispatch.attempts == 4
    assert len(testnet.posts) == 1
    # Half of 60, 120, 240 s fixed, plus a quarter of the other half.
    assert [wait - expected for wait, expected in zip(waits, [37.5, 75, 150], strict=True)] == pytest.approx(
        [0, 0, 0], abs=1
    )
    assert not mail.outbox


def test_gives_up_after_the_last_attempt_and_tells_the_editor(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks, settings
):
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_MAX_ATTEMPTS": 3}
    testnet.post_script = [(503, {})] * 3
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    for _attempt in range(2):
        dispatch.refresh_from_db()
        run_dispatch(dispatch.pk, now=dispatch.next_attempt_at)
    dispatch.refresh_from_db()
    assert dispatch.state == State.FAILED and dispatch.next_attempt_at is None
    assert "Gave up after 3 attempts" in dispatch.last_error
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@example.org"]


def test_permanent_refusal_stops_and_notifies_the_editor(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    testnet.post_script = [(422, {})]
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.FAILED and dispatch.next_attempt_at is None
    assert "422" in dispatch.last_error
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.org"]
    assert org_story.title in message.subject and "422" in message.body
    assert f"/admin/pages/{org_story.pk}/edit/" in message.body
    assert dispatch.events.filter(action="notify").exists()
    # Nothing retries it by itself.
    dispatch_sweep(now=timezone.now() + datetime.timedelta(days=1))
    assert len(testnet.requests) == 1


def test_text_over_the_limit_is_refused_before_any_request(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(org_story, testnet_account(), text="x" * 400)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.FAILED and "280" in dispatch.last_error
    assert testnet.requests == []


def test_revoked_token_marks_the_account_and_notifies(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    account = testnet_account(token="revoked")
    add_plan(org_story, account)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.FAILED and dispatch.next_attempt_at is None
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.ERROR
    assert len(mail.outbox) == 1 and "Reconnect" in mail.outbox[0].subject
    assert not testnet.posts


def test_retry_button_sends_a_failed_post(
    org_story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    testnet.post_script = [(400, {})]
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = Dispatch.objects.get(page=org_story)
    assert dispatch.state == State.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        retry(dispatch, owner)
    dispatch.refresh_from_db()
    assert dispatch.state == State.SENT and dispatch.attempts == 1
    assert dispatch.events.filter(action="retry", actor=owner).exists()
    with pytest.raises(ActionRefused):
        retry(dispatch, owner)


def test_mark_sent_manually_keeps_the_address(
    org_story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    testnet.post_script = [(400, {})]
    add_plan(org_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    dispatch = mark_sent_manually(Dispatch.objects.get(page=org_story), owner, "http://testnet.invalid/posts/99")
    assert dispatch.state == State.SENT and dispatch.remote_url.endswith("/99")


def test_plan_for_publish_ignores_drafts(make_org_story, testnet, testnet_account):
    page = make_org_story(publish=False)
    add_plan(page, testnet_account())
    assert plan_for_publish(page) == []


def test_backoff_is_capped_and_honours_retry_after(settings):
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_RETRY_BASE_SECONDS": 60, "DISPATCH_RETRY_CAP_SECONDS": 3600}
    assert all(1800 <= attempts.backoff_seconds(20) <= 3600 for _ in range(50))
    assert attempts.backoff_seconds(1, retry_after=7200) >= 7200


def test_jitter_spreads_the_retries_of_posts_that_failed_together(settings):
    """Many posts failing in one outage must not all come back at the same second."""
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_RETRY_BASE_SECONDS": 60, "DISPATCH_RETRY_CAP_SECONDS": 3600}
    random.seed(20261129)
    delays = [attempts.backoff_seconds(3) for _ in range(40)]
    assert all(120 <= delay <= 240 for delay in delays)
    assert len({round(delay) for delay in delays}) >= 20
    assert max(delays) - min(delays) > 60


# -- patient stories: consent decides ---------------------------------------------------------


def test_patient_story_goes_only_where_consent_covers(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    allowed, refused = testnet_account("Allowed"), testnet_account("Refused")
    add_plan(patient_story, allowed)
    add_plan(patient_story, refused)
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(patient_story, ["website", allowed.channel_key])
    assert Dispatch.objects.get(account=allowed).state == State.SENT
    blocked = Dispatch.objects.get(account=refused)
    assert blocked.state == State.BLOCKED and "consent" in blocked.last_error
    assert blocked.patient_story_id == patient_story.pk
    assert len(testnet.posts) == 1


def test_social_group_consent_covers_every_account(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    add_plan(patient_story, testnet_account("A"))
    add_plan(patient_story, testnet_account("B"))
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(patient_story, ["website", "social"])
    assert len(testnet.posts) == 2


def test_withdrawal_between_queueing_and_sending_stops_the_post(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    from consent.services import withdraw

    account = testnet_account()
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", account.channel_key])  # queued; task not run yet
    dispatch = Dispatch.objects.get(page=patient_story)
    assert dispatch.state == State.QUEUED
    withdraw(consent, [account.channel_key])
    # Even if the cancelling receiver had not run, the check right before the call blocks it.
    Dispatch.objects.filter(pk=dispatch.pk).update(state=State.QUEUED)
    assert run_dispatch(dispatch.pk) == State.BLOCKED
    assert testnet.requests == []


def test_blocked_post_is_sent_after_retry_when_consent_now_covers(
    patient_story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    account = testnet_account()
    add_plan(patient_story, account)
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(patient_story, ["website"])
    dispatch = Dispatch.objects.get(page=patient_story)
    assert dispatch.state == State.BLOCKED
    with pytest.raises(ActionRefused):
        retry(dispatch, owner)
    build_consent(patient_story, revision=patient_story.live_revision, channels=["website", account.channel_key])
    with django_capture_on_commit_callbacks(execute=True):
        retry(dispatch, owner)
    dispatch.refresh_from_db()
    assert dispatch.state == State.SENT and len(testnet.posts) == 1


def test_run_schedule_runs_the_channels_sweep():
    from core.schedule import periodic_jobs

    assert dict(periodic_jobs())["channels-dispatch"] is dispatch_sweep


def test_sweep_requeues_a_lost_task_on_the_database_queue(
    org_story, testnet, testnet_account, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    add_plan(org_story, testnet_account())
    publish(org_story)  # the enqueue on commit never happens: the task is lost
    assert not DBTaskResult.objects.filter(task_path="channels.dispatch.send_dispatch").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sweep()["enqueued"] == 0  # just due: its task may still be on its way
    later = timezone.now() + datetime.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sweep(now=later)["enqueued"] == 1
        # Running the sweep again right away does not pile up duplicate tasks.
        assert dispatch_sweep(now=later)["enqueued"] == 0
    assert DBTaskResult.objects.filter(task_path="channels.dispatch.send_dispatch").count() == 1


def test_switching_a_plan_off_cancels_its_waiting_post(
    org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    plan = add_plan(org_story, testnet_account(), publish_at=timezone.now() + datetime.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    plan.enabled = False
    plan.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish(org_story)
    assert Dispatch.objects.get(page=org_story).state == State.CANCELLED


def test_inactive_account_gets_nothing(org_story, testnet, testnet_account, django_capture_on_commit_callbacks):
    account = testnet_account()
    add_plan(org_story, account)
    publish(org_story)  # queued, task not run yet
    account.active = False
    account.save()
    dispatch = Dispatch.objects.get(page=org_story)
    assert run_dispatch(dispatch.pk) == State.CANCELLED
    assert testnet.requests == []
