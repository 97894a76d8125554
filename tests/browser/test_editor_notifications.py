"""Editors are told, where they work, when a patient signs and withdraws (issue 13), in a real browser.

A Dutch editor owns a patient story and asks for consent; the patient signs on their phone. The
editor gets a mail naming the story with a link, finds the story on the dashboard under "signed
and ready to publish" and its state in the page explorer's consent column and on its edit page.
The patient then withdraws: the editor is mailed again, the edit page says the consent was
withdrawn, the explorer and the dashboard say "withdrawn", and the requests list no longer says
"signed".
"""

import re

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from wagtail.users.models import UserProfile

from consent.models import Consent, ConsentRequest
from consent.services.requests import create_request
from stories.models import Naming, PatientStoryPage

WITHDRAW_LINK = re.compile(r"https?://[^/\s]+(/nl/consent/withdraw/[^/\s]+/)")
TITLE = "Weer thuis na de revalidatie"


def nl(message, **values):
    with translation.override("nl"):
        text = gettext(message)
    return text % values if values else text


def to_editor(subject_start):
    return [m for m in mail.outbox if m.to == ["redacteur@example.org"] and m.subject.startswith(subject_start)]


@pytest.mark.browser
def test_editor_is_told_of_signature_and_withdrawal(
    page, browser, live_server, site_root, admin_user, admin_login, make_patient_story
):
    profile = UserProfile.get_for_user(admin_user)
    profile.preferred_language = "nl"
    profile.save()
    story = make_patient_story(title=TITLE, naming=Naming.FIRST_NAME)
    PatientStoryPage.objects.filter(pk=story.pk).update(owner=admin_user)
    _request, token = create_request(
        story=story,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=admin_user,
    )
    link = f"/nl/consent/sign/{token}/"

    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.get_parent().pk}/")
    row = page.locator("tr", has=page.get_by_role("link", name=TITLE))
    expect(row.locator("[data-consent-state=pending]")).to_contain_text(nl("Waiting for a signature"))

    # The patient signs on their phone.
    signer = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    phone = signer.new_page()
    phone.goto(f"{live_server.url}{link}")
    phone.check("input[name=channels][value=website]")
    phone.check("input[name=naming][value=first_name]")
    phone.fill("input[name=typed_name]", "Anna de Vries")
    phone.check("input[name=declaration]")
    phone.click("button[name=sign]")
    reference = Consent.objects.get().reference
    expect(phone.locator("body")).to_contain_text(reference)

    # The editor's mail: in Dutch, the story's title and a link to its edit page, nothing of Anna.
    [signed] = to_editor(nl("Consent signed: %(title)s", title=""))
    assert signed.subject == nl("Consent signed: %(title)s", title=TITLE)
    assert f"/admin/pages/{story.pk}/edit/" in signed.body and "Anna" not in signed.body

    # The dashboard lists it as signed and ready; its link opens the editor, which shows the state.
    page.goto(f"{live_server.url}/admin/")
    panel = page.locator("#consent-overview-section")
    ready = panel.locator("[data-consent-list=ready]")
    expect(ready).to_contain_text(TITLE)
    page.shots("dashboard-signed")
    ready.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(rf".*/admin/pages/{story.pk}/edit/$"))
    expect(page.locator("[data-consent-state=signed]")).to_contain_text(nl("Signed"))
    # Patient stories are not autosaved: the form has no autosave indicator.
    expect(page.locator("#w-autosave-indicator")).to_have_count(0)
    page.shots("editor-signed")

    # The patient withdraws with the link from their receipt.
    receipt = [m for m in mail.outbox if m.to == ["anna@example.org"] and reference in m.subject][-1]
    phone.goto(f"{live_server.url}{WITHDRAW_LINK.search(receipt.body).group(1)}")
    phone.get_by_role("button", name=nl("Withdraw my consent")).click()
    phone.wait_for_load_state()
    signer.close()

    [withdrawn] = to_editor(nl("Consent withdrawn: %(title)s", title=""))
    assert TITLE in withdrawn.subject and f"/admin/pages/{story.pk}/edit/" in withdrawn.body

    # The edit page says so, and so do the explorer, the dashboard and the requests list.
    page.reload()
    with translation.override("nl"):
        said = gettext(
            "The consent for this story was withdrawn on %(date)s (reference %(reference)s): it was taken off "
            "the channels it covered. It can go out again only after a new signature: request consent."
        )
    messages = page.locator(".messages")
    expect(messages).to_contain_text(said.split("%(date)s")[0].strip())
    expect(messages).to_contain_text(reference)
    expect(page.locator("[data-consent-state=withdrawn]")).to_contain_text(nl("Withdrawn"))
    page.shots("editor-withdrawn")
    page.goto(f"{live_server.url}/admin/pages/{story.get_parent().pk}/")
    row = page.locator("tr", has=page.get_by_role("link", name=TITLE))
    expect(row.locator("[data-consent-state=withdrawn]")).to_contain_text(nl("Withdrawn"))
    page.shots("explorer-withdrawn")
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("[data-consent-list=withdrawn]")).to_contain_text(TITLE)
    expect(page.locator("[data-consent-list=ready]")).not_to_contain_text(TITLE)
    page.goto(f"{live_server.url}/admin/consent/requests/?story={story.pk}")
    request_row = page.locator(f"tr[data-consent-request='{Consent.objects.get().request_id}']")
    expect(request_row).to_contain_text(nl("Withdrawn"))
    expect(request_row).not_to_contain_text(nl("Signed on %(date)s", date="").strip())
