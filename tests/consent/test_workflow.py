"""The "Patient story" workflow: a signature approves the consent task, then editors approve."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from consent.finish import publish_consented_revision
from consent.gate import BLOCKED_LOG_ACTION
from consent.models import Consent, ConsentRequest, hash_token, new_token
from consent.signals import consent_signed
from consent.workflow import (
    CONSENT_TASK_NAME,
    EDITORIAL_TASK_NAME,
    ConsentTask,
    ensure_patient_story_workflow,
    find_patient_story_workflow,
)
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user(username="moderator", password="pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def reload(page):
    return PatientStoryPage.objects.get(pk=page.pk)


def submit(story, user):
    return story.get_workflow().start(story, user)


def sign(story, revision=None, **fields):
    consent = build_consent(story, revision=revision, **fields)
    consent_signed.send(sender=Consent, consent=consent)
    return consent


def current_task_name(story):
    state = WorkflowState.objects.active().for_instance(story).first()
    return state.current_task_state.task.name if state and state.current_task_state else None


def approve_in_admin(client, user, story):
    state = WorkflowState.objects.active().for_instance(story).get()
    client.force_login(user)
    url = reverse("wagtailadmin_pages:workflow_action", args=[story.pk, "approve", state.current_task_state.pk])
    return client.post(url, {"comment": ""})


def test_the_default_workflow_exists_after_migrate():
    # pytest-django migrated the test database: the post_migrate receiver made the workflow.
    workflow = find_patient_story_workflow()
    assert workflow is not None
    assert [task.name for task in workflow.tasks] == [CONSENT_TASK_NAME, EDITORIAL_TASK_NAME]
    assert isinstance(workflow.tasks[0].specific, ConsentTask)
    assert list(workflow.tasks[1].specific.groups.values_list("name", flat=True)) == ["Moderators"]
    assert ensure_patient_story_workflow() == workflow  # idempotent


def test_patient_stories_use_it_and_organisation_stories_do_not(story, make_org_story):
    assert story.get_workflow() == find_patient_story_workflow()
    assert story.has_workflow
    assert make_org_story().get_workflow() != find_patient_story_workflow()


def test_nobody_can_approve_consent_by_hand(story, superuser, editor, client):
    submit(story, editor)
    task_state = WorkflowState.objects.active().for_instance(story).get().current_task_state
    assert task_state.task.name == CONSENT_TASK_NAME
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert task_state.task.specific.get_actions(story, superuser) == []
    response = approve_in_admin(client, superuser, story)
    assert response.status_code in (302, 403, 404)
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_signature_approves_consent_then_editors_publish_the_consented_revision(story, editor, moderator, client):
    submit(story, editor)
    revision = story.get_latest_revision()
    assert current_task_name(story) == CONSENT_TASK_NAME
    consent = sign(story, revision)
    assert current_task_name(story) == EDITORIAL_TASK_NAME
    # A second delivery of the signal (a double submit) changes nothing and raises nothing.
    consent_signed.send(sender=Consent, consent=consent)
    assert current_task_name(story) == EDITORIAL_TASK_NAME
    response = approve_in_admin(client, moderator, story)
    assert response.status_code == 302
    page = reload(story)
    assert page.live
    assert page.live_revision_id == revision.pk


def test_consent_for_other_content_does_not_approve(story, editor):
    submit(story, editor)
    page = reload(story)
    page.title = "Andere titel"
    other = page.save_revision()
    # Signed an older or newer revision than the one in moderation: the task keeps waiting.
    first = story.revisions.order_by("created_at").first()
    assert first.pk != other.pk
    sign(story, other)
    assert current_task_name(story) == CONSENT_TASK_NAME


def test_consent_without_website_does_not_approve(story, editor):
    submit(story, editor)
    sign(story, channels=["newsletter"])
    assert current_task_name(story) == CONSENT_TASK_NAME


def test_existing_consent_approves_the_task_on_submit(story, editor, make_consent):
    make_consent(story)
    submit(story, editor)
    assert current_task_name(story) == EDITORIAL_TASK_NAME


def test_pending_request_locks_the_story_for_everyone(story, editor, superuser):
    submit(story, editor)
    assert not story.get_lock() or not story.get_lock().for_user(superuser)
    ConsentRequest.objects.create(
        story=story,
        story_title=story.title,
        revision=story.get_latest_revision(),
        content_hash="x" * 64,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        token_hash=hash_token(new_token()),
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    page = reload(story)
    assert page.get_lock().for_user(superuser)
    assert page.get_lock().for_user(editor)


def test_edit_during_editorial_approval_sends_the_story_back_to_consent(story, editor, moderator, client):
    submit(story, editor)
    sign(story, story.get_latest_revision())
    assert current_task_name(story) == EDITORIAL_TASK_NAME
    page = reload(story)
    page.summary = "Een nieuwe samenvatting die de patiënt niet zag."
    page.save_revision(user=moderator)
    approve_in_admin(client, moderator, story)
    # WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT: the consent task restarts on the new revision.
    assert not reload(story).live
    assert current_task_name(story) == CONSENT_TASK_NAME


def test_finish_action_publishes_the_consented_revision_not_the_latest(story, editor):
    submit(story, editor)
    consented = story.get_latest_revision()
    sign(story, consented)
    state = WorkflowState.objects.active().for_instance(story).get()
    page = reload(story)
    page.title = "Nog niet getekend"
    latest = page.save_revision()
    publish_consented_revision(state)
    page = reload(story)
    assert page.live
    assert page.live_revision_id == consented.pk != latest.pk


def test_finish_action_without_consent_logs_instead_of_failing(story, editor):
    state = submit(story, editor)
    publish_consented_revision(state)
    assert not reload(story).live
    assert PageLogEntry.objects.filter(page=story, action=BLOCKED_LOG_ACTION).exists()
