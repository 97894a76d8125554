"""What the website tells the story pages through Wagtail hooks: the support box of the page's language.

``stories`` sits below ``website`` and may not import it, so a story page asks the
``vertel_story_support_box`` hook (``stories.pages.support_box``). The boxes (one per language,
``website.models.SupportBox``) come with the cached brand (``website.branding``): a story page
served from the brand's cache spends no query on them.
"""

from django.conf import settings
from wagtail import hooks


def _filled(box):
    return box if box and (box.get("title") or box.get("text")) else None


@hooks.register("vertel_story_support_box")
def support_box(request, page=None):
    """The box in ``page``'s language; when that one is missing or empty, the default language's."""
    from .branding import site_brand

    boxes = site_brand().get("support") or {}
    language = page.locale.language_code if page is not None else getattr(request, "LANGUAGE_CODE", "")
    return _filled(boxes.get(language)) or _filled(boxes.get(settings.LANGUAGE_CODE)) or None
