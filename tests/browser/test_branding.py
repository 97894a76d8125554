"""An administrator brands the site in the settings, and a visitor sees it: footer, colours, font, favicon, axe.

The administrator fills in the organisation settings as a person would (an unreadable colour is
refused with the reason, a readable one is kept); the visitor's home page then shows the address,
the contact and both statements in the footer, links in the brand colour and the chosen font from
the site's own fonts, the favicon, no Content-Security-Policy violation, and axe finds nothing.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def home_site(site_root):
    from wagtail.models import Locale, Site

    from website.models import HomePage

    home = site_root.add_child(
        instance=HomePage(title="Welkom", slug="home-nl", locale=Locale.objects.get(language_code="nl"))
    )
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "root_page": home})
    return Site.objects.get(is_default_site=True)


def test_admin_brands_the_site_and_the_visitor_sees_it(page, browser, live_server, admin_user, admin_login, home_site):
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/settings/website/organisationsettings/{home_site.pk}/")
    page.fill("#id_organisation_name", "Ziekenhuis De Linde")
    page.fill("#id_address", "Lindelaan 1\n3500 AA Utrecht")
    page.fill("#id_phone", "030 123 45 67")
    page.fill("#id_contact_email", "communicatie@example.org")
    page.fill("#id_privacy_statement_url", "https://example.org/privacy")
    page.fill("#id_accessibility_statement_url", "https://example.org/toegankelijkheid")
    page.select_option("#id_font", "atkinson-hyperlegible")
    page.fill("#id_primary_colour", "#8fbcd4")
    page.click("button.button-longrunning[type=submit]")
    page.shots("refused-colour")
    error = page.locator(".error-message, .w-field__errors").filter(has_text="4,5:1")
    error.first.wait_for()
    page.fill("#id_primary_colour", "#1a3d6d")
    page.click("button.button-longrunning[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/settings/website/organisationsettings/\d+/$"))
    assert page.locator(".messages .success, .w-message--success, [class*=success]").count() >= 1

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = context.new_page()
    csp_errors = []
    visitor.on(
        "console", lambda message: "Content Security Policy" in message.text and csp_errors.append(message.text)
    )
    visitor.goto(f"{live_server.url}/nl/")
    footer = visitor.locator("footer.site-footer")
    footer.locator("address", has_text="Lindelaan 1").wait_for()
    assert "3500 AA Utrecht" in footer.locator("address").inner_text()
    assert footer.locator("a[href='tel:0301234567']").inner_text() == "030 123 45 67"
    assert footer.locator("a[href='mailto:communicatie@example.org']").count() == 1
    assert footer.get_by_role("link", name="Privacyverklaring").get_attribute("href") == "https://example.org/privacy"
    assert footer.get_by_role("link", name="Toegankelijkheidsverklaring").count() == 1

    link_colour = visitor.eval_on_selector("main a, footer a", "el => getComputedStyle(el).color")
    assert link_colour == "rgb(26, 61, 109)"
    font = visitor.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert font.startswith('"Atkinson Hyperlegible"')
    visitor.evaluate("document.fonts.ready")
    assert visitor.evaluate("document.fonts.check('16px \"Atkinson Hyperlegible\"')")

    icon = visitor.locator("link[rel=icon]").get_attribute("href")
    assert visitor.request.get(f"{live_server.url}{icon}").ok
    assert not csp_errors, csp_errors
    visitor.screenshot(path=str(page.shots.folder / "branded-home.png"), full_page=True)

    results = Axe().run(visitor, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.response["violations"] == [], [v["id"] for v in results.response["violations"]]
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.screenshot(path=str(page.shots.folder / "branded-home-phone.png"), full_page=True)
    context.close()
