"""Template tags of the public site: language switch, alternates, structured data."""

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.models import Locale, Page

from website.navigation import site_navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context):
    """One link per language: the translation of this page if there is a live one, else that language's home.

    Returns dicts with ``code``, ``name``, ``url``, ``current`` and ``translated``. Worked out once
    per request, however often the template asks; home and index pages come from the cache.
    """
    request = context.get("request")
    cached = getattr(request, "_vertel_language_links", None)
    if cached is not None:
        return cached
    page = context.get("page")
    current = translation.get_language()
    navigation = site_navigation()
    translated_urls = {}
    if isinstance(page, Page) and page.pk:
        known = navigation["translations"].get(str(page.translation_key))
        if known is not None:
            translated_urls = dict(known)
        else:
            translated_urls[current] = page.get_url(request=request)
            for other in page.get_translations().live().select_related("locale"):
                translated_urls[other.locale.language_code] = other.get_url(request=request)
    links = []
    for code, name in settings.LANGUAGES:
        url = translated_urls.get(code)
        links.append(
            {
                "code": code,
                "name": name,
                "url": url or navigation["homes"].get(code) or f"/{code}/",
                "current": code == current,
                "translated": bool(url),
            }
        )
    if request is not None:
        request._vertel_language_links = links
    return links


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """``path`` as an absolute address on BASE_URL (canonical links, Open Graph)."""
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.BASE_URL}{path}"


@register.simple_tag
def feed_url(kind):
    """The address of this language's feed of ``kind`` (rss, atom or json)."""
    return reverse(f"stories:feed_{kind}")


@register.simple_tag(takes_context=True)
def article_json_ld(context, page):
    """schema.org Article data for a story, escaped so it cannot close its script element."""
    request = context.get("request")
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.title,
        "description": page.summary,
        "datePublished": page.date.isoformat(),
        "inLanguage": translation.get_language(),
        "mainEntityOfPage": f"{settings.BASE_URL}{page.get_url(request=request) or ''}",
        "publisher": {
            "@type": "Organization",
            "name": (context.get("organisation") or {}).get("organisation_name", ""),
        },
    }
    if page.last_published_at:
        data["dateModified"] = page.last_published_at.isoformat()
    author = page.get_storyteller_name()
    if author:
        data["author"] = {"@type": "Person", "name": author}
    image_url = context.get("social_image_url")
    if image_url:
        data["image"] = image_url
    payload = json.dumps(data, ensure_ascii=False)
    # The same escaping as Django's json_script: nothing in the data can end the element.
    payload = payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag
def current_locale():
    return Locale.get_active()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with ``changes`` applied (``None`` removes a key); page resets.

    Tracking parameters (``utm_*`` …) are left out: the page cache keys pages without them, so a
    copy rendered for a visitor who came from a social post must not hand their campaign to every
    later visitor's filter links.
    """
    from website.cache_store import is_tracking

    request = context["request"]
    params = request.GET.copy()
    for key in [key for key in params if is_tracking(key)]:
        del params[key]
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
