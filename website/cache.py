"""The one page-cache purger: what to drop, here and in a CDN, when content changes.

``purge_pages(pages)`` is the one invalidation function. It is called on publish, unpublish, move,
delete, view restrictions and consent withdrawal or expiry (``website.signal_handlers``); it purges
the local cache (``website.cache_store``) at once and again when the transaction commits (so a
request that read the database before the commit cannot leave a stale copy), drops the cached
navigation, and purges the same addresses from a CDN (``website.cdn``: Wagtail's ``PurgeBatch`` over
each page's ``get_cached_paths()``) when one is configured: queued at commit, and again a few
seconds later for a copy the CDN took from a render that overlapped the commit. Wagtail's own
frontend-cache handlers are not connected, so nothing else purges.

The cache may fail, the withdrawal may not: if the cache or the CDN fails, every purge still lets
the change (a withdrawal, a publish) go through; the failure is logged. A purge that failed is
owed: the process drops everything the cache holds as soon as it can reach it again (before it
serves from it, at its next purge, or from the "page-cache-owed-purge" periodic job), so a page
withdrawn during an outage never comes back from the copies the cache kept.
"""

import logging
import threading

from django.db import transaction

from . import cdn
from .cache_store import cdn_configured, new_generations, report_cache_error
from .navigation import invalidate_navigation

logger = logging.getLogger(__name__)


class _Pending(threading.local):
    """What this thread purged inside transactions; purged again, with the CDN, at the next commit.

    Every purge registers its own commit callback; the first to run flushes everything pending,
    the others find nothing left. Paths left by a rolled-back transaction are purged at the next
    commit, which costs nothing but a cache miss.
    """

    def __init__(self):
        self.paths, self.urls, self.everything = set(), set(), False

    def take(self):
        taken = (self.paths, self.urls, self.everything)
        self.paths, self.urls, self.everything = set(), set(), False
        return taken


_pending = _Pending()


def _flush_pending():
    paths, urls, everything = _pending.take()
    if paths or urls or everything:
        _bump(paths, everything)
        _purge_cdn(urls, everything)


# A purge that failed (the cache server unreachable) leaves copies that the server may still hold
# when it is back: a withdrawn story among them. This process then owes a purge of everything,
# paid before it serves from the cache again, by its next purge, or by the periodic job.
_purge_owed = threading.Event()


def settle_owed_purge():
    """Pay the purge a failure left owing; True when nothing is owed any more."""
    if not _purge_owed.is_set():
        return True
    _purge_owed.clear()
    try:
        new_generations((), everything=True)
        invalidate_navigation()
    except Exception:  # noqa: BLE001 - still down: keep owing, serve uncached
        _purge_owed.set()
        report_cache_error("read")  # the same outage as a failing read: reported with it, once a minute
        return False
    logger.warning("The page cache is reachable again; every page it held before a failed purge was dropped")
    return True


def _bump(paths, everything):
    """Drop the local copies: replace the generation tokens, and the navigation's."""
    try:
        new_generations(paths, everything)
        invalidate_navigation()
    except Exception:  # noqa: BLE001 - the change itself must go through; the CDN is still purged
        _purge_owed.set()
        logger.exception("The page cache could not be purged of %d paths (everything: %s)", len(paths), everything)
    else:
        settle_owed_purge()


def _purge_cdn(urls, everything=False):
    """Purge ``urls`` (with ``everything``: every public address) from the CDN, now and again shortly."""
    if not cdn_configured():
        return
    batch = cdn.CdnPurge(urls)
    if everything:
        cdn.every_public_address(batch)
    batch.purge()


def _purge(paths, urls, everything=False):
    """Purge now, and again (with the CDN) when the surrounding transaction commits."""
    _bump(paths, everything)
    if not transaction.get_connection().in_atomic_block:
        _purge_cdn(urls, everything)
        return
    _pending.paths.update(paths)
    _pending.urls.update(urls)
    _pending.everything = _pending.everything or everything
    # Robust: a failing purge must not stop the callbacks registered after it (consent_withdrawn).
    transaction.on_commit(_flush_pending, robust=True)


def affected_pages(pages):
    """Every page whose rendering shows one of ``pages``: translations, listings, related and next stories.

    Returns ``(pages, everything)``; ``everything`` is true when a change can show on every page
    (a home page, an index or a standard page changes the navigation or the whole tree).
    """
    from wagtail.models import Page

    from stories.models import StoryPage
    from stories.neighbours import pages_showing_as_next
    from stories.related import pages_showing_as_related
    from website.models import HomePage

    pages = [page for page in pages if page is not None]
    keys = {page.translation_key for page in pages}
    translations = list(Page.objects.filter(translation_key__in=keys))
    if any(not issubclass(page.specific_class or Page, StoryPage) for page in translations):
        return translations, True
    parent_keys = {page.get_parent().translation_key for page in translations if page.depth > 1}
    affected = {page.pk: page for page in translations}
    for page in Page.objects.filter(translation_key__in=parent_keys):
        affected[page.pk] = page
    # The stories whose "related stories" box may show it (stories.related): chosen, same theme or
    # department, or the newest-stories fallback while it is among the newest of its language.
    for page in pages_showing_as_related(translations, StoryPage):
        affected[page.pk] = page
    # The story whose "next story" box shows it (stories.neighbours), in each language.
    for page in pages_showing_as_next(translations, StoryPage):
        affected[page.pk] = page
    for page in Page.objects.type(HomePage):
        affected[page.pk] = page
    return list(affected.values()), False


def purge_pages(pages, old_urls=()):
    """THE invalidation function: drop every cached page that shows one of ``pages``, here and in a CDN.

    For a story: the story in every language, its index pages (every filter and page number:
    ``StoryIndexPage.get_cached_paths``), the home pages (newest and featured stories), the stories
    that list it as related, the story that shows it as its next story, the
    feeds of every language and the sitemap. Story pages unrelated to it stay cached. For any
    other page (home, index, standard page) the whole site is purged, since navigation and every
    listing can change. ``old_urls``: addresses the pages no longer have (a move, a new slug),
    purged from the CDN too.
    """
    affected, everything = affected_pages(list(pages))
    paths = {path for page in affected for path, _url in cdn.page_urls(page)}
    paths.update(cdn.listing_paths())
    urls = set(old_urls)
    if cdn_configured():
        batch = cdn.CdnPurge(urls)
        batch.add_pages(affected)
        batch.add_urls(cdn.listing_urls())
        urls = batch.urls
    _purge(paths, urls, everything)


def purge_everything(old_urls=()):
    """Drop every cached page (moves, deletions, view restrictions, settings and snippet changes).

    The CDN gets every public address, worked out once the transaction commits, plus ``old_urls``.
    """
    _purge((), set(old_urls), everything=True)


def purge_story(page_id):
    """``purge_pages`` of the page with this id, if it still exists (a consent's story)."""
    from wagtail.models import Page

    purge_pages([Page.objects.filter(pk=page_id).first()])
