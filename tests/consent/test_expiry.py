"""Expiry: a consent past its end date is withdrawn like any other; editors are warned once before."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from consent.models import ConsentEvent
from consent.periodic import expire_consents, warn_before_expiry
from consent.signals import consent_withdrawn
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_story(make_patient_story, editor):
    story = make_patient_story(title="Tijdelijk verhaal")
    consent = build_consent(
        story, channels=("website", "social"), valid_until=timezone.now() + datetime.timedelta(days=10)
    )
    consent.request.created_by = editor
    consent.request.save()
    story.save_revision().publish()
    return story, consent


def test_expired_consent_takes_the_story_off(live_story, django_capture_on_commit_callbacks):
    story, consent = live_story
    received = []
    consent_withdrawn.connect(lambda **kwargs: received.append(kwargs["reason"]), weak=False, dispatch_uid="t-exp")
    try:
        assert expire_consents() == 0
        assert PatientStoryPage.objects.get(pk=story.pk).live
        with django_capture_on_commit_callbacks(execute=True):
            assert expire_consents(now=timezone.now() + datetime.timedelta(days=11)) == 1
    finally:
        consent_withdrawn.disconnect(dispatch_uid="t-exp")
    assert not PatientStoryPage.objects.get(pk=story.pk).live
    assert received == ["expired"]
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.EXPIRED, consent_id=consent.pk).exists()
    # Running it again finds nothing left to do.
    assert expire_consents(now=timezone.now() + datetime.timedelta(days=12)) == 0


def test_editor_is_warned_once_within_thirty_days(live_story):
    _story, consent = live_story
    assert warn_before_expiry() == 1
    assert mail.outbox[-1].to == ["editor@example.org"]
    assert consent.reference in mail.outbox[-1].subject
    assert warn_before_expiry() == 0
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.EXPIRY_WARNED).count() == 1


def test_run_schedule_once_runs_the_consent_jobs(live_story, monkeypatch):
    story, _consent = live_story
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + datetime.timedelta(days=11))
    call_command("run_schedule", "--once")
    assert not PatientStoryPage.objects.get(pk=story.pk).live


def test_the_warning_is_in_the_sites_language_with_a_link_and_no_personal_data(live_story, settings):
    story, consent = live_story
    settings.BASE_URL = "https://verhalen.example.org"
    settings.WAGTAILADMIN_BASE_URL = settings.BASE_URL  # the link is to the admin (base.py: the same)
    settings.LANGUAGE_CODE = "nl"  # a new installation's language (the consent tests read English)
    warn_before_expiry()
    message = mail.outbox[-1]
    ends = timezone.localtime(consent.valid_until).strftime("%d-%m-%Y")
    assert message.subject == f"Toestemming {consent.reference} eindigt op {ends}"
    assert "automatisch van elk kanaal gehaald" in message.body
    assert f"https://verhalen.example.org/admin/pages/{story.pk}/edit/" in message.body
    # The story by its title, as the editor sees it in the admin (issue 13); nothing of the signer.
    assert f"“{story.title}”" in message.body
    assert consent.request.signer_name not in message.body + message.subject
    assert consent.signer_typed_name not in message.body + message.subject


def test_a_mail_failure_leaves_the_warning_due_and_goes_on_with_the_others(
    live_story, make_patient_story, monkeypatch
):
    _story, first = live_story
    second_story = make_patient_story(title="Ander verhaal")
    second = build_consent(second_story, channels=("website",), valid_until=first.valid_until)
    second.request.created_by = first.request.created_by
    second.request.save()
    from consent import periodic
    from core.mail import render

    real_send = periodic.mail.send  # the warning is sent through core.mail (issue 12)

    def send(template, context, to, **kwargs):
        if first.reference in render(template, context, to, **kwargs).subject:
            raise ConnectionRefusedError("mail server down")
        return real_send(template, context, to, **kwargs)

    monkeypatch.setattr(periodic.mail, "send", send)
    assert warn_before_expiry() == 1
    assert [second.reference in message.subject for message in mail.outbox] == [True]
    first.refresh_from_db()
    assert first.expiry_warning_sent_at is None  # tried again on the next run
    monkeypatch.setattr(periodic.mail, "send", real_send)
    assert warn_before_expiry() == 1
    assert first.reference in mail.outbox[-1].subject
