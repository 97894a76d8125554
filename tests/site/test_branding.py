"""The organisation's brand: colours checked for contrast, the footer, the brand stylesheet, favicon, error pages."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.template import loader
from wagtail.models import Site

from tests.conftest import make_image
from website.brand_style import contrast_ratio, stylesheet
from website.models import OrganisationSettings


def _settings(**fields):
    row = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def _html(client, url="/nl/"):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("primary_colour", "#7fb3d5", "4,5:1"),
        ("accent_colour", "#ffd966", "3:1"),
        ("primary_colour", "0a5c73", "zes hexadecimale"),
        ("primary_colour", "#0a5c7g", "zes hexadecimale"),
    ],
)
def test_unreadable_or_malformed_colours_are_refused(home, field, value, words):
    row = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    setattr(row, field, value)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert words in " ".join(error.value.message_dict[field])


def test_a_page_and_an_address_for_one_statement_are_refused(home):
    row = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    row.privacy_statement_page = home
    row.privacy_statement_url = "https://example.org/privacy"
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "privacy_statement_url" in error.value.message_dict


def test_admin_form_says_why_a_colour_is_refused(client, superuser, home):
    client.force_login(superuser)
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/website/organisationsettings/{site.pk}/"
    form = {
        "organisation_name": "Ziekenhuis De Linde",
        "primary_colour": "#99ccff",
        "accent_colour": "#b3470f",
        "font": "system",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "minstens 4,5:1" in response.content.decode()
    assert OrganisationSettings.for_site(site).primary_colour != "#99ccff"
    form["primary_colour"] = "#1a3d6d"
    assert client.post(url, form).status_code == 302
    assert OrganisationSettings.for_site(site).primary_colour == "#1a3d6d"


def test_footer_shows_address_contact_and_statements(client, home, home_en):
    _settings(
        organisation_name="Ziekenhuis De Linde",
        address="Lindelaan 1\n3500 AA Utrecht",
        phone="030 123 45 67",
        contact_email="communicatie@example.org",
        privacy_statement_url="https://example.org/privacy",
        accessibility_statement_page=home,
    )
    footer = _html(client).select_one("footer.site-footer")
    assert "Lindelaan 1" in footer.address.text and "3500 AA Utrecht" in footer.address.text
    assert footer.select_one("a[href='tel:0301234567']").text == "030 123 45 67"
    assert footer.select_one("a[href='mailto:communicatie@example.org']")
    assert footer.find("a", string="Privacyverklaring")["href"] == "https://example.org/privacy"
    assert footer.find("a", string="Toegankelijkheidsverklaring")["href"] == home.url
    # In English the statement page is its English translation, when there is a live one.
    home_en.save_revision().publish()
    footer_en = _html(client, "/en/").select_one("footer.site-footer")
    assert footer_en.find("a", string="Accessibility statement")["href"] == home_en.url


def test_footer_leaves_out_what_is_not_filled_in(client, home):
    footer = _html(client).select_one("footer.site-footer")
    assert footer.address is None
    assert not footer.select("a[href^='tel:'], a[href^='mailto:']")
    assert footer.find("a", string="Privacyverklaring") is None


def test_colours_and_font_reach_the_page_through_the_brand_stylesheet(client, home):
    _settings(primary_colour="#1A3D6D", accent_colour="#8a2be2", font="atkinson-hyperlegible")
    head = _html(client).head
    link = head.select("link[rel=stylesheet]")[-1]["href"]
    assert link.startswith("/brand.css?v=")
    response = client.get(link)
    assert response["Content-Type"].startswith("text/css")
    assert "max-age=31536000" in response["Cache-Control"] and "public" in response["Cache-Control"]
    css = response.content.decode()
    assert "--brand-primary: #1a3d6d;" in css and "--brand-accent: #8a2be2;" in css
    assert "atkinson-hyperlegible-latin-400-normal.woff2" in css
    # An old version's address gets the current brand, kept only briefly.
    stale = client.get("/brand.css?v=old")
    assert "max-age=300" in stale["Cache-Control"] and "#1a3d6d" in stale.content.decode()
    # A change to the settings gives the stylesheet a new address.
    _settings(primary_colour="#222222")
    assert _html(client).head.select("link[rel=stylesheet]")[-1]["href"] != link


def test_the_stylesheet_only_ever_holds_a_checked_colour():
    css = stylesheet("red; } body { display: none", "#b3470f", "nonsense")
    assert "display: none" not in css and "--brand-primary: #0a5c73;" in css
    assert "@font-face" not in css


def test_no_inline_styles_so_the_csp_stays_strict(client, home):
    _settings(primary_colour="#1a3d6d")
    response = client.get("/nl/")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    html = BeautifulSoup(response.content, "html.parser")
    assert not html.select("style, [style]")


def test_favicon_is_the_shipped_default_or_a_crop_of_the_logo(client, home):
    icon = _html(client).head.select_one("link[rel=icon]")
    assert icon["href"].endswith("img/favicon.svg") and icon["type"] == "image/svg+xml"
    _settings(logo=make_image("Logo", size=(400, 200)))
    html = _html(client)
    icon = html.head.select_one("link[rel=icon]")
    assert icon["type"] == "image/png" and ".fill-64x64" in icon["href"]
    logo = html.select_one(".site-name img.site-logo")
    assert logo["alt"] == "" and "Logo" not in html.select_one(".site-name").text


def test_brand_is_cached_between_requests(client, home, django_assert_max_num_queries):
    client.get("/nl/search/")
    with django_assert_max_num_queries(20) as queries:
        client.get("/nl/search/")
    assert not [q for q in queries.captured_queries if "website_organisationsettings" in q["sql"]]


def test_styled_404_offers_a_search(client, home):
    response = client.get("/nl/bestaat-niet/")
    assert response.status_code == 404
    html = BeautifulSoup(response.content, "html.parser")
    assert html.select_one(".error-page form[role=search] input[name=q]")
    assert html.select_one("link[rel=icon]") and html.select_one("footer.site-footer")


def test_500_needs_no_database():
    # No database mark: pytest-django refuses any query, so rendering proves none is made.
    html = loader.render_to_string("500.html", {})
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("link[rel=icon]") and soup.select_one("link[rel=stylesheet]")
    assert "Er ging iets mis" in html and "Something went wrong" in html
