"""Site-wide navigation facts every page shows, cached across requests.

Every public page needs each language's home address, the story index address, the translations of
those pages and the organisation's name. Looking them up costs several queries per request, so they
are kept in the cache and dropped whenever a page is published, unpublished, moved or deleted, or
the organisation settings change.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

CACHE_KEY = "vertel:navigation:v1"
CACHE_SECONDS = 60 * 60


def _build():
    from stories.models import StoryIndexPage
    from website.models import HomePage, OrganisationSettings

    homes = {}
    indexes = {}
    translations = {}
    for model, target in ((HomePage, homes), (StoryIndexPage, indexes)):
        for page in model.objects.live().select_related("locale").order_by("path"):
            url = page.get_url()
            if not url:
                continue
            target.setdefault(page.locale.language_code, url)
            translations.setdefault(str(page.translation_key), {})[page.locale.language_code] = url
    settings_row = OrganisationSettings.objects.filter(site__is_default_site=True).first()
    organisation = {
        "organisation_name": settings_row.organisation_name if settings_row else "Vertel",
        "contact_email": settings_row.contact_email if settings_row else "",
        "privacy_statement_url": settings_row.privacy_statement_url if settings_row else "",
    }
    return {"homes": homes, "indexes": indexes, "translations": translations, "organisation": organisation}


def site_navigation():
    data = cache.get(CACHE_KEY)
    if data is None:
        data = _build()
        cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return data


def invalidate_navigation(**kwargs):
    cache.delete(CACHE_KEY)


def connect_signals():
    from wagtail.models import Page

    from website.models import OrganisationSettings

    page_published.connect(invalidate_navigation, dispatch_uid="vertel_nav_published")
    page_unpublished.connect(invalidate_navigation, dispatch_uid="vertel_nav_unpublished")
    post_page_move.connect(invalidate_navigation, dispatch_uid="vertel_nav_moved")
    post_delete.connect(invalidate_navigation, sender=Page, dispatch_uid="vertel_nav_deleted")
    post_save.connect(invalidate_navigation, sender=OrganisationSettings, dispatch_uid="vertel_nav_settings")
