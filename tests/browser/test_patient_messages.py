"""The signer's pages on a phone (375 px): the questions that apply, the longest term, a receipt that fits.

A patient signing for themself opens their personal link in Chromium, sees no question about their
relation or date of birth, reads the date an empty end date stands for, signs, and gets a receipt
whose long fingerprints wrap instead of widening the page. The withdrawal page names the story.
"""

import pytest
from wagtail.models import Locale, Site

from consent.forms import latest_end_date
from consent.models import Consent
from consent.services.requests import create_request, signing_url
from stories.models import PatientStoryPage, StoryIndexPage
from website.models import HomePage, OrganisationSettings

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def story(site_root, person):
    nl = Locale.objects.get(language_code="nl")
    home = site_root.add_child(instance=HomePage(title="Welkom", slug="welkom", locale=nl))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    else:
        site.root_page = home
        site.save()
    OrganisationSettings.objects.update_or_create(site=site, defaults={"organisation_name": "Ziekenhuis De Linde"})
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
    page.save_revision()
    return page


def fits(phone):
    """No part of the page is wider than the phone: nothing to scroll sideways."""
    return phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_a_patient_signs_on_a_phone_and_the_receipt_fits(browser, live_server, story, admin_user, settings):
    from django.core.cache import cache

    cache.clear()
    settings.BASE_URL = live_server.url
    request, token = create_request(
        story=story,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery="email",
        created_by=admin_user,
    )
    context = browser.new_context(locale="nl-NL", viewport=PHONE)
    context.set_default_timeout(15_000)
    phone = context.new_page()
    assert phone.goto(signing_url(request, token)).status == 200
    assert phone.locator("input[name=relation]").count() == 0
    assert phone.locator("[name=patient_birth_date]").count() == 0
    longest = latest_end_date()
    help_text = phone.locator("#valid-until-help").inner_text()
    assert "langste termijn" in help_text and str(longest.year) in help_text and f"{longest.day} " in help_text
    assert phone.locator("input[name=valid_until]").get_attribute("aria-describedby") == "valid-until-help"
    phone.check("input[name=channels][value=website]")
    phone.check("input[name=naming][value=first_name]")
    phone.fill("input[name=typed_name]", "Anna de Vries")
    phone.check("input[name=declaration]")
    phone.click("button[name=sign]")
    phone.wait_for_load_state()
    consent = Consent.objects.get()
    receipt = phone.locator(".receipt")
    text = receipt.inner_text()
    assert consent.reference in text and "Alleen voornaam" in text and "first_name" not in text
    assert "Terug op de fiets" in text and "Ziekenhuis De Linde" in text
    phone.screenshot(path=str(_artefact("receipt-375.png")), full_page=True)
    assert fits(phone), "the receipt is wider than a 375 px phone"
    for box in phone.locator(".receipt-hash").evaluate_all("els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= PHONE["width"], "a fingerprint runs off the screen"

    withdraw = phone.locator("a[href*='/consent/withdraw/']").first.get_attribute("href")
    phone.goto(withdraw)
    assert "Terug op de fiets" in phone.content()
    assert fits(phone)
    context.close()


def _artefact(name):
    from tests.browser.conftest import ARTIFACTS

    folder = ARTIFACTS / "patient_messages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
