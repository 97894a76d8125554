"""Screenshots of the key pages at phone and desktop widths, saved under test-artifacts/screenshots/ (not in git)."""

import pytest
from django.core.management import call_command

from .conftest import ARTIFACTS

# The one folder every browser test saves into (git-ignored).
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture
def demo(site_root, settings):
    from wagtail.models import Collection

    settings.PAGE_CACHE_ENABLED = True
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def key_pages():
    from stories.models import OrganisationStoryPage, PatientStoryPage, StoryIndexPage

    pages = {}
    for language in ("nl", "en"):
        index = StoryIndexPage.objects.live().get(locale__language_code=language)
        pages[f"{language}-home"] = f"/{language}/"
        pages[f"{language}-index"] = index.url
        pages[f"{language}-patient-story"] = (
            PatientStoryPage.objects.live().filter(locale__language_code=language)[0].url
        )
        pages[f"{language}-organisation-story"] = (
            OrganisationStoryPage.objects.live().filter(locale__language_code=language)[0].url
        )
        pages[f"{language}-search"] = f"/{language}/search/?q=zorg" if language == "nl" else "/en/search/?q=care"
    return pages


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_key_pages_screenshots(demo, browser, live_server, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[width], device_scale_factor=1)
    page = context.new_page()
    try:
        for name, path in key_pages().items():
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            # Nothing may stick out sideways on a phone: horizontal scrolling hides text.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {width} width"
            target = SCREENSHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 1000
    finally:
        context.close()
