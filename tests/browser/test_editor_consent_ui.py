"""The editor's consent path says the right thing, in a real browser (issue 11, point 20).

One story is walked through the editor's consent steps: the visible "Request consent" and
"Consent requests" buttons in the page editor's header, the request form (accounts without a
planned post say so), the patient's signing page (no date of birth asked of a patient signing
for themself), the editor's offer to apply the signed naming (by its label, not its key), and the
consent requests page (Wagtail's header, "Signed on", "Withdrawn on"). A second test checks the
create and edit forms' action menus: Submit names the workflow that runs, and no Publish that the
consent gate would refuse.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from wagtail.models import GroupApprovalTask, Workflow, WorkflowPage, WorkflowTask

from channels.models import ChannelAccount, PostPlan
from consent.gate import check_consent
from consent.models import Consent
from consent.workflow import DEFAULT_NAMES, WORKFLOW_NAME
from stories.models import Naming, PatientStoryPage
from tests.consent.gate_fixtures import build_consent

SIGN_LINK = re.compile(r"https?://[^/\s]+(/nl/consent/sign/[^/\s]+/)")


def nl(message, **values):
    """``message`` as the Dutch admin shows it."""
    with translation.override("nl"):
        text = gettext(message)
    return text % values if values else text


@pytest.fixture
def accounts(db):
    planned = ChannelAccount.objects.create(
        name="Mastodon (@zorg@zorg.social)",
        kind="mastodon",
        status="ok",
        config={"instance_url": "http://127.0.0.1:9"},
    )
    unplanned = ChannelAccount.objects.create(
        name="Bluesky (@zorg.bsky.social)", kind="bluesky", status="ok", config={}
    )
    return planned, unplanned


@pytest.mark.browser
def test_editor_consent_steps(
    page, browser, live_server, site_root, admin_user, admin_login, make_patient_story, accounts
):
    planned, unplanned = accounts
    story = make_patient_story(title="Terug op de fiets", naming=Naming.ANONYMOUS)
    story.post_plans = [PostPlan(account=planned, text="Lees hoe Anna weer fietst.", enabled=False)]
    story.save_revision()
    edit_url = f"{live_server.url}/admin/pages/{story.pk}/edit/"

    # Point 3: the consent steps are visible buttons in the editor's header, not in its "…" menu.
    admin_login(page, admin_user)
    page.goto(edit_url)
    header = page.locator("#w-slim-header-buttons")
    request_button = header.get_by_role("link", name=nl("Request consent"), exact=True)
    expect(request_button).to_be_visible()
    expect(header.get_by_role("link", name=nl("Consent requests"), exact=True)).to_be_visible()
    page.shots("editor-header")
    request_button.click()

    # Point 4: Wagtail's header with a way back to the page editor.
    expect(page.get_by_role("link", name=nl("Back to the story"))).to_have_attribute(
        "href", f"/admin/pages/{story.pk}/edit/"
    )
    # Point 5: an account without a planned post says, where it is chosen, that nothing goes there.
    no_post = nl("No planned post: nothing will be posted here.")
    expect(page.locator("label", has=page.locator(f"input[value='{unplanned.channel_key}']"))).to_contain_text(no_post)
    expect(page.locator("label", has=page.locator(f"input[value='{planned.channel_key}']"))).not_to_contain_text(
        no_post
    )
    page.fill("input[name=signer_name]", "Anna de Vries")
    page.fill("input[name=signer_email]", "anna@example.org")
    page.select_option("select[name=signer_role]", "patient")
    page.check("input[name=proposed_channels][value=website]")
    page.shots("request-form")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/admin/pages/{story.pk}/edit/$"))
    link = SIGN_LINK.search(mail.outbox[-1].body).group(1)

    # Point 4: a patient signing for themself is not asked for a date of birth.
    signer = browser.new_context(locale="nl-NL")
    phone = signer.new_page()
    phone.goto(f"{live_server.url}{link}")
    expect(phone.locator("input[name=typed_name]")).to_be_visible()
    expect(phone.locator("[name=patient_birth_date]")).to_have_count(0)
    phone.check("input[name=channels][value=website]")
    phone.check("input[name=naming][value=first_name]")  # another naming than the page's
    phone.fill("input[name=typed_name]", "Anna de Vries")
    phone.check("input[name=declaration]")
    phone.click("button[name=sign]")
    expect(phone.locator("body")).to_contain_text(Consent.objects.get().reference)
    signer.close()

    # Point 1: only the naming differs, so the editor is offered to apply it, by its label.
    page.goto(edit_url)
    label = nl(Naming.FIRST_NAME.label)
    apply_button = page.get_by_role("button", name=nl("Apply the signed naming: %(naming)s", naming=label))
    expect(apply_button).to_be_visible()
    messages = page.locator(".messages")
    with translation.override("nl"):
        new_signature = str(check_consent(story.get_latest_revision_as_object())[1].messages[0])
    expect(messages).not_to_contain_text(new_signature)
    expect(messages).to_contain_text(label)
    expect(page.locator("body")).not_to_contain_text("first_name")
    page.shots("editor-naming-offer")
    apply_button.click()
    page.wait_for_url(re.compile(rf".*/admin/pages/{story.pk}/edit/$"))
    story = PatientStoryPage.objects.get(pk=story.pk)
    assert story.get_latest_revision_as_object().naming == Naming.FIRST_NAME
    expect(page.locator("[data-consent-apply-naming]")).to_have_count(0)
    assert check_consent(story.get_latest_revision_as_object())[1] is None

    # Point 4: the requests page has Wagtail's header and says when a request was signed or withdrawn.
    withdrawn = build_consent(story, withdrawn_at=timezone.now())
    page.locator("#w-slim-header-buttons").get_by_role("link", name=nl("Consent requests"), exact=True).click()
    expect(page.locator("h1")).to_contain_text(nl("Consent requests"))
    expect(page.get_by_role("link", name=nl("Back to the story"))).to_have_attribute(
        "href", f"/admin/pages/{story.pk}/edit/"
    )
    signed_row = page.locator(
        f"tr[data-consent-request='{Consent.objects.exclude(pk=withdrawn.pk).get().request_id}']"
    )
    when = signed_row.locator("[data-consent-request-when]")
    expect(when).to_contain_text(nl("Signed on %(date)s", date="").strip())
    expect(when).not_to_contain_text(nl("Link expires %(date)s", date="").strip())
    withdrawn_when = page.locator(f"tr[data-consent-request='{withdrawn.request_id}'] [data-consent-request-when]")
    expect(withdrawn_when).to_contain_text(nl("Withdrawn on %(date)s", date="").strip())
    page.shots("consent-requests")


@pytest.mark.browser
def test_action_menus_offer_only_what_runs(page, live_server, site_root, admin_user, admin_login, make_patient_story):
    # The parent tree uses another workflow than patient stories do.
    moderators = Workflow.objects.create(name="Moderators approval")
    task = GroupApprovalTask.objects.create(name="Moderators approval task")
    task.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    WorkflowTask.objects.create(workflow=moderators, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=moderators, page=site_root)
    story = make_patient_story(title="Zonder toestemming")
    index = story.get_parent()

    admin_login(page, admin_user)
    # Point 2: the create form names the workflow that will run, and offers no Publish.
    page.goto(f"{live_server.url}/admin/pages/add/stories/patientstorypage/{index.pk}/")
    submit = page.locator("button[name=action-submit]")
    expect(submit).to_have_count(1)
    with translation.override("nl"):  # the workflow named in the editor's language (the browser asks Dutch)
        expect(submit).to_contain_text(str(DEFAULT_NAMES[WORKFLOW_NAME]))
    expect(submit).not_to_contain_text("Moderators approval")
    expect(page.locator("[name=action-publish]")).to_have_count(0)
    page.shots("create-form")
    # ... nor does the edit form of a story no consent covers.
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")
    expect(page.locator("button[name=action-submit]")).to_have_count(1)
    expect(page.locator("[name=action-publish]")).to_have_count(0)
