"""Screenshots of every public page at phone and desktop widths, saved under test-artifacts/screenshots/ (not in git).

Each page is opened once and pictured at desktop width, then at phone width, where nothing may
stick out sideways (horizontal scrolling hides text). The consent pages are reached as a signer
reaches them: the signing form, its receipt, the withdrawal form and its confirmation. The admin
screens are pictured by ``test_admin_a11y``.
"""

import re

from django.core.management import call_command

from .conftest import ARTIFACTS
from .test_a11y import pending_request

# The one folder every browser test saves into (git-ignored).
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def seed_demo():
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def key_pages(language):
    from stories.models import OrganisationStoryPage, PatientStoryPage, StoryIndexPage

    index = StoryIndexPage.objects.live().get(locale__language_code=language)
    return {
        "home": f"/{language}/",
        "index": index.url,
        "patient-story": PatientStoryPage.objects.live().filter(locale__language_code=language)[0].url,
        "organisation-story": OrganisationStoryPage.objects.live().filter(locale__language_code=language)[0].url,
        "search": f"/{language}/search/",
        "search-results": f"/{language}/search/?q=zorg" if language == "nl" else "/en/search/?q=care",
        "newsletter-subscribe": f"/{language}/newsletter/",
    }


def picture(page, name):
    """Desktop, then phone: both saved; at phone width the page must not scroll sideways."""
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        if width == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} ({page.url}) scrolls sideways by {overflow}px at phone width"
        target = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 1000, target
    page.set_viewport_size(VIEWPORTS["desktop"])


def open_page(page, url, status=200):
    response = page.goto(url)
    assert response.status == status, url


def test_public_pages_screenshots(site_root, browser, live_server, settings, mailoutbox):
    settings.PAGE_CACHE_ENABLED = True
    seed_demo()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS["desktop"], device_scale_factor=1)
    context.set_default_navigation_timeout(60_000)
    page = context.new_page()
    try:
        for language in ("nl", "en"):
            for name, path in key_pages(language).items():
                open_page(page, f"{live_server.url}{path}")
                picture(page, f"{language}-{name}")
            open_page(page, f"{live_server.url}/{language}/no-such-page/", 404)
            picture(page, f"{language}-not-found")
            # A signer's way: the signing form, the receipt, withdrawal and its confirmation.
            base = f"{live_server.url}/{language}/consent"
            open_page(page, f"{base}/sign/{pending_request(language)}/")
            picture(page, f"{language}-consent-sign")
            page.check("input[name=channels][value=website]")
            page.check("input[name=naming][value=anonymous]")
            page.fill("input[name=typed_name]", "Anna de Vries")
            if page.locator("input[name=relation]").count():
                page.fill("input[name=relation]", "ikzelf")
            page.check("input[name=declaration]")
            page.click("button[name=sign]")
            page.wait_for_load_state()
            withdraw = page.locator("a[href*='/consent/withdraw/']").first.get_attribute("href")
            picture(page, f"{language}-consent-receipt")
            withdraw = re.sub(r"^https?://[^/]+", "", withdraw).replace("/nl/", f"/{language}/", 1)
            open_page(page, f"{live_server.url}{withdraw}")
            picture(page, f"{language}-consent-withdraw")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            picture(page, f"{language}-consent-withdrawn")
    finally:
        context.close()
