"""Template tags of the organisation's brand: the facts the head, header and footer show."""

from django import template
from django.urls import reverse
from django.utils import translation

from website.branding import site_brand, statement_url

register = template.Library()


@register.simple_tag(takes_context=True)
def brand(context):
    """The brand (``website.branding.site_brand``) with the statements in the current language.

    Adds ``privacy_url``, ``accessibility_url`` and ``stylesheet_url``; worked out once per request.
    """
    request = context.get("request")
    language = translation.get_language()
    cached = getattr(request, "_vertel_brand", None)
    if cached is not None and cached["language"] == language:
        return cached
    data = dict(site_brand())
    data["language"] = language
    data["privacy_url"] = statement_url(data["privacy"], language)
    data["accessibility_url"] = statement_url(data["accessibility"], language)
    data["stylesheet_url"] = f"{reverse('brand_css')}?v={data['version']}"
    if request is not None:
        request._vertel_brand = data
    return data
