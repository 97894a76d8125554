"""A visitor on a story page and the home page (issue 13), at phone and desktop width: the breadcrumb,
reading time, share links, care link, next and related stories and the featured story are there,
readable (no sideways scrolling, a text measure near 65 characters) and free of axe violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import ARTIFACTS, settle

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
axe = Axe()


@pytest.fixture
def stories(site_root):
    from wagtail.models import Locale, Site

    from stories.models import Department, RelatedStory, StoryIndexPage, Theme
    from tests.factories import OrganisationStoryPageFactory
    from website.models import HomePage

    nl = Locale.objects.get(language_code="nl")
    home = site_root.add_child(instance=HomePage(title="Welkom", slug="home-nl", locale=nl))
    site = Site.objects.filter(is_default_site=True).first() or Site(hostname="localhost", is_default_site=True)
    site.root_page = home
    site.save()
    index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=nl))
    theme = Theme.objects.create(name="Diabetes", slug="diabetes", locale=nl)
    department = Department.objects.create(
        name="Interne geneeskunde", location="Utrecht", url="https://ziekenhuis.example/interne"
    )
    paragraph = "<p>" + " ".join(["Ik leerde weer fietsen na mijn operatie."] * 60) + "</p>"
    older = OrganisationStoryPageFactory(parent=index, title="Een nieuwe afdeling", publish=True)
    story = OrganisationStoryPageFactory(
        parent=index,
        title="Terug op de fiets na een lange revalidatie",
        summary="Hoe het team van interne geneeskunde hielp.",
        body=[("paragraph", paragraph)],
        department=department,
    )
    story.themes.add(theme)
    RelatedStory.objects.create(page=story, story=older)
    story.save_revision().publish()
    story.refresh_from_db()
    return {"home": home, "story": story, "older": older}


def violations(page):
    settle(page)
    found = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}}).response["violations"]
    return [(item["id"], [node["target"] for node in item["nodes"]][:3]) for item in found]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_story_page_reads_well_and_passes_axe(browser, live_server, stories, width):
    context = browser.new_context(locale="nl-NL", viewport=WIDTHS[width])
    context.set_default_timeout(15_000)
    page = context.new_page()
    shots = ARTIFACTS / "story_pages"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}{stories['story'].url}")
        crumbs = page.locator(".breadcrumb li").all_inner_texts()
        assert [crumb.strip("› ").strip() for crumb in crumbs][:3] == ["Start", "Verhalen", "Diabetes"]
        assert page.locator(".reading-time").inner_text().endswith("min. lezen")
        assert page.locator(".care-link a").get_attribute("href") == "https://ziekenhuis.example/interne"
        assert page.locator(".share-list a").count() == 6
        assert page.locator(".next-story .card-title").inner_text() == "Een nieuwe afdeling"
        assert page.locator(".related-stories .card-title").inner_text() == "Een nieuwe afdeling"
        # No sideways scrolling; the text measure stays near 65 characters.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        measure = page.evaluate(
            """() => {
                const p = document.querySelector('.story-body p');
                const probe = document.createElement('span');
                probe.textContent = '0'.repeat(10);
                p.appendChild(probe);
                const ch = probe.getBoundingClientRect().width / 10;
                probe.remove();
                return p.getBoundingClientRect().width / ch;
            }"""
        )
        assert measure <= 70, measure
        page.screenshot(path=str(shots / f"story-page-{width}.png"), full_page=True)
        assert violations(page) == []

        page.goto(f"{live_server.url}/nl/")
        assert page.locator(".featured-title").inner_text() == "Terug op de fiets na een lange revalidatie"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(shots / f"home-page-{width}.png"), full_page=True)
        assert violations(page) == []

        page.goto(f"{live_server.url}/nl/search/?q=fiets")
        assert page.locator(".search-result .story-type").first.inner_text()
        assert violations(page) == []
    finally:
        context.close()
