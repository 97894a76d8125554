"""Tags of the story page: privacy-friendly share links and the breadcrumb's structured data.

The share links are plain links to each network's own share address: no script, no button
loaded from a network, nothing sent anywhere until the visitor clicks. The shared address is the
page's public one, on ``BASE_URL``.
"""

import json
from urllib.parse import quote, urlencode

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


def public_url(path):
    if not path or path.startswith(("http://", "https://")):
        return path or ""
    return f"{settings.BASE_URL}{path}"


def share_targets(title, url):
    """``(key, label, href)`` for each way to share: Mastodon, Bluesky, LinkedIn, Facebook, e-mail, WhatsApp."""
    text = f"{title} {url}"
    return [
        # Share₂Fedi asks the visitor for their own Mastodon server; Mastodon has no central one.
        ("mastodon", "Mastodon", "https://s2f.kytta.dev/?" + urlencode({"text": text}, quote_via=quote)),
        ("bluesky", "Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": text}, quote_via=quote)),
        (
            "linkedin",
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}, quote_via=quote),
        ),
        (
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}, quote_via=quote),
        ),
        ("email", gettext("E-mail"), "mailto:?" + urlencode({"subject": title, "body": url}, quote_via=quote)),
        ("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": text}, quote_via=quote)),
    ]


@register.simple_tag
def share_links(page):
    """The share links of ``page``, as dicts with ``key``, ``label`` and ``href``."""
    url = public_url(page.get_url() or "")
    return [{"key": key, "label": label, "href": href} for key, label, href in share_targets(page.title, url)]


@register.simple_tag
def breadcrumb_json_ld(breadcrumbs):
    """schema.org BreadcrumbList of ``(title, url)`` pairs, escaped so it cannot close its script element."""
    items = [
        {"@type": "ListItem", "position": position, "name": name, "item": public_url(url)}
        for position, (name, url) in enumerate(breadcrumbs, start=1)
    ]
    data = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}
    payload = json.dumps(data, ensure_ascii=False)
    payload = payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
