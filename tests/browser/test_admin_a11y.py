"""axe-core on every admin screen an editor or administrator meets, in Dutch and English, with screenshots.

The demo content is loaded once per test (``seed_demo``); an administrator signs in and sees each
screen twice, with Wagtail's preferred language set to Dutch, then to English. Every screen must
have zero WCAG 2.2 AA violations (the tags of ``test_a11y``), and is saved at phone (390) and
desktop (1366) widths (in Dutch) under ``test-artifacts/screenshots/admin-<screen>-<width>.png``.

One test visits everything: pytest-django flushes the database after every test that uses the
live server, so a module-scoped seed would not survive the first test, and a seed costs more
than the visits.

Wagtail's own markup: see ``WAGTAIL_EXCLUDES``. Nothing of ours is excluded.
"""

import json
import re

from django.core.management import call_command
from django.urls import reverse

from .conftest import ARTIFACTS, settle
from .test_a11y import WCAG_TAGS, axe

SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Violations in Wagtail's own widgets, which this project does not render and cannot label: each is
# (axe rule, the Wagtail element the failing node lies in, why). Only nodes inside that element are
# let through; the same rule anywhere else still fails.
WAGTAIL_EXCLUDES = [
    # Draftail (Wagtail's rich text editor, a Draft.js contenteditable with role="textbox"): its
    # <label> points at the hidden input Wagtail keeps the value in, so the textbox has no name.
    # Story body paragraphs (StreamField rich text blocks), the newsletter issue's introduction.
    ("aria-input-field-name", ".Draftail-Editor"),
    # Wagtail's tag field (AdminTagWidget, jQuery tag-it): the text box tag-it adds for typing a new
    # tag has no label of its own; the field's <label> points at the hidden input. Story tags.
    ("label", ".tagit"),
]


def admin_screens():
    """(name, admin path) of every screen to check, looked up in the seeded demo."""
    from wagtail.models import Site

    from channels.models import ChannelAccount, Dispatch
    from consent.models import Consent
    from newsletter.models import NewsletterIssue
    from stories.models import PatientStoryPage, StoryIndexPage

    index = StoryIndexPage.objects.get(locale__language_code="nl")
    story = PatientStoryPage.objects.filter(locale__language_code="nl").first()
    account = ChannelAccount.objects.get(name="Mastodon zorg")
    failed = Dispatch.objects.filter(state=Dispatch.State.FAILED).first()
    issue = NewsletterIssue.objects.filter(language="nl").first()
    site = Site.objects.get(is_default_site=True)
    person = Consent.objects.filter(person__isnull=False).first().person_id
    return [
        ("dashboard", reverse("wagtailadmin_home")),
        ("explorer", reverse("wagtailadmin_explore", args=[index.pk])),
        ("story-edit", reverse("wagtailadmin_pages:edit", args=[story.pk])),
        ("consent-request", reverse("consent_request", args=[story.pk])),
        ("consent-requests", reverse("consent_requests")),
        ("consent-requests-story", f"{reverse('consent_requests')}?story={story.pk}"),
        ("consent-evidence", reverse("consent_evidence")),
        ("consent-evidence-person", f"{reverse('consent_evidence')}?person={person}"),
        ("consent-erase", reverse("consent_erase_person", args=[person])),
        ("channel-accounts", reverse("channel_accounts:index")),
        ("channel-account-add", reverse("channel_accounts:add")),
        ("channel-account-edit", reverse("channel_accounts:edit", args=[account.pk])),
        ("calendar", reverse("channels_admin:calendar")),
        ("reach-report", reverse("channels_reach_report")),
        ("failed-report", reverse("channels_admin:failed")),
        ("dispatch-detail", reverse("channel_dispatches:inspect", args=[failed.pk])),
        ("mark-sent", reverse("channels_admin:mark_sent", args=[failed.pk])),
        ("dispatches", reverse("channel_dispatches:index")),
        ("remove-everywhere", reverse("channels_admin:remove_everywhere", args=[failed.page_id])),
        ("newsletter-issues", reverse("newsletter_issues:index")),
        ("newsletter-issue-edit", reverse("newsletter_issues:edit", args=[issue.pk])),
        ("newsletter-issue-send", reverse("newsletter_issue_send", args=[issue.pk])),
        ("newsletter-subscribers", reverse("newsletter_subscribers:index")),
        ("newsletter-import", reverse("newsletter_import")),
        ("storytellers", reverse("wagtailsnippets_stories_person:list")),
        ("departments", reverse("wagtailsnippets_stories_department:list")),
        ("themes", reverse("wagtailsnippets_stories_theme:list")),
        ("organisation-settings", reverse("wagtailsettings:edit", args=["website", "organisationsettings", site.pk])),
    ]


def demo_with_failures():
    """The demo, plus what the warning screens need: a failed post, an expiring account, a subscriber."""
    import datetime

    from django.utils import timezone
    from wagtail.models import Collection

    from channels.models import ChannelAccount, Dispatch
    from newsletter.models import Subscriber

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process
    sent = Dispatch.objects.filter(state=Dispatch.State.SENT).first()
    Dispatch.objects.filter(pk=sent.pk).update(
        state=Dispatch.State.FAILED, attempts=3, last_error="HTTP 503: the network is down"
    )
    # Active, so the dashboard warns about it; a webhook to the discard port, and no worker runs here.
    ChannelAccount.objects.create(
        name="Mastodon zorg",
        kind="webhook",
        active=True,
        config={"url": "http://127.0.0.1:9/webhook"},
        status=ChannelAccount.Status.EXPIRING,
        token_expires_at=timezone.now() + datetime.timedelta(days=5),
    )
    Subscriber.objects.create(email="lezer@example.org", language="nl", status=Subscriber.Status.CONFIRMED)


def violations(page):
    """axe's WCAG violations on the page, without the nodes inside the Wagtail widgets above."""
    settle(page)
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = []
    for violation in results.response["violations"]:
        excluded = [inside for rule, inside in WAGTAIL_EXCLUDES if rule == violation["id"]]
        nodes = [node["target"] for node in violation["nodes"] if not within(page, node["target"], excluded)]
        if nodes:
            found.append({"id": violation["id"], "help": violation["help"], "nodes": nodes[:5]})
    return found


def within(page, target, containers):
    """Whether axe's node (its selector: no iframes or shadow roots here) lies in one of ``containers``."""
    if not containers or not isinstance(target[0], str):
        return False
    return page.evaluate(
        "([target, containers]) => { const node = document.querySelector(target);"
        " return !!node && containers.some((selector) => node.closest(selector)); }",
        [target[0], containers],
    )


def shoot(page, name):
    """Screenshots at desktop, then phone width (the admin is not checked for sideways scrolling)."""
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        target = SCREENSHOTS / f"admin-{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 1000, target
    page.set_viewport_size(DESKTOP)


def test_admin_screens_have_no_violations(site_root, admin_user, admin_login, browser, live_server, settings):
    from wagtail.users.models import UserProfile

    settings.PAGE_CACHE_ENABLED = True
    demo_with_failures()
    screens = admin_screens()
    assert len(screens) == len(dict(screens))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(60_000)
    page = context.new_page()
    found = {}
    try:
        admin_login(page, admin_user)
        for language in ("nl", "en"):
            profile = UserProfile.get_for_user(admin_user)
            profile.preferred_language = language
            profile.save()
            for name, path in screens:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, path
                assert page.locator("html").get_attribute("lang").startswith(language), (language, path)
                # Wagtail's own header: one main heading (visible, or hidden next to the breadcrumbs).
                assert page.locator("h1").count() == 1, f"{path} has {page.locator('h1').count()} h1"
                if problems := violations(page):
                    found[f"{language} {name} {path}"] = problems
                if language == "nl":  # the screens look the same in English; one set of pictures is enough
                    shoot(page, name)
    finally:
        context.close()
    assert not found, json.dumps(found, indent=1)


def test_admin_screens_are_in_the_users_language(site_root, admin_user, admin_login, page, live_server):
    # The check above relies on Wagtail's preferred language; prove a screen of ours follows it.
    from wagtail.users.models import UserProfile

    admin_login(page, admin_user)
    texts = {}
    for language in ("nl", "en"):
        profile = UserProfile.get_for_user(admin_user)
        profile.preferred_language = language
        profile.save()
        page.goto(f"{live_server.url}{reverse('consent_requests')}")
        texts[language] = page.locator("h1").first.inner_text()
    assert re.search("toestemming", texts["nl"], re.I) and re.search("consent", texts["en"], re.I), texts
