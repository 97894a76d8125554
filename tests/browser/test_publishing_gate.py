"""In a real browser: the Publish button appears only once a consent covers the story."""

import pytest

from stories.models import PatientStoryPage
from tests.consent.gate_fixtures import build_consent


@pytest.mark.browser
def test_publish_button_only_with_consent(page, live_server, site_root, admin_user, admin_login, make_patient_story):
    story = make_patient_story(title="Een verhaal met toestemming")
    edit_url = f"{live_server.url}/admin/pages/{story.pk}/edit/"
    admin_login(page, admin_user)

    page.goto(edit_url)
    page.shots("editor-without-consent")
    assert page.locator("button[name=action-publish]").count() == 0
    # The story goes to the consent workflow instead.
    assert page.locator("button[name=action-submit]").count() == 1

    build_consent(story)
    page.goto(edit_url)
    publish = page.locator("button[name=action-publish]")
    assert publish.count() == 1
    page.shots("editor-with-consent")
    publish.evaluate("button => button.click()")  # it sits in the action menu's dropdown
    page.wait_for_load_state()
    page.shots("published")
    story = PatientStoryPage.objects.get(pk=story.pk)
    assert story.live

    response = page.goto(f"{live_server.url}{story.url}")
    assert response.status == 200
    assert "Een verhaal met toestemming" in page.content()
    page.shots("public-page")
