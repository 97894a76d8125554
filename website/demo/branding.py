"""The demo organisation's brand: name, address and contact, a drawn logo, colours, statements, support boxes.

So a first ``make run`` shows a site a hospital could put its name on: the footer names the
organisation with its address, phone and e-mail and links a privacy and an accessibility
statement in each language (simple pages the demo writes), the header carries a logo (a linden
leaf drawn with Pillow, no text in it), and every story ends with a support box in its language.
Idempotent like the rest of the demo: what an organisation changed afterwards is left alone.
"""

import io

from django.core.files.images import ImageFile
from PIL import Image, ImageDraw
from wagtail.images import get_image_model

from website.models import OrganisationSettings, StandardPage, SupportBox

ORGANISATION = {
    "organisation_name": "Ziekenhuis De Linde",
    "address": "Lindelaan 1\n3511 AB Utrecht",
    "phone": "030 123 45 67",
    "contact_email": "communicatie@example.org",
    "privacy_contact": "privacy@example.org",
    # Both pass the WCAG check the settings make (text 4.5:1, focus ring 3:1 on white).
    "primary_colour": "#0b5c4a",
    "accent_colour": "#b4541a",
}
LOGO_TITLE = "Demo: logo"

STATEMENTS = {
    "privacy": {
        "nl": (
            "Privacyverklaring",
            "privacy",
            "Ziekenhuis De Linde gaat zorgvuldig om met uw gegevens. Een patiëntverhaal staat hier alleen met "
            "de ondertekende toestemming van de verteller, en wie die intrekt ziet het verhaal overal verdwijnen. "
            "Vragen over uw gegevens? Mail privacy@example.org.",
        ),
        "en": (
            "Privacy statement",
            "privacy",
            "De Linde Hospital takes care with your data. A patient story appears here only with the teller's "
            "signed consent, and withdrawing it takes the story down everywhere. Questions about your data? "
            "Write to privacy@example.org.",
        ),
    },
    "accessibility": {
        "nl": (
            "Toegankelijkheidsverklaring",
            "toegankelijkheid",
            "Wij willen dat iedereen deze site kan gebruiken: met toetsenbord, schermlezer of vergroting. "
            "Loopt u ergens tegenaan? Laat het ons weten via communicatie@example.org.",
        ),
        "en": (
            "Accessibility statement",
            "accessibility",
            "We want everyone to be able to use this site: by keyboard, screen reader or magnification. "
            "Anything in your way? Let us know at communicatie@example.org.",
        ),
    },
}

SUPPORT = {
    "nl": (
        "Raakte dit verhaal u?",
        "Praat erover met iemand die u vertrouwt, of met uw huisarts.\n\n"
        "Denkt u aan zelfdoding? Bel 113 of gratis 0800-0113, of chat op 113.nl.",
    ),
    "en": (
        "Did this story touch you?",
        "Talk about it with someone you trust, or with your GP.\n\n"
        "Thinking about suicide? Call 113 or 0800-0113 (free), or chat at 113.nl.",
    ),
}


def draw_logo(size=256):
    """A linden leaf in the demo's colours on a transparent square (PNG bytes); no text."""
    scale = 4  # drawn large and scaled down: smooth edges without an anti-aliasing library
    big = size * scale
    picture = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(picture)
    green, light = (11, 92, 74, 255), (150, 200, 170, 255)
    canvas.ellipse([big * 0.06, big * 0.06, big * 0.94, big * 0.94], fill=green)
    # The leaf: two overlapping circles make a heart-shaped blade, a triangle its tip.
    radius = big * 0.2
    for centre_x in (big * 0.38, big * 0.62):
        canvas.ellipse([centre_x - radius, big * 0.26, centre_x + radius, big * 0.26 + 2 * radius], fill=light)
    canvas.polygon([(big * 0.2, big * 0.5), (big * 0.8, big * 0.5), (big * 0.5, big * 0.82)], fill=light)
    canvas.line([(big * 0.5, big * 0.36), (big * 0.5, big * 0.86)], fill=green, width=int(big * 0.025))
    buffer = io.BytesIO()
    picture.resize((size, size), Image.Resampling.LANCZOS).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def demo_logo():
    model = get_image_model()
    existing = model.objects.filter(title=LOGO_TITLE).first()
    if existing is not None:
        return existing
    return model.objects.create(title=LOGO_TITLE, file=ImageFile(io.BytesIO(draw_logo()), name="demo-logo.png"))


def statement_page(kind, homes):
    """The statement in both languages (the English page a translation of the Dutch one); the Dutch page."""
    title, slug, body = STATEMENTS[kind]["nl"]
    dutch = StandardPage.objects.child_of(homes["nl"]).filter(slug=slug).first()
    if dutch is None:
        dutch = homes["nl"].add_child(
            instance=StandardPage(title=title, slug=slug, body=body, locale=homes["nl"].locale)
        )
        dutch.save_revision().publish()
    english = dutch.get_translation_or_none(homes["en"].locale)
    if english is None:
        title, slug, body = STATEMENTS[kind]["en"]
        english = dutch.copy_for_translation(homes["en"].locale, copy_parents=False).specific
        english.title, english.slug, english.body = title, slug, body
        english.save_revision().publish()
    return dutch


def support_boxes(locales):
    for code, (title, text) in SUPPORT.items():
        if not SupportBox.objects.filter(locale=locales[code]).exists():
            SupportBox.objects.create(locale=locales[code], title=title, text=text)


def ensure_branding(site, homes, locales):
    """Fill in the organisation settings, statements and support boxes; leave what is already set."""
    row, _created = OrganisationSettings.objects.get_or_create(site=site)
    for name, value in ORGANISATION.items():
        if getattr(row, name) in ("", OrganisationSettings._meta.get_field(name).get_default()):
            setattr(row, name, value)  # still empty or the default: the demo's
    if row.logo_id is None:
        row.logo = demo_logo()
    for kind in STATEMENTS:
        if not getattr(row, f"{kind}_statement_page_id") and not getattr(row, f"{kind}_statement_url"):
            setattr(row, f"{kind}_statement_page", statement_page(kind, homes))
    row.full_clean()  # the colours pass the contrast check, a page and an address are never both set
    row.save()
    support_boxes(locales)
    return row
