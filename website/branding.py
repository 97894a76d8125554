"""The organisation's brand as the public pages show it: cached facts for the header, footer and head.

One dict per site (``site_brand()``): the name, address and contact, the privacy and accessibility
statements per language, the logo and favicon addresses, the colours and font, the support box of each language
(``website.models.SupportBox``), and a ``version``
the brand stylesheet's address carries so browsers may keep it for a year. It is kept in the shared
page cache beside the navigation (``website.site_facts``), so whatever purges the navigation (a
publish, a change to the organisation settings) drops it too. Without a cache it is built afresh.
"""

import hashlib
import logging

from django.templatetags.static import static

from .brand_style import DEFAULT_ACCENT, DEFAULT_PRIMARY
from .site_facts import cached_facts

logger = logging.getLogger("website.branding")

DEFAULT_FAVICON = "img/favicon.svg"


def _statement_urls(page, url):
    """{language code: address} of a statement; the fallback under ``""``."""
    if page is not None:
        urls = {}
        for translation in page.get_translations(inclusive=True).live().select_related("locale"):
            address = translation.get_url()
            if address:
                urls[translation.locale.language_code] = address
        if page.live and page.get_url():
            urls[""] = page.get_url()
        elif urls:
            urls[""] = next(iter(urls.values()))
        return urls
    return {"": url} if url else {}


def _rendition(image, spec):
    try:
        rendition = image.get_rendition(spec)
    except Exception:  # noqa: BLE001 - a lost or broken file: the site shows its name and default icon
        logger.warning("The logo (image %s) could not be rendered as %s", image.pk, spec)
        return None
    return {"url": rendition.url, "width": rendition.width, "height": rendition.height}


def _support_boxes():
    """{language code: {"title", "text"}} of every language's support box."""
    from website.models import SupportBox

    return {
        box.locale.language_code: {"title": box.title, "text": box.text}
        for box in SupportBox.objects.select_related("locale")
    }


def _build():
    from website.models import OrganisationSettings

    row = (
        OrganisationSettings.objects.filter(site__is_default_site=True)
        .select_related("logo", "privacy_statement_page", "accessibility_statement_page")
        .first()
    ) or OrganisationSettings()
    logo = _rendition(row.logo, "height-96") if row.logo else None
    favicon = _rendition(row.logo, "fill-64x64|format-png") if row.logo else None
    brand = {
        "organisation_name": row.organisation_name,
        "address_lines": [line.strip() for line in row.address.splitlines() if line.strip()],
        "phone": row.phone,
        "phone_href": "tel:" + "".join(ch for ch in row.phone if ch.isdigit() or ch == "+") if row.phone else "",
        "contact_email": row.contact_email,
        "privacy": _statement_urls(row.privacy_statement_page, row.privacy_statement_url),
        "accessibility": _statement_urls(row.accessibility_statement_page, row.accessibility_statement_url),
        "logo": logo,
        "favicon_url": favicon["url"] if favicon else static(DEFAULT_FAVICON),
        "favicon_type": "image/png" if favicon else "image/svg+xml",
        "primary_colour": row.primary_colour or DEFAULT_PRIMARY,
        "accent_colour": row.accent_colour or DEFAULT_ACCENT,
        "font": row.font,
        "support": _support_boxes(),
    }
    look = f"{brand['primary_colour']}|{brand['accent_colour']}|{brand['font']}|{static('css/site.css')}"
    brand["version"] = hashlib.sha256(look.encode()).hexdigest()[:12]
    return brand


def site_brand():
    """The brand of the default site, from the cache when it is there."""
    return cached_facts("vertel:brand:v1:", _build, what="the brand")


def statement_url(urls, language):
    """The address of a statement in ``language``, else its fallback."""
    return urls.get(language) or urls.get("") or ""
