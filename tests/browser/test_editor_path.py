"""The editor's path through the admin in a real browser (issue 11, points 18-20).

Each test drives the buttons a person clicks in Wagtail's page editor and checks what they then
see: the story live after Approve, links that name the public address, and the consent steps
labelled as what they do.
"""

import pytest
from wagtail.models import WorkflowState

from consent.models import Consent
from consent.signals import consent_signed
from stories.models import PatientStoryPage
from tests.consent.gate_fixtures import build_consent


def current_task_name(story):
    state = WorkflowState.objects.active().for_instance(story).first()
    return state.current_task_state.task.name if state and state.current_task_state else None


def click_action(page, selector):
    """Click a button of the editor's action menu, also when it sits in the closed dropdown."""
    button = page.locator(selector)
    assert button.count() == 1, f"no {selector} in the editor"
    with page.expect_navigation():
        button.evaluate("button => button.click()")
    page.wait_for_load_state()


@pytest.mark.browser
def test_approve_in_the_editor_publishes(page, live_server, site_root, admin_user, admin_login, make_patient_story):
    """Hole 18: the moderator's Approve in the editor publishes the signed story, first time."""
    story = make_patient_story(title="Weer aan het werk")
    story.get_workflow().start(story, admin_user)
    consent = build_consent(story)
    consent_signed.send(sender=Consent, consent=consent)
    assert current_task_name(story) != "Patient consent"
    revisions_before = story.revisions.count()

    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")
    page.shots("editor-awaiting-approval")
    click_action(page, "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])")
    page.shots("after-approve")

    story = PatientStoryPage.objects.get(pk=story.pk)
    assert story.live, "Approve in the editor did not publish the story"
    assert story.revisions.count() == revisions_before, "Approve saved a new, identical revision"
    visitor = page.context.browser.new_context().new_page()
    response = visitor.goto(f"{live_server.url}{story.url}")
    assert response.status == 200 and "Weer aan het werk" in visitor.content()
    visitor.context.close()
