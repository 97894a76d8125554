"""Issue 11, hole 11: a post in flight when the worker died, then a withdrawal.

The worker is "killed" after the network stored the post and before the outcome was written (the
steps of ``run_dispatch`` up to the call, nothing after), so the row stays SENDING. The signer
withdraws; then the jobs run. The post must come off the network and the evidence must say so; a
post that cannot be found must go to a person, never wait silently or end "cancelled".
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from channels import claims, dispatch_checks
from channels.models import Dispatch
from channels.periodic import dispatch_sweep
from consent.models import ConsentEvent
from consent.services import withdraw

from .dispatch_support import add_plan, publish_with_consent

pytestmark = pytest.mark.django_db
State = Dispatch.State
Retraction = Dispatch.Retraction


def killed_mid_post(dispatch_id):
    """What a worker did before SIGKILL: claimed the row, recorded the post, the network stored it."""
    dispatch, outcome, _uncertain, _first = claims.claim(dispatch_id, timezone.now())
    assert outcome == "claimed"
    post = dispatch_checks.build_post(dispatch)
    claims.record_post(dispatch, dispatch.sending_started_at, post)
    dispatch.account.adapter().publish(post)  # the answer is lost with the worker


def run_jobs_later(django_capture_on_commit_callbacks, minutes=10):
    later = timezone.now() + datetime.timedelta(minutes=minutes)
    for _ in range(3):  # the sweep, then the removal it queues, then anything they queue
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_sweep(later)


def test_a_mastodon_post_in_flight_is_removed_after_withdrawal(
    patient_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    account = make_account("mastodon")
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", "social"])  # queued, not yet sent
    dispatch = Dispatch.objects.get(page=patient_story)
    killed_mid_post(dispatch.pk)
    assert len(fake_networks.mastodon.posts) == 1
    assert Dispatch.objects.get(pk=dispatch.pk).state == State.SENDING

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    run_jobs_later(django_capture_on_commit_callbacks)

    assert fake_networks.mastodon.posts == {}, "the post stayed on Mastodon"
    dispatch.refresh_from_db()
    assert dispatch.state == State.SENT and dispatch.retraction == Retraction.RETRACTED, (
        dispatch.state,
        dispatch.retraction,
    )
    [event] = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=patient_story.pk)
    assert event.data["network"] == "mastodon" and event.data["reason"] == "withdrawn"
    assert event.data["remote_url"].startswith(fake_networks.mastodon.url)


def test_a_post_in_flight_that_never_arrived_is_cancelled_and_not_left_pending(
    patient_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    account = make_account("mastodon")
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", "social"])
    dispatch = Dispatch.objects.get(page=patient_story)
    # The worker died after its claim, before the request left.
    claims.claim(dispatch.pk, timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    run_jobs_later(django_capture_on_commit_callbacks)

    assert fake_networks.mastodon.posts == {}
    assert not fake_networks.mastodon.requests_to("POST", "/api/v1/statuses"), "a withdrawn story was posted"
    dispatch.refresh_from_db()
    assert dispatch.state == State.CANCELLED
    assert dispatch.retraction == Retraction.NONE, "the removal waits for nothing"


def test_a_post_in_flight_on_a_network_that_cannot_be_asked_goes_to_a_person(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    account = testnet_account(idempotent=True)  # deduplicates keys, but cannot be asked
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", "social"])
    dispatch = Dispatch.objects.get(page=patient_story)
    killed_mid_post(dispatch.pk)
    assert len(testnet.posts) == 1
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    run_jobs_later(django_capture_on_commit_callbacks)

    dispatch.refresh_from_db()
    assert dispatch.state != State.CANCELLED, "called cancelled while its outcome is unknown"
    assert dispatch.retraction == Retraction.MANUAL, dispatch.retraction
    assert len(testnet.posts) == 1  # not posted again to find out
    assert any("remov" in message.subject.lower() for message in mail.outbox), [m.subject for m in mail.outbox]
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTION_MANUAL, story_id=patient_story.pk).exists()
