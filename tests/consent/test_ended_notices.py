"""The editors hear of it when a consent ends and the story is taken down (issue 13).

When a consent's end date passes (``consent.periodic.expire_consents``) or the person's data are
erased (``consent.services.erasure``), the story's owner and the editor who asked get one mail,
in their admin language, with the story's title and its edit link. Once per consent, however
often the job runs.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from wagtail.users.models import UserProfile

from consent.periodic import expire_consents
from consent.services import erase_person
from stories.models import PatientStoryPage
from tests.factories import PersonFactory

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


def reads(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


@pytest.fixture
def owner():
    return reads(
        get_user_model().objects.create_user(username="owner", password="pw", email="owner@example.org"), "en"
    )


@pytest.fixture
def live_story(make_patient_story, editor, owner):
    reads(editor, "nl")
    person = PersonFactory(full_name="Anna de Vries", email="anna@example.org")
    story = make_patient_story(title="Tijdelijk verhaal", storyteller=person)
    PatientStoryPage.objects.filter(pk=story.pk).update(owner=owner)
    story.refresh_from_db()
    consent = build_consent(
        story,
        channels=("website",),
        valid_until=timezone.now() + datetime.timedelta(days=10),
        person=person,
    )
    consent.request.created_by = editor
    consent.request.save()
    story.save_revision().publish()
    mail.outbox.clear()
    return story, consent, person


def ended_notices():
    return [
        message for message in mail.outbox if "editor@example.org" in message.to or "owner@example.org" in message.to
    ]


def test_an_expired_consent_is_told_to_the_owner_and_the_requester_once(
    live_story, django_capture_on_commit_callbacks
):
    story, consent, _person = live_story
    later = timezone.now() + datetime.timedelta(days=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_consents(now=later) == 1
    assert not PatientStoryPage.objects.get(pk=story.pk).live

    notices = ended_notices()
    assert sorted(message.to[0] for message in notices) == ["editor@example.org", "owner@example.org"]
    by_reader = {message.to[0]: message for message in notices}
    dutch, english = by_reader["editor@example.org"], by_reader["owner@example.org"]
    assert dutch.subject == "Toestemming beëindigd: Tijdelijk verhaal"
    assert consent.reference in dutch.body and "van de website en elk kanaal gehaald" in dutch.body
    assert english.subject == "Consent ended: Tijdelijk verhaal"
    assert f"/admin/pages/{story.pk}/edit/" in english.body
    assert "Anna" not in dutch.body + english.body  # nothing of the patient in a staff mail

    # The job runs again (a retry, the next minute): nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_consents(now=later + datetime.timedelta(minutes=1)) == 0
    assert len(ended_notices()) == 2


def test_an_erasure_that_takes_the_story_down_is_told_once(live_story, django_capture_on_commit_callbacks):
    story, _consent, person = live_story
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(person, actor="user:1")
    assert not PatientStoryPage.objects.get(pk=story.pk).live
    notices = ended_notices()
    assert sorted(message.to[0] for message in notices) == ["editor@example.org", "owner@example.org"]
    english = next(message for message in notices if message.to == ["owner@example.org"])
    assert english.subject == "Story taken down after an erasure: Tijdelijk verhaal"
    assert "were erased" in english.body and "Anna" not in english.body

    # Erasing again (the officer clicks twice): the consent is already ended, nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(person, actor="user:1")
    assert len(ended_notices()) == 2


def test_a_signer_withdrawal_sends_no_ended_notice(live_story, django_capture_on_commit_callbacks):
    from consent.services import withdraw

    _story, consent, _person = live_story
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")
    assert not [message for message in mail.outbox if "ended" in message.subject.lower()]
