"""The consent requests list's "Send a new link" and "Revoke" buttons, clicked in Chromium (issue 13).

An editor clicks the real button in the admin's requests list, and the test looks at what the
person who was asked sees: after a resend a new e-mail with a working link, while the old link
shows the "this link does not work" page; after a revoke the link shows that the request was
cancelled, and the list says the request was revoked.
"""

import re

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from consent.models import ConsentRequest
from consent.services import create_request, send_request_email

SIGN_LINK = re.compile(r"https?://[^/\s]+(/nl/consent/sign/[^/\s]+/)")


def nl(message):
    with translation.override("nl"):
        return gettext(message)


@pytest.fixture
def emailed_request(make_patient_story, admin_user):
    story = make_patient_story(title="Weer aan het werk")
    consent_request, token = create_request(
        story=story,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=admin_user,
    )
    send_request_email(consent_request, token)
    link = SIGN_LINK.search(mail.outbox[-1].body).group(1)
    return story, consent_request, link


def open_requests(page, live_server, story, consent_request):
    page.goto(f"{live_server.url}/admin/consent/requests/?story={story.pk}")
    return page.locator(f"tr[data-consent-request='{consent_request.pk}']")


def click_and_confirm(page, button):
    """Click ``button``; accept a confirmation dialog if the admin asks for one."""
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    confirm = page.locator("[data-w-dialog-target='dialog'] button[type=submit], .w-dialog button.button[type=submit]")
    if confirm.count() and confirm.first.is_visible():
        confirm.first.click()


@pytest.mark.browser
def test_send_a_new_link_mails_a_working_link_and_the_old_one_stops(
    page, browser, live_server, admin_user, admin_login, emailed_request
):
    story, consent_request, old_link = emailed_request
    mails_before = len(mail.outbox)
    admin_login(page, admin_user)
    row = open_requests(page, live_server, story, consent_request)
    expect(row).to_contain_text(nl("Waiting for signature"))

    click_and_confirm(page, row.get_by_role("button", name=nl("Send a new link"), exact=True))
    expect(page.locator(".messages")).to_contain_text(nl("A new link was emailed; the old link no longer works."))
    page.shots("requests-after-resend")

    assert len(mail.outbox) == mails_before + 1
    message = mail.outbox[-1]
    assert message.to == ["anna@example.org"]
    new_link = SIGN_LINK.search(message.body).group(1)
    assert new_link != old_link

    signer = browser.new_context(locale="nl-NL")
    phone = signer.new_page()
    phone.goto(f"{live_server.url}{old_link}")
    expect(phone.locator("h1")).to_have_text(nl("This link does not work"))
    expect(phone.locator("input[name=typed_name]")).to_have_count(0)
    phone.goto(f"{live_server.url}{new_link}")
    expect(phone.locator("input[name=typed_name]")).to_be_visible()
    expect(phone.locator("body")).to_contain_text("Weer aan het werk")
    signer.close()


@pytest.mark.browser
def test_revoke_cancels_the_link_and_the_list_says_revoked(
    page, browser, live_server, admin_user, admin_login, emailed_request
):
    story, consent_request, link = emailed_request
    admin_login(page, admin_user)
    row = open_requests(page, live_server, story, consent_request)

    click_and_confirm(page, row.get_by_role("button", name=nl("Revoke"), exact=True))
    expect(page.locator(".messages")).to_contain_text(nl("The request was revoked; its link no longer works."))
    row = page.locator(f"tr[data-consent-request='{consent_request.pk}']")
    expect(row).to_contain_text(nl("Revoked by the organisation"))
    expect(row.get_by_role("button", name=nl("Revoke"), exact=True)).to_have_count(0)
    expect(row.get_by_role("button", name=nl("Send a new link"), exact=True)).to_have_count(0)
    page.shots("requests-after-revoke")
    consent_request.refresh_from_db()
    assert consent_request.status == ConsentRequest.Status.REVOKED

    signer = browser.new_context(locale="nl-NL")
    phone = signer.new_page()
    phone.goto(f"{live_server.url}{link}")
    expect(phone.locator("h1")).to_have_text(nl("This request was cancelled"))
    expect(phone.locator("input[name=typed_name]")).to_have_count(0)
    signer.close()
