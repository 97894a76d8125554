"""The whole consent journey in a real browser, as editor, signer and visitor see it.

An editor requests consent in the admin; the signer opens the emailed link, reads the story and
signs; the editor submits the story, the consent task is already satisfied and a moderator's
approval publishes it; the signer withdraws with the receipt's link; the public page is gone.
"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.models import WorkflowState

from channels.models import ChannelAccount, PostPlan
from consent.models import Consent
from stories.models import PatientStoryPage, StoryIndexPage
from website.models import HomePage

SIGN_LINK = re.compile(r"https?://[^/\s]+(/nl/consent/sign/[^/\s]+/)")


@pytest.fixture
def story(site_root, person):
    from wagtail.models import Locale, Site

    nl = Locale.objects.get(language_code="nl")
    home = site_root.add_child(instance=HomePage(title="Welkom", slug="welkom", locale=nl))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    else:
        site.root_page = home
        site.save()
    index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=nl))
    page = PatientStoryPage(
        title="Terug op de fiets",
        summary="Na mijn operatie fiets ik weer naar mijn werk.",
        storyteller=person,
        body=[("paragraph", "<p>Het begon met een val.</p>")],
        live=False,
        locale=nl,
    )
    index.add_child(instance=page)
    # A planned post (switched off, so nothing is sent from the test): the signer sees it anyway.
    account = ChannelAccount.objects.create(
        name="Mastodon (@zorg@zorg.social)",
        kind="mastodon",
        status="ok",
        config={"instance_url": "http://127.0.0.1:9"},
    )
    page.post_plans = [PostPlan(account=account, text="Lees hoe Anna weer naar haar werk fietst.", enabled=False)]
    page.save_revision()
    return page


@pytest.mark.browser
def test_request_sign_publish_withdraw(page, browser, live_server, story, admin_user, admin_login):
    # 1. The editor requests consent from the story in the admin.
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")
    page.shots("editor-story")
    page.goto(f"{live_server.url}{reverse('consent_request', args=[story.pk])}")
    page.fill("input[name=signer_name]", "Anna de Vries")
    page.fill("input[name=signer_email]", "anna@example.org")
    page.select_option("select[name=signer_role]", "patient")
    page.select_option("select[name=language]", "nl")
    page.check("input[name=proposed_channels][value=website]")
    account = ChannelAccount.objects.get()
    page.check(f"input[name=proposed_channels][value='{account.channel_key}']")
    page.shots("request-form")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.shots("request-sent")
    assert mail.outbox, "no email was sent to the signer"
    link = SIGN_LINK.search(mail.outbox[-1].body).group(1)

    # 2. The signer opens the link on their own device, without an account, and signs.
    signer = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    phone = signer.new_page()
    response = phone.goto(f"{live_server.url}{link}")
    assert response.status == 200
    assert "Terug op de fiets" in phone.content()
    # Next to the Mastodon choice: the post exactly as it will appear there.
    mastodon = phone.locator(".consent-channel", has=phone.locator(f"input[value='{account.channel_key}']"))
    assert "Lees hoe Anna weer naar haar werk fietst." in mastodon.inner_text()
    assert "utm_source=mastodon" in mastodon.inner_text()
    phone.check("input[name=channels][value=website]")
    phone.check(f"input[name=channels][value='{account.channel_key}']")
    phone.check("input[name=naming][value=anonymous]")
    phone.fill("input[name=typed_name]", "Anna de Vries")
    assert phone.locator("input[name=relation]").count() == 0  # a patient is not asked their relation
    phone.check("input[name=declaration]")
    phone.screenshot(path=str(page.shots.folder / "signer-form.png"), full_page=True)
    phone.click("button[name=sign]")
    phone.wait_for_load_state()
    consent = Consent.objects.get()
    assert consent.reference in phone.content()
    assert consent.content_manifest["posts"][0]["text"] == "Lees hoe Anna weer naar haar werk fietst."
    phone.screenshot(path=str(page.shots.folder / "signer-receipt.png"), full_page=True)
    withdraw_href = phone.locator("a[href*='/consent/withdraw/']").first.get_attribute("href")

    # 3. The editor submits the story; consent is already there, so it waits only for approval.
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")
    assert page.locator("button[name=action-submit]").count() == 1
    page.locator("button[name=action-submit]").evaluate("button => button.click()")
    page.wait_for_load_state()
    page.shots("submitted")
    state = WorkflowState.objects.active().for_instance(story).get()
    assert state.current_task_state.task.name != "Patient consent"
    moderator = Client()
    moderator.force_login(admin_user)
    approved = moderator.post(
        reverse("wagtailadmin_pages:workflow_action", args=[story.pk, "approve", state.current_task_state.pk]),
        {"comment": ""},
    )
    assert approved.status_code in (200, 302)
    story = PatientStoryPage.objects.get(pk=story.pk)
    assert story.live
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    public = visitor.goto(f"{live_server.url}{story.url}")
    assert public.status == 200 and "Terug op de fiets" in visitor.content()
    assert "Anna" not in visitor.content()  # the signer chose to stay anonymous
    visitor.screenshot(path=str(page.shots.folder / "public-story.png"), full_page=True)

    # 4. The signer withdraws with one click; the story is gone from the public site at once.
    # The receipt links to BASE_URL; the test server listens elsewhere, so keep only the path.
    phone.goto(live_server.url + re.sub(r"^https?://[^/]+", "", withdraw_href))
    phone.click("form button[type=submit]")
    phone.wait_for_load_state()
    phone.screenshot(path=str(page.shots.folder / "signer-withdrawn.png"), full_page=True)
    assert not PatientStoryPage.objects.get(pk=story.pk).live
    gone = visitor.goto(f"{live_server.url}{story.url}")
    assert gone.status in (404, 410)
    visitor_context.close()
    signer.close()
