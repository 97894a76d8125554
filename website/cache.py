"""The full-page cache of the public site and the one function that decides what to purge.

Anonymous ``GET``/``HEAD`` requests for Wagtail pages (home, story index with its filters, stories,
standard pages), the feeds, the sitemap and robots.txt are answered from the ``pages`` cache once
rendered. Everything personal (consent and newsletter pages, admin, search, anything a logged-in
editor sees) is never stored: see ``PageCacheMiddleware``.

Keys carry two generation tokens: one for the whole site and one per path. A purge replaces the
token, so every stored variant of a path (``?theme=…``, ``?page=3``) is dropped at once without
enumerating query strings. Tokens are random, never counters: if the cache loses a token, a new one
is made and nothing stored under the old one can come back.

Only the query parameters a view reads are part of the key (the story index: ``theme``, ``tag``,
``type``, ``page``; the sitemap: ``p``; every other page: none). Tracking parameters (``utm_*``,
``fbclid`` …) and unknown ones never make a new entry: the page is served from the copy without
them, and a render asked for with unknown parameters is not stored at all.

The cache is an optimisation, never a dependency: if it fails, pages are served uncached and every
purge still lets the change (a withdrawal, a publish) go through; the failure is logged. A purge
that failed is owed: the process drops everything the cache holds as soon as it can reach it again
(before it serves from it, at its next purge, or from the "page-cache-owed-purge" periodic job), so
a page withdrawn during an outage never comes back from the copies the cache kept.

``purge_pages(pages)`` is the one invalidation function. It is called on publish, unpublish, move,
delete, view restrictions and consent withdrawal or expiry; it purges the local cache at once and
again when the transaction commits (so a request that read the database before the commit cannot
leave a stale copy), drops the cached navigation, and purges the same addresses from a CDN through
``wagtail.contrib.frontend_cache`` when one is configured: queued at commit, and again a few
seconds later for a copy the CDN took from a render that overlapped the commit.
"""

import copy
import datetime
import hashlib
import logging
import threading
import time
import uuid
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re

logger = logging.getLogger(__name__)

ALIAS = "pages"
# "v2": entries of the earlier key scheme are never read again.
PREFIX = "vertel:pagecache:v2:"
SITE_GENERATION_KEY = PREFIX + "site"
PATH_GENERATION_PREFIX = PREFIX + "path:"
PAGE_PREFIX = PREFIX + "page:"
PARAMETERS_PREFIX = PREFIX + "params:"

# The story index reads these (stories.models.StoryIndexPage.get_context); nothing else does.
INDEX_PARAMETERS = frozenset({"page", "tag", "theme", "type"})
# Query parameters each cacheable view reads. ``None``: it depends on the page Wagtail serves.
VIEW_PARAMETERS = {
    "wagtail_serve": None,
    "stories:feed_rss": frozenset(),
    "stories:feed_atom": frozenset(),
    "stories:feed_json": frozenset(),
    "sitemap": frozenset({"p"}),
    "robots_txt": frozenset(),
}
CACHEABLE_VIEWS = frozenset(VIEW_PARAMETERS)
PAGE_PARAMETERS = {"stories.storyindexpage": INDEX_PARAMETERS}
# Before the first render of a path its view is unknown: look it up under every parameter any view reads.
ANY_VIEW_PARAMETERS = INDEX_PARAMETERS | {"p"}
# Query parameters that only tell where a visitor came from; they never change the page.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga", "_gl"})
# Response headers never replayed from the cache.
UNSTORED_HEADERS = frozenset({"set-cookie", "x-cache", "date", "vary"})
# Ahead of the default (0): a withdrawal must reach the CDN before queued posts go out.
CDN_PURGE_PRIORITY = 50
# A failing cache is reported at most this often per process, not once per request.
ERROR_REPORT_SECONDS = 60


def page_cache():
    return caches[ALIAS]


def enabled():
    return getattr(settings, "PAGE_CACHE_ENABLED", True)


def timeout():
    return getattr(settings, "PAGE_CACHE_SECONDS", 60 * 60)


def cdn_configured():
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


_last_report = {}


def report_cache_error(action):
    """Log a failing page cache (with the traceback) once a minute per action, so an outage is seen but not flooded."""
    now = time.monotonic()
    if now - _last_report.get(action, -ERROR_REPORT_SECONDS) >= ERROR_REPORT_SECONDS:
        _last_report[action] = now
        logger.exception("The page cache failed to %s; serving and purging without it", action)
    else:
        logger.debug("The page cache failed to %s again", action, exc_info=True)


# Keys ------------------------------------------------------------------------------------------


def is_tracking(name):
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def normalised_query(query_string, allowed):
    """The parameters of ``query_string`` named in ``allowed``, in a fixed order."""
    pairs = [(key, value) for key, value in parse_qsl(query_string, keep_blank_values=True) if key in allowed]
    return urlencode(sorted(pairs))


def has_unknown_parameters(query_string, allowed):
    """Whether ``query_string`` carries a parameter that is neither ``allowed`` nor tracking."""
    return any(
        key not in allowed and not is_tracking(key) for key, _value in parse_qsl(query_string, keep_blank_values=True)
    )


def _generation(cache, key):
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def _path_generation_key(path):
    return PATH_GENERATION_PREFIX + hashlib.sha256(path.encode()).hexdigest()[:40]


class _Lookup:
    """The cache entries of one request: a hit costs two reads (the generation tokens, then the page).

    The parameters that count for a path are learnt from its first render and kept with each copy
    and in an entry of their own, under the same generations, so a purge forgets them too. The
    copy is first looked for under every parameter any view reads; only when that finds nothing
    (a story asked for with ``?page=2``) is the path's own list read to find the plain copy.
    """

    def __init__(self, request, host):
        cache = page_cache()
        path_key = _path_generation_key(request.path)
        tokens = cache.get_many([SITE_GENERATION_KEY, path_key])
        site = tokens.get(SITE_GENERATION_KEY) or _generation(cache, SITE_GENERATION_KEY)
        path = tokens.get(path_key) or _generation(cache, path_key)
        language = getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or ""
        digest = hashlib.sha256(f"{host}\n{language}\n{request.path}".encode()).hexdigest()[:40]
        self.prefix = f"{site}:{path}:{digest}"
        self.parameters_key = f"{PARAMETERS_PREFIX}{self.prefix}"
        self.query = request.META.get("QUERY_STRING", "")
        guess = normalised_query(self.query, ANY_VIEW_PARAMETERS)
        self.stored = cache.get(self.page_key(guess))
        if self.stored is not None and normalised_query(self.query, self.stored[3]) == guess:
            return
        self.stored = None
        parameters = cache.get(self.parameters_key)
        if parameters is not None:
            wanted = normalised_query(self.query, parameters)
            if wanted != guess:
                self.stored = cache.get(self.page_key(wanted))

    def page_key(self, query):
        return f"{PAGE_PREFIX}{self.prefix}:{hashlib.sha256(query.encode()).hexdigest()[:32]}"

    def store(self, parameters, frozen):
        key = self.page_key(normalised_query(self.query, parameters))
        page_cache().set_many({self.parameters_key: tuple(sorted(parameters)), key: frozen}, timeout())


# What a CDN may keep ---------------------------------------------------------------------------


def _recognised_index_filters(pairs, response):
    """Whether every (name, value) is one the purge lists for a story index (see ``_index_variant_urls``)."""
    from taggit.models import Tag

    from stories.models import MODEL_BY_STORY_TYPE, Theme

    names = [name for name, _value in pairs]
    if len(set(names)) != len(names):
        return False
    for name, value in pairs:
        if name == "type" and value not in MODEL_BY_STORY_TYPE:
            return False
        if name == "theme" and not Theme.objects.filter(slug=value).exists():
            return False
        if name == "tag" and not Tag.objects.filter(slug=value).exists():
            return False
        if name == "page":
            paginator = (getattr(response, "context_data", None) or {}).get("paginator")
            canonical = value.isdigit() and str(int(value)) == value
            if not (canonical and paginator and 1 <= int(value) <= paginator.num_pages):
                return False
    return True


def shared_query(parameters, query):
    """The query string under which a CDN may keep a page, or ``None``.

    ``query`` holds only recognised parameters (see ``_recognised_index_filters``). A CDN keys the
    address exactly, query string included, and is purged only of the addresses ``purge_pages``
    lists: the bare address of every page, and for a story index each single filter (type,
    theme, tag) and page number. Any other address (two filters, ``utm_*`` from a social post, an
    unknown parameter) must not be kept by a shared cache, or a withdrawal would leave it there.
    """
    if not query:
        return ""
    if parameters == INDEX_PARAMETERS and len(parse_qsl(query, keep_blank_values=True)) == 1:
        return query
    return None


def parameters_for(request, response):
    """The query parameters that change what ``response`` shows (see ``VIEW_PARAMETERS``)."""
    parameters = VIEW_PARAMETERS.get(request.resolver_match.view_name)
    if parameters is None:
        page = (getattr(response, "context_data", None) or {}).get("page")
        parameters = PAGE_PARAMETERS.get(page._meta.label_lower if page is not None else "", frozenset())
    return frozenset(parameters)


# The middleware --------------------------------------------------------------------------------


def _personal_prefixes():
    prefixes = ["/admin/", "/django-admin/", "/documents/", "/i18n/"]
    for code, _name in settings.LANGUAGES:
        prefixes += [f"/{code}/consent/", f"/{code}/newsletter/", f"/{code}/search/"]
    return tuple(prefixes)


class PageCacheMiddleware:
    """Serves and stores whole public pages for anonymous visitors; adds ``X-Cache: hit|miss``.

    Sits right after ``LocaleMiddleware`` (so the language is known) and before everything that
    can set a cookie, so the responses it stores are the ones the inner layers produced. A cache
    that fails is bypassed: the page is rendered as if there were no cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.skip_prefixes = _personal_prefixes()

    def lookup_allowed(self, request):
        if not enabled() or request.method not in ("GET", "HEAD"):
            return False
        if request.path.startswith(self.skip_prefixes):
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
            return False
        return not getattr(request, "is_preview", False)

    def __call__(self, request):
        if not self.lookup_allowed(request):
            return self.get_response(request)
        try:
            host = request.get_host()
        except DisallowedHost:
            return self.get_response(request)
        if not settle_owed_purge():
            return self.get_response(request)
        try:
            lookup = _Lookup(request, host)
        except Exception:  # noqa: BLE001 - a broken cache must not break the site
            report_cache_error("read")
            return self.get_response(request)
        if lookup.stored is not None:
            return self.replay(request, lookup.stored)
        response = self.get_response(request)
        if not self.storable(request, response):
            return response
        parameters = parameters_for(request, response)
        query = normalised_query(lookup.query, parameters)
        # Filter values the index does not know (``?tag=<junk>``) would each make an entry.
        recognised = parameters != INDEX_PARAMETERS or _recognised_index_filters(
            parse_qsl(query, keep_blank_values=True), response
        )
        shared = shared_query(parameters, query) if recognised else None
        if request.method == "GET" and recognised and not has_unknown_parameters(lookup.query, parameters):
            try:
                lookup.store(parameters, self.freeze(response, shared, parameters))
                response["X-Cache"] = "miss"
            except Exception:  # noqa: BLE001 - the page was rendered; serve it uncached
                report_cache_error("store")
        self.add_cache_control(request, response, shared)
        return response

    @staticmethod
    def storable(request, response):
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in CACHEABLE_VIEWS:
            return False
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        if getattr(request, "is_preview", False):
            return False
        session = getattr(request, "session", None)
        if session is not None and (session.accessed or session.modified):
            return False
        user = getattr(request, "_cached_user", None)
        if user is not None and user.is_authenticated:
            return False
        control = {part.split("=")[0].strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}
        if control & {"private", "no-store", "no-cache"}:
            return False
        vary = {part.strip().lower() for part in cc_delim_re.split(response.get("Vary", ""))}
        return "cookie" not in vary and "*" not in vary

    @staticmethod
    def add_cache_control(request, response, shared):
        """With a CDN in front: let it keep exactly the addresses a purge names, and nothing else.

        Browsers check back every time (``max-age=0``), so a withdrawal reaches them at once too.
        A view that says how it may be cached (robots.txt) keeps its own header.
        """
        if not cdn_configured() or "Cache-Control" in response:
            return
        if shared is not None and request.META.get("QUERY_STRING", "") == shared:
            response["Cache-Control"] = f"public, max-age=0, s-maxage={timeout()}"
        else:
            response["Cache-Control"] = "private, max-age=0"

    @staticmethod
    def freeze(response, shared, parameters):
        headers = [(name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS]
        return (response.content, headers, shared, tuple(sorted(parameters)))

    def replay(self, request, stored):
        content, headers, shared, _parameters = stored
        response = HttpResponse(b"" if request.method == "HEAD" else content)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = "hit"
        self.add_cache_control(request, response, shared)
        return response


# Purging ---------------------------------------------------------------------------------------


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
    from .navigation import invalidate_navigation

    _purge_owed.clear()
    try:
        page_cache().set(SITE_GENERATION_KEY, uuid.uuid4().hex, None)
        invalidate_navigation()
    except Exception:  # noqa: BLE001 - still down: keep owing, serve uncached
        _purge_owed.set()
        report_cache_error("read")  # the same outage as a failing read: reported with it, once a minute
        return False
    logger.warning("The page cache is reachable again; every page it held before a failed purge was dropped")
    return True


def _bump(paths, everything):
    """Drop the local copies: replace the generation tokens, and the navigation's."""
    from .navigation import invalidate_navigation

    try:
        cache = page_cache()
        if everything:
            cache.set(SITE_GENERATION_KEY, uuid.uuid4().hex, None)
        if paths:
            cache.set_many({_path_generation_key(path): uuid.uuid4().hex for path in paths}, None)
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
    urls = set(urls)
    if everything:
        urls |= _all_live_urls() | _index_variant_urls(_index_pages()) | _fixed_urls()
    if urls:
        enqueue_cdn_purge(sorted(urls))


def enqueue_cdn_purge(urls):
    """Queue the CDN purge at once, and once more after ``PAGE_CACHE_CDN_REPURGE_SECONDS``.

    Wagtail's frontend cache purges from a django-tasks task (``purge_urls_from_cache_task``), so
    the committing request only queues it; here it is queued ahead of the posts and newsletters
    waiting in the same queue. A visitor's request that read the database just before the commit
    can still be rendering when the first purge reaches the CDN, and the CDN then keeps the stale
    page it returns; the second purge drops that copy. A queue that cannot wait (the tests'
    immediate one) gets only the first. If the queue cannot take the task, it runs here and now.
    """
    from wagtail.contrib.frontend_cache.tasks import purge_urls_from_cache_task

    task = purge_urls_from_cache_task
    if task.get_backend().supports_priority:
        task = task.using(priority=CDN_PURGE_PRIORITY)
    try:
        task.enqueue(urls)
    except Exception:  # noqa: BLE001 - the queue is down: purge in this process rather than not at all
        logger.exception("The CDN purge of %d addresses could not be queued; purging now", len(urls))
        purge_cdn_now(urls)
    delay = getattr(settings, "PAGE_CACHE_CDN_REPURGE_SECONDS", 5)
    if not delay or not task.get_backend().supports_defer:
        return
    try:
        task.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue(urls)
    except Exception:  # noqa: BLE001 - the first purge went out; this one only closes a race
        logger.exception("The second CDN purge of %d addresses could not be queued", len(urls))


def purge_cdn_now(urls):
    """Purge ``urls`` from the CDN in this process."""
    from wagtail.contrib.frontend_cache.tasks import purge_urls_from_cache_task

    try:
        purge_urls_from_cache_task.call(list(urls))
    except Exception:  # noqa: BLE001 - a CDN outage must not undo a withdrawal or a publish
        logger.exception("The CDN could not be purged of %d addresses", len(urls))


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


def _language_paths():
    """Addresses that exist once per language and list stories: the feeds."""
    paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths += [reverse("stories:feed_rss"), reverse("stories:feed_atom"), reverse("stories:feed_json")]
    return paths


def _base_urls():
    from wagtail.models import Site

    roots = {site.root_url for site in Site.objects.all()}
    return roots or {settings.BASE_URL}


def _fixed_urls():
    """The feeds and the sitemap under every site."""
    return {f"{base}{path}" for base in _base_urls() for path in [*_language_paths(), reverse("sitemap")]}


def _page_urls(page):
    """(path, full URL) of ``page`` under every site it belongs to."""
    parts = page.get_url_parts()
    if not parts:
        return []
    _site_id, root_url, path = parts
    return [(path, f"{root_url}{path}")]


def affected_pages(pages):
    """Every page whose rendering shows one of ``pages``: translations, listings, related stories.

    Returns ``(pages, everything)``; ``everything`` is true when a change can show on every page
    (a home page, an index or a standard page changes the navigation or the whole tree).
    """
    from wagtail.models import Page

    from stories.models import RelatedStory, StoryPage
    from website.models import HomePage

    pages = [page for page in pages if page is not None]
    keys = {page.translation_key for page in pages}
    translations = list(Page.objects.filter(translation_key__in=keys))
    if any(not issubclass(page.specific_class or Page, StoryPage) for page in translations):
        return translations, True
    story_ids = [page.pk for page in translations]
    related_ids = RelatedStory.objects.filter(story_id__in=story_ids).values_list("page_id", flat=True)
    related_keys = Page.objects.filter(pk__in=related_ids).values_list("translation_key", flat=True)
    parent_keys = {page.get_parent().translation_key for page in translations if page.depth > 1}
    affected = {page.pk: page for page in translations}
    for page in Page.objects.filter(translation_key__in=[*related_keys, *parent_keys]):
        affected[page.pk] = page
    for page in Page.objects.type(HomePage):
        affected[page.pk] = page
    return list(affected.values()), False


def purge_pages(pages, old_urls=()):
    """THE invalidation function: drop every cached page that shows one of ``pages``, here and in a CDN.

    For a story: the story in every language, its index pages (every filter and page number),
    the home pages, the stories that list it as related, the feeds of every language and the
    sitemap. Story pages unrelated to it stay cached. For any other page (home, index, standard
    page) the whole site is purged, since navigation and every listing can change. ``old_urls``:
    addresses the pages no longer have (a move, a new slug), purged from the CDN too.
    """
    affected, everything = affected_pages(list(pages))
    paths, urls = set(), set(old_urls)
    for page in affected:
        for path, url in _page_urls(page):
            paths.add(path)
            urls.add(url)
    paths.update([*_language_paths(), reverse("sitemap")])
    if cdn_configured():
        urls |= _fixed_urls() | _index_variant_urls(affected, [page.pk for page in affected])
    _purge(paths, urls, everything)


def purge_everything(old_urls=()):
    """Drop every cached page (moves, deletions, view restrictions, settings and snippet changes).

    The CDN gets every public address, worked out once the transaction commits, plus ``old_urls``.
    """
    _purge((), set(old_urls), everything=True)


def _all_live_urls():
    from wagtail.models import Page

    urls = set()
    for page in Page.objects.live().public().filter(depth__gt=1):
        urls.update(url for _path, url in _page_urls(page))
    return urls


def _index_pages():
    from stories.models import StoryIndexPage

    return list(StoryIndexPage.objects.live())


def _index_variant_urls(pages, page_ids=()):
    """For a CDN, which keys query strings exactly: the index's single-filter and page-number variants.

    The local cache drops every variant through the path generation; a CDN needs each address.
    Combinations of filters are not enumerated, so those addresses are never sent as shareable
    (see ``shared_query`` and docs/performance.md). Every tag is listed, used or not: a tag an
    editor just took off the last story still has a page in the CDN that shows that story.
    """
    from taggit.models import Tag

    from stories.models import MODEL_BY_STORY_TYPE, STORIES_PER_PAGE, StoryIndexPage, Theme

    urls = set()
    for page in pages:
        if page.specific_class is not StoryIndexPage:
            continue
        index = page.specific
        stories = index.get_stories()
        variants = [f"type={key}" for key in MODEL_BY_STORY_TYPE]
        variants += [f"theme={slug}" for slug in Theme.objects.values_list("slug", flat=True).distinct()]
        variants += [f"tag={slug}" for slug in Tag.objects.values_list("slug", flat=True) if slug]
        pages_count = max(1, -(-stories.count() // STORIES_PER_PAGE)) + 1
        variants += [f"page={number}" for number in range(1, pages_count + 1)]
        for _path, url in _page_urls(index):
            urls.add(url)
            urls.update(f"{url}?{variant}" for variant in variants)
    return urls


def _moved_urls(page, url_path_before, url_path_after):
    """The addresses ``page`` and its live descendants had before their ``url_path`` changed."""
    from wagtail.models import Page

    urls = set()
    for current in [page, *Page.objects.descendant_of(page).live()]:
        if not current.url_path.startswith(url_path_after):
            continue
        before = copy.copy(current)
        before.url_path = url_path_before + current.url_path[len(url_path_after) :]
        urls.update(url for _path, url in _page_urls(before))
    return urls


# Signals ---------------------------------------------------------------------------------------
# Every receiver swallows (and logs) its own failure. The site's app is the first installed, so
# its receivers run first: an exception here would stop the receivers after it (channels,
# newsletter) and roll back the change that sent the signal, a withdrawal included.


def _safely(action, purge, *args, **kwargs):
    try:
        purge(*args, **kwargs)
    except Exception:  # noqa: BLE001 - see above; the message names no person
        logger.exception("Page cache purge after %s failed", action)


def _on_page_changed(sender, instance, **kwargs):
    _safely("a publish or unpublish", purge_pages, [instance])


def _on_everything(sender=None, **kwargs):
    _safely(f"a change to {getattr(sender, '__name__', sender)}", purge_everything)


def _on_page_moved(sender, instance, url_path_before=None, url_path_after=None, **kwargs):
    def purge():
        moved = cdn_configured() and url_path_before and url_path_before != url_path_after
        purge_everything(_moved_urls(instance, url_path_before, url_path_after) if moved else ())

    _safely("a move", purge)


def _on_slug_changed(sender, instance, instance_before, **kwargs):
    def purge():
        old = _moved_urls(instance, instance_before.url_path, instance.url_path) if cdn_configured() else set()
        purge_everything(old)

    _safely("a slug change", purge)


def _on_page_deleted(sender, instance, **kwargs):
    # Before the row goes: afterwards the page has no address to purge from a CDN.
    def purge():
        old = {url for _path, url in _page_urls(instance)} if cdn_configured() else set()
        purge_everything(old)

    _safely("a deletion", purge)


def _on_restriction_groups(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        _safely("a change to a view restriction's groups", purge_everything)


def _on_consent_withdrawn(sender, consent, **kwargs):
    def purge():
        from wagtail.models import Page

        purge_pages([Page.objects.filter(pk=consent.story_id).first()])

    if consent.story_id:
        _safely("a consent withdrawal", purge)


def _on_person_saved(sender, instance, **kwargs):
    def purge():
        from stories.models import PatientStoryPage

        stories = list(PatientStoryPage.objects.filter(storyteller=instance))
        if stories:
            purge_pages(stories)

    _safely("a storyteller change", purge)


def connect_signals():
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
    from wagtail.models import Page, PageViewRestriction
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    from consent.signals import consent_withdrawn
    from stories.models import Department, Person, Theme
    from website.models import OrganisationSettings

    page_published.connect(_on_page_changed, dispatch_uid="vertel_pagecache_published")
    page_unpublished.connect(_on_page_changed, dispatch_uid="vertel_pagecache_unpublished")
    page_slug_changed.connect(_on_slug_changed, dispatch_uid="vertel_pagecache_slug")
    post_page_move.connect(_on_page_moved, dispatch_uid="vertel_pagecache_moved")
    pre_delete.connect(_on_page_deleted, sender=Page, dispatch_uid="vertel_pagecache_deleted")
    consent_withdrawn.connect(_on_consent_withdrawn, dispatch_uid="vertel_pagecache_withdrawn")
    post_save.connect(_on_person_saved, sender=Person, dispatch_uid="vertel_pagecache_person")
    # A restriction (password, login, groups) covers the page and everything below it.
    post_save.connect(_on_everything, sender=PageViewRestriction, dispatch_uid="vertel_pagecache_restriction_saved")
    post_delete.connect(
        _on_everything, sender=PageViewRestriction, dispatch_uid="vertel_pagecache_restriction_deleted"
    )
    m2m_changed.connect(
        _on_restriction_groups,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="vertel_pagecache_restriction_groups",
    )
    for model in (Theme, Department, OrganisationSettings):
        post_save.connect(_on_everything, sender=model, dispatch_uid=f"vertel_pagecache_{model.__name__}_saved")
        post_delete.connect(_on_everything, sender=model, dispatch_uid=f"vertel_pagecache_{model.__name__}_deleted")
