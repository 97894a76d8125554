"""A visitor who uses only the keyboard: skip link, a story, a theme filter, the other language, the newsletter."""

import re

import pytest
from django.core.management import call_command

MAX_TABS = 80


@pytest.fixture
def demo(site_root, settings):
    from wagtail.models import Collection

    settings.PAGE_CACHE_ENABLED = True
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def keyboard_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    context.set_default_timeout(15_000)
    # A first render after seeding makes every image rendition: slow on a loaded machine.
    context.set_default_navigation_timeout(60_000)
    yield context.new_page()
    context.close()


def focused_matches(page, selector):
    return page.evaluate("selector => !!document.activeElement && document.activeElement.matches(selector)", selector)


def tab_to(page, selector, backwards=False):
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``; fail if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if focused_matches(page, selector):
            return page.evaluate("document.activeElement.outerHTML")
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def enter_and_wait(page):
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_visitor_reads_filters_and_switches_language(demo, keyboard_page, live_server):
    from stories.models import StoryIndexPage

    page = keyboard_page
    page.goto(f"{live_server.url}/nl/")

    # The first Tab reaches the skip link; Enter moves focus into the main content.
    page.keyboard.press("Tab")
    assert focused_matches(page, "a.skip-link")
    assert page.locator("a.skip-link").is_visible()  # visible when focused
    page.keyboard.press("Enter")
    assert focused_matches(page, "main#main")

    # From the main content, Tab to the first story card and open it.
    tab_to(page, "main .card a")
    enter_and_wait(page)
    assert re.search(r"/nl/[^/]+/[^/]+/$", page.url), page.url
    title = page.locator("main h1").inner_text()
    assert title

    # Reading: skip link again lands in the story's main content, and Tab moves through it.
    page.keyboard.press("Tab")
    assert focused_matches(page, "a.skip-link")
    page.keyboard.press("Enter")
    assert focused_matches(page, "main#main")
    assert page.evaluate("document.activeElement.innerText").find(title) >= 0

    # Back to the header (Shift+Tab) and to the story index through the main navigation.
    index = StoryIndexPage.objects.live().get(locale__language_code="nl")
    tab_to(page, f"header nav a[href='{index.url}']", backwards=True)
    enter_and_wait(page)
    assert page.url.endswith(index.url)

    # Filter by a theme with the keyboard.
    tab_to(page, "main a[href*='theme=']:not([aria-current])")
    theme_link = page.evaluate("document.activeElement.getAttribute('href')")
    enter_and_wait(page)
    slug = re.search(r"theme=([\w-]+)", theme_link).group(1)
    assert f"theme={slug}" in page.url
    assert page.locator(f"main a[href*='theme={slug}'][aria-current]").count() >= 1

    # Switch to English with the language switch.
    tab_to(page, "a[hreflang='en']", backwards=True)
    enter_and_wait(page)
    assert "/en/" in page.url
    assert page.locator("html").get_attribute("lang") == "en"


def test_keyboard_only_visitor_subscribes_in_the_footer(demo, keyboard_page, live_server, mailoutbox):
    from newsletter.models import Subscriber

    page = keyboard_page
    page.goto(f"{live_server.url}/nl/")
    form = page.locator("footer form")
    assert form.count() == 1, "the home page has no newsletter form in its footer"
    tab_to(page, "footer form input[type=email]")
    page.keyboard.type("lezer@example.org")
    for checkbox in form.locator("input[type=checkbox][required]").all():
        tab_to(page, f"footer form input[name='{checkbox.get_attribute('name')}']")
        page.keyboard.press("Space")
    tab_to(page, "footer form input[type=email]", backwards=True)
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 200
    # The confirmation page: asks to check the mailbox, on the newsletter's own address.
    assert "/newsletter/" in page.url
    assert page.locator("main h1").inner_text().strip()
    assert "lezer@example.org" not in page.url  # no personal data in the address
    # Double opt-in: a pending subscriber and one confirmation email, nothing more.
    subscriber = Subscriber.objects.get(email="lezer@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert [message.to for message in mailoutbox] == [["lezer@example.org"]]
    assert "/newsletter/confirm/" in mailoutbox[0].body
