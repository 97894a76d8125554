"""The pure part of the organisation's branding: hex colours, WCAG contrast, the fonts, the stylesheet.

Nothing here reads the database: the settings model validates with it, and the brand stylesheet view
(``website.views.brand_css``) writes its text with it. The colours reach the page as CSS custom
properties in a small stylesheet of their own, so the strict Content-Security-Policy (no inline
styles) stays as it is.
"""

import re

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

DEFAULT_PRIMARY = "#0a5c73"
DEFAULT_ACCENT = "#b3470f"

# The backgrounds the primary colour is read on as text (links) and the text read on it (buttons):
# the page's white and the soft tint of header, footer and tags (``--bg`` and ``--soft`` in site.css).
TEXT_BACKGROUNDS = ("#ffffff", "#eef4f6")
# WCAG 2.2 AA: 4.5:1 for body text (1.4.3), 3:1 for focus rings, borders and bars (1.4.11).
TEXT_CONTRAST = 4.5
GRAPHIC_CONTRAST = 3.0

SYSTEM_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

# key -> (label, family, fallback stack, [(weight, file under static/)]); each font ships with its licence.
FONTS = {
    "system": (_("The visitor's system font"), "", SYSTEM_STACK, []),
    "atkinson-hyperlegible": (
        _("Atkinson Hyperlegible (sans-serif, made for low vision)"),
        "Atkinson Hyperlegible",
        SYSTEM_STACK,
        [
            (400, "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-400-normal.woff2"),
            (700, "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-700-normal.woff2"),
        ],
    ),
    "source-serif-4": (
        _("Source Serif 4 (serif)"),
        "Source Serif 4",
        'Georgia, Cambria, "Times New Roman", serif',
        [
            (400, "fonts/source-serif-4/source-serif-4-latin-400-normal.woff2"),
            (700, "fonts/source-serif-4/source-serif-4-latin-700-normal.woff2"),
        ],
    ),
}
FONT_CHOICES = [(key, label) for key, (label, *_rest) in FONTS.items()]


def relative_luminance(colour):
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    channels = []
    for index in (1, 3, 5):
        value = int(colour[index : index + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first, second):
    """WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def lowest_contrast(colour, backgrounds=TEXT_BACKGROUNDS):
    """The lowest contrast of ``colour`` against any of ``backgrounds``, and that background."""
    return min((contrast_ratio(colour, background), background) for background in backgrounds)


def font_faces(font_key):
    """The ``@font-face`` rules and the ``font-family`` value of the chosen font."""
    _label, family, stack, files = FONTS.get(font_key) or FONTS["system"]
    rules = [
        f"@font-face {{ font-family: {_css_string(family)}; font-style: normal; font-weight: {weight}; "
        f'font-display: swap; src: url("{static(path)}") format("woff2"); }}'
        for weight, path in files
    ]
    value = f"{_css_string(family)}, {stack}" if family else stack
    return rules, value


def _css_string(text):
    cleaned = text.replace("\\", "").replace('"', "")
    return f'"{cleaned}"'


def _safe_colour(value, default):
    # Only a checked #rrggbb ever reaches the stylesheet, whatever the database holds.
    return value.lower() if isinstance(value, str) and HEX_COLOUR.match(value) else default


def stylesheet(primary, accent, font_key):
    """The brand stylesheet: the fonts and the colours as custom properties over site.css's defaults."""
    primary = _safe_colour(primary, DEFAULT_PRIMARY)
    accent = _safe_colour(accent, DEFAULT_ACCENT)
    rules, family = font_faces(font_key)
    rules.append(
        ":root { "
        f"--brand-primary: {primary}; --brand-accent: {accent}; --accent: {primary}; --accent-ink: #ffffff; "
        f"--focus: {accent}; --font-body: {family}; "
        "}"
    )
    return "/* The organisation's brand (Settings > Organisation); generated, see website/brand_style.py. */\n" + (
        "\n".join(rules) + "\n"
    )
