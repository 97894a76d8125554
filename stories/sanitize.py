"""HTML sanitising with nh3 for everything editors or code can put into a page.

Wagtail's editor already limits rich text to its feature list, but rich text can also arrive
through the API, imports, or the shell. Every rich-text value is therefore cleaned on save,
with an allow-list that matches the features Vertel offers editors.
"""

import nh3

# Wagtail's database format for rich text uses <a linktype="page" id="…"> for internal links.
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li", "h2", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "linktype", "id"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_html(html):
    """Return ``html`` with only the allowed tags and attributes; scripts and styles removed."""
    if not html:
        return html
    return nh3.clean(
        str(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
