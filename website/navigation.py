"""Site-wide navigation facts every page shows, cached across requests.

Every public page needs each language's home address, the story index address, the translations of
those pages and the organisation's name. Looking them up costs several queries per request, so they
are kept in the shared page cache and dropped by ``website.cache.purge_pages`` /
``purge_everything`` whenever a page is published, unpublished, moved or deleted, or the
organisation settings change.

Like the pages, the entry's key carries a generation token that a purge replaces (at once and again
at commit). A request that read the database before a commit and stores its navigation after the
purge stores it under the old token, where nobody looks any more; deleting one fixed key instead
would let that stale copy stand for an hour. If the cache fails, the navigation is built afresh.
"""

import uuid

from django.core.cache import caches

GENERATION_KEY = "vertel:navigation:generation"
CACHE_PREFIX = "vertel:navigation:v2:"
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


def _cache():
    # The page cache is shared by every process (web workers, task worker), so a publish or a
    # withdrawal in one of them reaches the navigation the others show.
    from .cache_store import ALIAS

    return caches[ALIAS]


def _key(cache):
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY)
    return f"{CACHE_PREFIX}{token}"


def site_navigation():
    from .cache_store import report_cache_error

    try:
        cache = _cache()
        # The token is read before the database: see the module's docstring.
        key = _key(cache)
        data = cache.get(key)
    except Exception:  # noqa: BLE001 - without a cache every page still gets its navigation
        report_cache_error("read the navigation")
        return _build()
    if data is None:
        data = _build()
        try:
            cache.set(key, data, CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            report_cache_error("store the navigation")
    return data


def invalidate_navigation(**kwargs):
    _cache().set(GENERATION_KEY, uuid.uuid4().hex, None)
