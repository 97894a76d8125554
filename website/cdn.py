"""Purging a CDN in front of the site, through ``wagtail.contrib.frontend_cache``.

``CdnPurge`` is Wagtail's ``PurgeBatch``: a page's addresses are its full URL joined with each of
its ``get_cached_paths()`` (the story index adds its filter and page-number variants). Its
``purge()`` queues Wagtail's purge task ahead of the posts and newsletters waiting in the same queue,
once at once and once more a few seconds later, and purges in this process if the queue cannot take
it; a failing CDN is logged and never undoes the change that asked for the purge.

Wagtail's own publish/unpublish handlers are not connected (``website.apps.FrontendCacheConfig``):
``website.cache`` decides what to purge, this module only sends it.
"""

import copy
import datetime
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.contrib.frontend_cache.tasks import purge_urls_from_cache_task
from wagtail.contrib.frontend_cache.utils import PurgeBatch

from .cache_store import cdn_configured

logger = logging.getLogger("website.cache")

# Ahead of the default (0): a withdrawal must reach the CDN before queued posts go out.
CDN_PURGE_PRIORITY = 50


class CdnPurge(PurgeBatch):
    """A ``PurgeBatch`` whose purge is queued first, repeated shortly after, and never raises."""

    def purge(self, backend_settings=None, backends=None):
        if self.urls and cdn_configured():
            extra = (backend_settings, backends) if backend_settings or backends else ()
            enqueue_cdn_purge(sorted(self.urls), *extra)


def enqueue_cdn_purge(urls, *extra):
    """Queue the CDN purge at once, and once more after ``PAGE_CACHE_CDN_REPURGE_SECONDS``.

    Wagtail's frontend cache purges from a django-tasks task (``purge_urls_from_cache_task``), so
    the committing request only queues it; here it is queued ahead of the posts and newsletters
    waiting in the same queue. A visitor's request that read the database just before the commit
    can still be rendering when the first purge reaches the CDN, and the CDN then keeps the stale
    page it returns; the second purge drops that copy. A queue that cannot wait (the tests'
    immediate one) gets only the first. If the queue cannot take the task, it runs here and now.
    """
    task = purge_urls_from_cache_task
    if task.get_backend().supports_priority:
        task = task.using(priority=CDN_PURGE_PRIORITY)
    try:
        task.enqueue(urls, *extra)
    except Exception:  # noqa: BLE001 - the queue is down: purge in this process rather than not at all
        logger.exception("The CDN purge of %d addresses could not be queued; purging now", len(urls))
        purge_cdn_now(urls, *extra)
    delay = getattr(settings, "PAGE_CACHE_CDN_REPURGE_SECONDS", 5)
    if not delay or not task.get_backend().supports_defer:
        return
    try:
        task.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue(urls, *extra)
    except Exception:  # noqa: BLE001 - the first purge went out; this one only closes a race
        logger.exception("The second CDN purge of %d addresses could not be queued", len(urls))


def purge_cdn_now(urls, *extra):
    """Purge ``urls`` from the CDN in this process."""
    try:
        purge_urls_from_cache_task.call(list(urls), *extra)
    except Exception:  # noqa: BLE001 - a CDN outage must not undo a withdrawal or a publish
        logger.exception("The CDN could not be purged of %d addresses", len(urls))


# Addresses -------------------------------------------------------------------------------------


def listing_paths():
    """Addresses outside the page tree that list stories: the feeds of every language and the sitemap."""
    paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths += [reverse("stories:feed_rss"), reverse("stories:feed_atom"), reverse("stories:feed_json")]
    return [*paths, reverse("sitemap")]


def _base_urls():
    from wagtail.models import Site

    roots = {site.root_url for site in Site.objects.all()}
    return roots or {settings.BASE_URL}


def listing_urls():
    """``listing_paths()`` under every site."""
    return {f"{base}{path}" for base in _base_urls() for path in listing_paths()}


def page_urls(page):
    """(path, full URL) of ``page``'s own address (none of its ``get_cached_paths`` variants)."""
    parts = page.get_url_parts()
    if not parts:
        return []
    _site_id, root_url, path = parts
    return [(path, f"{root_url}{path}")]


def every_public_address(batch):
    """Add every public address to ``batch``: live public pages and indexes with their cached paths, listings."""
    from wagtail.models import Page

    from stories.models import StoryIndexPage

    batch.add_pages(Page.objects.live().public().filter(depth__gt=1).specific(defer=True))
    batch.add_pages(StoryIndexPage.objects.live())
    batch.add_urls(listing_urls())


def moved_urls(page, url_path_before, url_path_after):
    """The addresses ``page`` and its live descendants had before their ``url_path`` changed."""
    from wagtail.models import Page

    urls = set()
    for current in [page, *Page.objects.descendant_of(page).live()]:
        if not current.url_path.startswith(url_path_after):
            continue
        before = copy.copy(current)
        before.url_path = url_path_before + current.url_path[len(url_path_after) :]
        urls.update(url for _path, url in page_urls(before))
    return urls
