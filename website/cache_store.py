"""The local full-page cache's storage: its keys, generation tokens and lookups.

Anonymous ``GET``/``HEAD`` requests for Wagtail pages (home, story index with its filters, stories,
standard pages), the feeds, the sitemap and robots.txt are answered from the ``pages`` cache once
rendered (``website.cache_middleware``); ``website.cache`` decides what to purge.

Keys carry two generation tokens: one for the whole site and one per path. A purge replaces the
token, so every stored variant of a path (``?theme=…``, ``?page=3``) is dropped at once without
enumerating query strings. Tokens are random, never counters: if the cache loses a token, a new one
is made and nothing stored under the old one can come back.

Only the query parameters a view reads are part of the key (the story index: ``theme``, ``tag``,
``type``, ``page``; the sitemap: ``p``; every other page: none). Tracking parameters (``utm_*``,
``fbclid`` …) and unknown ones never make a new entry: the page is served from the copy without
them, and a render asked for with unknown parameters is not stored at all.

The cache is an optimisation, never a dependency: a failing cache is reported here, once a minute.
"""

import hashlib
import logging
import time
import uuid
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import caches
from django.utils import translation

# One logger for the page cache, whichever of its modules reports.
logger = logging.getLogger("website.cache")

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


def generation(cache, key):
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def path_generation_key(path):
    return PATH_GENERATION_PREFIX + hashlib.sha256(path.encode()).hexdigest()[:40]


class Lookup:
    """The cache entries of one request: a hit costs two reads (the generation tokens, then the page).

    The parameters that count for a path are learnt from its first render and kept with each copy
    and in an entry of their own, under the same generations, so a purge forgets them too. The
    copy is first looked for under every parameter any view reads; only when that finds nothing
    (a story asked for with ``?page=2``) is the path's own list read to find the plain copy.
    """

    def __init__(self, request, host):
        cache = page_cache()
        path_key = path_generation_key(request.path)
        tokens = cache.get_many([SITE_GENERATION_KEY, path_key])
        site = tokens.get(SITE_GENERATION_KEY) or generation(cache, SITE_GENERATION_KEY)
        path = tokens.get(path_key) or generation(cache, path_key)
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


def new_generations(paths, everything):
    """Replace the generation tokens of ``paths`` (``everything``: the whole site's); raises if the cache fails."""
    cache = page_cache()
    if everything:
        cache.set(SITE_GENERATION_KEY, uuid.uuid4().hex, None)
    if paths:
        cache.set_many({path_generation_key(path): uuid.uuid4().hex for path in paths}, None)
