"""Retraction: withdrawal, unpublishing, deletion and "remove everywhere" take posts off again."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from channels.dispatch import run_dispatch
from channels.models import Dispatch
from channels.periodic import dispatch_sweep
from channels.removal import confirm_manual_removal, run_retraction
from channels.retraction import retract_story
from consent.models import ConsentEvent
from consent.services import withdraw
from tests.channels.dispatch_support import publish_with_consent
from tests.consent.gate_fixtures import build_consent

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.django_db
State = Dispatch.State
Retraction = Dispatch.Retraction


@pytest.fixture
def sent_patient_story(patient_story, testnet, testnet_account, django_capture_on_commit_callbacks):
    accounts = [testnet_account("A"), testnet_account("B")]
    for account in accounts:
        add_plan(patient_story, account)
    with django_capture_on_commit_callbacks(execute=True):
        consent = publish_with_consent(patient_story, ["website", "social"])
    assert len(testnet.posts) == 2
    # The editors were told of the signature; what follows counts only the mails the removal sends.
    mail.outbox.clear()
    return patient_story, consent, accounts


def test_withdrawal_of_everything_removes_every_post_and_records_evidence(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    story, consent, _accounts = sent_patient_story
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    assert testnet.posts == {}
    for dispatch in Dispatch.objects.filter(page=story):
        assert dispatch.retraction == Retraction.RETRACTED and dispatch.retracted_at
    events = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=story.pk)
    assert events.count() == 2
    data = events.first().data
    assert data["network"] == "testnet" and data["remote_url"].startswith("http://testnet.invalid/posts/")
    assert not mail.outbox


def test_withdrawing_one_channel_removes_only_that_post(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    story, consent, (first, second) = sent_patient_story
    consent.channels = ["website", first.channel_key, second.channel_key]
    consent.save()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, [first.channel_key])
    assert Dispatch.objects.get(account=first).retraction == Retraction.RETRACTED
    assert Dispatch.objects.get(account=second).retraction == Retraction.NONE
    assert len(testnet.posts) == 1


def test_unpublishing_retracts_every_post(sent_patient_story, testnet, django_capture_on_commit_callbacks):
    story, _consent, _accounts = sent_patient_story
    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
    assert testnet.posts == {}
    assert set(Dispatch.objects.filter(page=story).values_list("retraction_reason", flat=True)) == {"unpublished"}


def test_deleting_a_story_retracts_first_and_keeps_the_record(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    story, _consent, _accounts = sent_patient_story
    story_id = story.pk
    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    assert testnet.posts == {}
    dispatches = Dispatch.objects.filter(patient_story_id=story_id)
    assert dispatches.count() == 2
    assert all(d.page_id is None and d.retraction == Retraction.RETRACTED for d in dispatches)
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=story_id).count() == 2


def test_remove_everywhere_by_an_editor(
    make_org_story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    page = make_org_story(publish=False)
    add_plan(page, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    with django_capture_on_commit_callbacks(execute=True):
        queued = retract_story(page, reason="editor", actor=owner)
    assert len(queued) == 1
    assert testnet.posts == {}
    dispatch = Dispatch.objects.get(page=page)
    assert dispatch.retraction == Retraction.RETRACTED
    assert dispatch.events.filter(action="retract", outcome="pending", actor=owner).exists()
    # Organisation stories have no consent evidence to write to.
    assert not ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED).exists()


def test_withdrawal_cancels_posts_not_sent_yet(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    account = testnet_account()
    add_plan(patient_story, account, publish_at=timezone.now() + datetime.timedelta(hours=5))
    with django_capture_on_commit_callbacks(execute=True):
        consent = publish_with_consent(patient_story, ["website", account.channel_key])
    dispatch = Dispatch.objects.get(page=patient_story)
    assert dispatch.state == State.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    dispatch.refresh_from_db()
    assert dispatch.state == State.CANCELLED
    # When its time comes, nothing goes out.
    assert run_dispatch(dispatch.pk, now=timezone.now() + datetime.timedelta(hours=6)).startswith("not-due")
    assert testnet.requests == []


def test_network_without_delete_needs_manual_removal(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    account = testnet_account("Photos", deletable=False)
    add_plan(patient_story, account)
    with django_capture_on_commit_callbacks(execute=True):
        consent = publish_with_consent(patient_story, ["website", "social"])
    dispatch = Dispatch.objects.get(page=patient_story)
    mail.outbox.clear()  # the editors were told of the signature
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Retraction.MANUAL
    assert dispatch.manual_removal_url == dispatch.remote_url
    assert len(testnet.posts) == 1  # still there: a person must remove it
    assert len(mail.outbox) == 1
    assert dispatch.manual_removal_url in mail.outbox[0].body
    event = ConsentEvent.objects.get(kind=ConsentEvent.Kind.RETRACTION_MANUAL, story_id=patient_story.pk)
    assert event.data["manual_removal_url"] == dispatch.manual_removal_url
    confirm_manual_removal(dispatch, patient_story.owner)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Retraction.RETRACTED
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=patient_story.pk).exists()


def test_transient_retraction_failure_retries_until_it_works(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    story, consent, _accounts = sent_patient_story
    testnet.delete_script = [(503, {}), (503, {}), (429, {"Retry-After": "600"})]
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    # One of the two deletes succeeded after the scripted failures ran out? Run the sweep until done.
    now = timezone.now()
    for _round in range(6):
        now += datetime.timedelta(hours=2)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_sweep(now=now)
        if not testnet.posts:
            break
    assert testnet.posts == {}
    retried = Dispatch.objects.filter(page=story, retract_attempts__gt=1)
    assert retried.exists()
    assert all(d.retraction == Retraction.RETRACTED for d in Dispatch.objects.filter(page=story))
    assert Dispatch.objects.filter(page=story, events__action="retract", events__outcome="retry").exists()


def test_retraction_never_gives_up_silently(sent_patient_story, testnet, settings, django_capture_on_commit_callbacks):
    settings.VERTEL = {**settings.VERTEL, "DISPATCH_MAX_ATTEMPTS": 2}
    story, consent, (first, second) = sent_patient_story
    testnet.delete_script = [(500, {})] * 20
    with django_capture_on_commit_callbacks(execute=True):
        retract_story(story, reason="editor", channels=[first.channel_key])
    dispatch = Dispatch.objects.get(account=first)
    now = timezone.now()
    for _round in range(4):
        dispatch.refresh_from_db()
        now = max(now, dispatch.retract_next_attempt_at) + datetime.timedelta(seconds=1)
        run_retraction(dispatch.pk, now=now)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Retraction.FAILED and dispatch.retract_attempts == 5
    # Told once, after the last regular attempt; still scheduled at the capped interval.
    assert len(mail.outbox) == 1 and "keeps failing" in mail.outbox[0].subject
    assert dispatch.retract_next_attempt_at > now
    testnet.delete_script = []
    run_retraction(dispatch.pk, now=dispatch.retract_next_attempt_at)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Retraction.RETRACTED


def test_post_sent_while_withdrawal_happens_is_removed_when_it_lands(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    """The withdrawal arrives while the worker is between its claim and the network's answer."""
    from channels import dispatch as dispatch_module

    account = testnet_account()
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", account.channel_key])  # queued, not sent
    dispatch = Dispatch.objects.get(page=patient_story)
    original_publish = dispatch_module.Dispatch.account.field.related_model.adapter

    def adapter_with_withdrawal(self):
        adapter = original_publish(self)
        publish_call = adapter.publish

        def publish_then_withdraw(post):
            result = publish_call(post)
            with django_capture_on_commit_callbacks(execute=True):
                withdraw(consent)
            return result

        adapter.publish = publish_then_withdraw
        return adapter

    from channels.models import ChannelAccount

    ChannelAccount.adapter = adapter_with_withdrawal
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert run_dispatch(dispatch.pk) == State.SENT
    finally:
        ChannelAccount.adapter = original_publish
    dispatch.refresh_from_db()
    assert dispatch.retraction == Retraction.RETRACTED
    assert testnet.posts == {}


def test_post_another_valid_consent_still_covers_stays(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    story, consent, (first, _second) = sent_patient_story
    # A second signer (say, the parent as well as the patient) consented to the same version.
    build_consent(story, revision=story.live_revision, channels=["website", first.channel_key])
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["social"])
    assert Dispatch.objects.get(account=first).retraction == Retraction.NONE
    assert Dispatch.objects.get(account=_second).retraction == Retraction.RETRACTED
    assert len(testnet.posts) == 1


# -- a removal that was never queued --------------------------------------------------------------


def _failing_once(monkeypatch):
    """Make the receivers' ``retract_story`` fail once, as a database hiccup after the commit would."""
    from channels import signal_handlers as handlers

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("database is locked")

    monkeypatch.setattr(handlers, "retract_story", broken)
    return calls


def test_a_withdrawal_whose_removal_was_lost_is_removed_by_the_sweep(
    sent_patient_story, testnet, monkeypatch, django_capture_on_commit_callbacks
):
    story, consent, _accounts = sent_patient_story
    calls = _failing_once(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["social"])
    assert calls and len(testnet.posts) == 2  # the withdrawal committed; the removal was lost
    assert set(Dispatch.objects.filter(page=story).values_list("retraction", flat=True)) == {Retraction.NONE}
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        counts = dispatch_sweep()
    assert counts["missed_removals"] == 2
    assert testnet.posts == {}
    assert all(d.retraction == Retraction.RETRACTED for d in Dispatch.objects.filter(page=story))
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=story.pk).count() == 2
    # Nothing left to find: the next sweep queues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sweep()["missed_removals"] == 0


def test_an_unpublished_story_whose_removal_was_lost_is_removed_by_the_sweep(
    sent_patient_story, testnet, monkeypatch, django_capture_on_commit_callbacks
):
    story, _consent, _accounts = sent_patient_story
    _failing_once(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
    assert len(testnet.posts) == 2
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep()
    assert testnet.posts == {}
    assert set(Dispatch.objects.filter(page=story).values_list("retraction_reason", flat=True)) == {"unpublished"}


def test_the_sweep_leaves_posts_a_consent_still_covers(
    sent_patient_story, testnet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sweep()["missed_removals"] == 0
    assert len(testnet.posts) == 2


# -- withdrawn while sending, and the post never went out -----------------------------------------


@pytest.mark.parametrize("status", [422, 503])
def test_post_refused_while_the_story_was_withdrawn_is_cancelled_quietly(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks, status
):
    """Nothing went out, so nobody is asked to remove anything by hand."""
    from channels.models import ChannelAccount

    account = testnet_account()
    add_plan(patient_story, account)
    consent = publish_with_consent(patient_story, ["website", account.channel_key])  # queued, not sent
    dispatch = Dispatch.objects.get(page=patient_story)
    testnet.post_script = [(status, {})]  # the network refuses (422) or is unavailable (503)
    original_adapter = ChannelAccount.adapter

    def adapter_withdrawn_on_the_way(self):
        adapter = original_adapter(self)
        publish_call = adapter.publish

        def withdraw_then_publish(post):
            with django_capture_on_commit_callbacks(execute=True):
                withdraw(consent)
            return publish_call(post)

        adapter.publish = withdraw_then_publish
        return adapter

    ChannelAccount.adapter = adapter_withdrawn_on_the_way
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert run_dispatch(dispatch.pk) == State.CANCELLED
    finally:
        ChannelAccount.adapter = original_adapter
    dispatch.refresh_from_db()
    assert dispatch.state == State.CANCELLED and dispatch.retraction == Retraction.NONE
    assert dispatch.next_attempt_at is None and dispatch.sending_started_at is None
    # Later sweeps neither retry the post nor ask for a manual removal.
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_sweep(now=timezone.now() + datetime.timedelta(hours=3))
    dispatch.refresh_from_db()
    assert dispatch.state == State.CANCELLED and dispatch.retraction == Retraction.NONE
    assert mail.outbox == []
    assert not ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTION_MANUAL).exists()
    assert not dispatch.events.filter(outcome="manual").exists()
    assert testnet.posts == {} and [m for m, _p in testnet.requests].count("POST") == 1


def test_a_failed_post_marked_for_removal_is_cancelled_without_a_manual_notice(
    patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    """A row left FAILED (definitely not sent) but "to be removed": the removal finds nothing to do."""
    account = testnet_account()
    add_plan(patient_story, account)
    publish_with_consent(patient_story, ["website", account.channel_key])
    dispatch = Dispatch.objects.get(page=patient_story)
    Dispatch.objects.filter(pk=dispatch.pk).update(
        state=State.FAILED, sending_started_at=None, retraction=Retraction.PENDING, retraction_reason="withdrawn"
    )
    assert run_retraction(dispatch.pk) == Retraction.NONE
    dispatch.refresh_from_db()
    assert dispatch.state == State.CANCELLED and dispatch.retraction == Retraction.NONE
    assert mail.outbox == [] and testnet.requests == []


# -- "remove everywhere" lasts --------------------------------------------------------------------


def test_remove_everywhere_lasts_until_the_channel_is_planned_again(
    make_org_story, testnet, testnet_account, owner, django_capture_on_commit_callbacks
):
    page = make_org_story(publish=False)
    account = testnet_account()
    plan = add_plan(page, account)
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    with django_capture_on_commit_callbacks(execute=True):
        retract_story(page, reason="editor", actor=owner)
    assert testnet.posts == {}
    # A later publish of changed content does not post the story there again.
    page.summary = "Een bijgewerkte versie van het nieuws."
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    assert testnet.posts == {} and Dispatch.objects.filter(page=page).count() == 1
    removed = Dispatch.objects.get(page=page)
    assert removed.events.filter(action="republish", outcome="skipped", message__contains="removed").exists()
    # The editor plans the channel again (a new text): the next publish posts.
    plan.refresh_from_db()
    plan.text = "Nu echt: ons nieuwe verhaal."
    plan.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    assert len(testnet.posts) == 1
    assert next(iter(testnet.posts.values()))["text"].startswith("Nu echt: ons nieuwe verhaal.")


def test_unpublishing_is_not_a_lasting_removal(
    make_org_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    page = make_org_story(publish=False)
    add_plan(page, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    page.summary = "Terug, en bijgewerkt."
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    assert len(testnet.posts) == 1
