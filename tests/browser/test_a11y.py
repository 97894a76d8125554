"""axe-core on every public page a visitor or signer meets, in Dutch and English: zero WCAG 2.2 AA violations.

The demo content is loaded (``seed_demo``) so the pages are the real ones; the consent pages are
reached through real links: signing by email, the emailed-code step of an in-person request,
the receipt, an already used link, invalid and expired links, withdrawal and its confirmation,
the form sent back with errors, a parent signing for a child, a renewal that shows what changed,
and the "please wait" page of the rate limit; the newsletter's preferences and unsubscribe pages
through a subscriber's own link.
"""

import datetime
import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone

from .conftest import settle

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ["nl", "en"]
axe = Axe()


@pytest.fixture
def demo(site_root, settings):
    from wagtail.models import Collection

    settings.PAGE_CACHE_ENABLED = True
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process


@pytest.fixture
def visitor(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=False)
    context.set_default_timeout(15_000)
    # A first render after seeding makes every image rendition: slow on a loaded machine.
    context.set_default_navigation_timeout(60_000)
    yield context.new_page()
    context.close()


def violations(page):
    settle(page)
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = results.response["violations"]
    return [
        {
            "id": violation["id"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in found
    ]


def check(page, url, expected_status=None):
    response = page.goto(url)
    if expected_status is not None:
        assert response.status == expected_status, url
    return {url: found} if (found := violations(page)) else {}


def public_pages(language):
    from stories.models import OrganisationStoryPage, PatientStoryPage, StoryIndexPage

    index = StoryIndexPage.objects.live().get(locale__language_code=language)
    patient = PatientStoryPage.objects.live().filter(locale__language_code=language).first()
    organisation = OrganisationStoryPage.objects.live().filter(locale__language_code=language).first()
    word = re.findall(r"\w{4,}", patient.title)[0]
    theme = patient.themes.first()
    return [
        f"/{language}/",
        index.url,
        f"{index.url}?theme={theme.slug}" if theme else f"{index.url}?type=patient",
        patient.url,
        organisation.url,
        f"/{language}/search/",
        f"/{language}/search/?q={word}",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_violations(demo, visitor, live_server, language):
    found = {}
    for path in public_pages(language):
        found |= check(visitor, f"{live_server.url}{path}", 200)
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_subscribe_page_has_no_violations(demo, visitor, live_server, language):
    response = visitor.goto(f"{live_server.url}/{language}/newsletter/")
    assert response.status == 200
    assert not violations(visitor)


def pending_request(
    language, delivery="email", email="anna@example.org", expired=False, role="patient", story=None, **extra
):
    from consent.models import ConsentRequest
    from consent.services import create_request
    from stories.models import PatientStoryPage

    story = story or PatientStoryPage.objects.live().filter(locale__language_code=language).first()
    request, token = create_request(
        story=story,
        revision=extra.pop("revision", None) or story.get_latest_revision(),
        signer_name="Anna de Vries",
        signer_email=email,
        signer_role=role,
        language=language,
        proposed_channels=["website", "newsletter"],
        delivery=ConsentRequest.Delivery.IN_PERSON if delivery == "in_person" else ConsentRequest.Delivery.EMAIL,
        created_by=None,
        **extra,
    )
    if expired:
        ConsentRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    return token


@pytest.mark.parametrize("language", LANGUAGES)
def test_consent_pages_have_no_violations(demo, visitor, live_server, language, mailoutbox):
    base = f"{live_server.url}/{language}/consent"
    found = {}
    # Signing by email link: the form, then the receipt.
    token = pending_request(language)
    found |= check(visitor, f"{base}/sign/{token}/", 200)
    visitor.check("input[name=channels][value=website]")
    visitor.check("input[name=naming][value=anonymous]")
    visitor.fill("input[name=typed_name]", "Anna de Vries")
    if visitor.locator("input[name=relation]").count():
        visitor.fill("input[name=relation]", "ikzelf")
    visitor.check("input[name=declaration]")
    visitor.click("button[name=sign]")
    visitor.wait_for_load_state()
    assert visitor.locator("a[href*='/consent/withdraw/']").count(), "no receipt"
    found |= {"receipt": v} if (v := violations(visitor)) else {}
    withdraw_path = re.sub(
        r"^https?://[^/]+", "", visitor.locator("a[href*='/consent/withdraw/']").first.get_attribute("href")
    )
    # The same link again, a link that never existed and one that expired.
    found |= check(visitor, f"{base}/sign/{token}/", 410)
    found |= check(visitor, f"{base}/sign/not-a-real-link/", 404)
    found |= check(visitor, f"{base}/sign/{pending_request(language, expired=True)}/", 410)
    # In person without a witness: the emailed code step, before and after the code is sent.
    found |= check(visitor, f"{base}/sign/{pending_request(language, delivery='in_person')}/", 200)
    visitor.click("button[name=send_code]")
    visitor.wait_for_load_state()
    assert visitor.locator("input[name=code]").count(), "no code field after sending the code"
    found |= {"code sent": v} if (v := violations(visitor)) else {}
    # Withdrawal: the form, then the confirmation, then the link once more.
    found |= check(visitor, f"{live_server.url}{withdraw_path.replace('/nl/', f'/{language}/', 1)}", 200)
    visitor.click("main form button[type=submit]")
    visitor.wait_for_load_state()
    found |= {"withdrawn": v} if (v := violations(visitor)) else {}
    found |= check(visitor, f"{base}/withdraw/not-a-real-link/", 404)
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_form_variants_have_no_violations(demo, visitor, live_server, language, mailoutbox):
    from consent.models import Consent, SignerRole
    from core.ratelimit import over_limit
    from stories.models import PatientStoryPage

    base = f"{live_server.url}/{language}/consent"
    found = {}
    # Sent back with errors: nothing chosen, nothing typed.
    found |= check(visitor, f"{base}/sign/{pending_request(language)}/", 200)
    visitor.click("button[name=sign]")
    visitor.wait_for_load_state()
    assert visitor.locator(".error, [role=alert], [aria-invalid=true]").count(), "no errors shown"
    found |= {"with errors": v} if (v := violations(visitor)) else {}
    # A parent signing for a child: the relation and the child's date of birth are asked for.
    found |= check(visitor, f"{base}/sign/{pending_request(language, role=SignerRole.PARENT)}/", 200)
    assert visitor.locator("input[name=relation]").count() and visitor.locator("[name=patient_birth_date]").count()
    visitor.click("button[name=sign]")
    visitor.wait_for_load_state()
    found |= {"parent, with errors": v} if (v := violations(visitor)) else {}
    # Renewal after the story changed: the signer is shown what changed since they signed.
    story = PatientStoryPage.objects.live().filter(locale__language_code=language).first()
    previous = Consent.objects.filter(story=story).first()
    changed = story.get_latest_revision().as_object()
    changed.title = f"{changed.title} (bijgewerkt)"
    revision = changed.save_revision()
    token = pending_request(language, story=story, revision=revision, previous_consent=previous)
    found |= check(visitor, f"{base}/sign/{token}/", 200)
    assert visitor.locator(".callout[role=note] li").count(), "the changes are not shown"
    # Too many requests for one link: the "please wait" page.
    token = pending_request(language)
    for _hit in range(40):
        over_limit("sign-link", token, 30, 600)
    found |= check(visitor, f"{base}/sign/{token}/", 429)
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_newsletter_personal_pages_have_no_violations(demo, visitor, live_server, language):
    from core.ratelimit import over_limit
    from newsletter.models import Subscriber

    subscriber = Subscriber(email="lezer@example.org", language=language, status=Subscriber.Status.CONFIRMED)
    subscriber.save()
    token = subscriber.link_token
    base = f"{live_server.url}/{language}/newsletter"
    found = {}
    found |= check(visitor, f"{base}/preferences/{token}/", 200)
    visitor.click("main form button[type=submit]")
    visitor.wait_for_load_state()
    found |= {"preferences saved": v} if (v := violations(visitor)) else {}
    found |= check(visitor, f"{base}/unsubscribe/{token}/", 200)
    visitor.click("main form button[type=submit]")
    visitor.wait_for_load_state()
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.UNSUBSCRIBED
    found |= {"unsubscribed": v} if (v := violations(visitor)) else {}
    for _hit in range(80):
        over_limit("nl-personal", "127.0.0.1", 60, 600)
    found |= check(visitor, f"{base}/preferences/{token}/", 429)
    assert not found, json.dumps(found, indent=1)


def test_axe_does_report_a_violation(visitor):
    # The checks above pass on zero violations; prove the checker sees one when it is there.
    visitor.set_content('<html lang="nl"><title>t</title><main><img src="x.png"><a href="/"></a></main></html>')
    assert {violation["id"] for violation in violations(visitor)} >= {"image-alt", "link-name"}
