"""Site-wide navigation facts every page shows, cached across requests.

Every public page needs each language's home address, the story index address, the translations of
those pages and the organisation's name. Looking them up costs several queries per request, so they
are kept in the shared page cache and dropped by ``website.cache.purge_pages`` /
``purge_everything`` whenever a page is published, unpublished, moved or deleted, or the
organisation settings change.

Like the pages, the entry's key carries a generation token that a purge replaces (at once and again
at commit): ``website.site_facts`` keeps it, for the brand (``website.branding``) too.
"""

from .site_facts import cached_facts, invalidate

CACHE_PREFIX = "vertel:navigation:v2:"


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
    return cached_facts(CACHE_PREFIX, _build, what="the navigation")


def invalidate_navigation(**kwargs):
    """Drop the cached navigation, and with it every other site-wide fact (``website.site_facts``)."""
    invalidate()
