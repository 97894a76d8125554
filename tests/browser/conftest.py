"""Browser test infrastructure: Debian's Chromium driven by Playwright against pytest-django's live server.

Reusable fixtures: ``browser`` (one headless Chromium per session), ``page`` (a fresh context per
test, with a screenshot helper), ``site_root`` (the Wagtail tree a flushed database lacks),
``admin_user``, ``admin_login``, and the channel tests' ``loopnet`` and ``networks``. The tests are
skipped when Chromium is missing, unless ``VERTEL_REQUIRE_BROWSER=1`` (CI), which turns a missing
browser into a failure.
"""

import os
import re
from pathlib import Path

import pytest

# Sync Playwright runs an event loop in the test thread; the ORM calls the tests make there are
# still synchronous, so Django's async-safety check must be told so.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("VERTEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Every finite animation and transition brought to its end (spinners, which run forever, are left).
_SETTLE = """() => document.getAnimations().forEach((animation) => {
    if (animation.effect?.getTiming().iterations !== Infinity) animation.finish();
})"""


def settle(page):
    """The page as it looks once its animations are over, for axe: Wagtail fades its messages in,
    and a message caught halfway has the contrast of its half-transparent colours (a result that
    would depend on the machine's speed, not on the colours)."""
    page.evaluate(_SETTLE)


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).parent
    for item in items:
        if browser_dir in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (set VERTEL_CHROMIUM)"
        if os.environ.get("VERTEL_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Saves numbered screenshots of one test into ``test-artifacts/<test name>/``."""

    def __init__(self, page, name):
        self.page = page
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, step, page=None):
        self.count += 1
        target = page or self.page
        target.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    # A first render after seeding makes every image rendition: slow on a loaded machine.
    context.set_default_navigation_timeout(60_000)
    page = context.new_page()
    page.shots = Shots(page, request.node.name)
    yield page
    context.close()


@pytest.fixture
def site_root(transactional_db):
    """Wagtail's root page, locales and default site; a flushed test database has none of them."""
    from wagtail.models import Locale, Page

    Locale.objects.get_or_create(language_code="nl")
    Locale.objects.get_or_create(language_code="en")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.objects.get(language_code="nl")))
    return Page.get_first_root_node()


@pytest.fixture
def admin_user(site_root, django_user_model):
    return django_user_model.objects.create_superuser(
        username="redacteur", email="redacteur@example.org", password="browser-test-password"
    )


@pytest.fixture
def admin_login(live_server):
    """``admin_login(page, user, password)`` signs in through Wagtail's login form."""

    def login(page, user, password="browser-test-password"):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/admin/$"))
        return page

    return login


@pytest.fixture
def loopnet(monkeypatch):
    """The channel admin's loopback network (``tests.channels.admin_fixtures``), started per test."""
    from tests.channels.admin_fixtures import use_loopnet

    server = use_loopnet(monkeypatch)
    yield server
    server.stop()


@pytest.fixture
def networks(monkeypatch):
    """The adapter registry with Bluesky, Mastodon and Instagram present (``tests.channels.plan_fixtures``)."""
    from tests.channels.plan_fixtures import use_networks

    return use_networks(monkeypatch)
