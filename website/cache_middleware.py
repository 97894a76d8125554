"""The page-cache middleware: serves and stores whole public pages for anonymous visitors.

Everything personal (consent and newsletter pages, admin, search, anything a logged-in editor sees)
is never stored. With a CDN in front, a response says which addresses a shared cache may keep:
exactly the ones a purge names (``website.cache``, ``StoryIndexPage.get_cached_paths``). A cache
that fails is bypassed: the page is rendered as if there were no cache.
"""

from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils.cache import cc_delim_re

from .cache import settle_owed_purge
from .cache_store import (
    CACHEABLE_VIEWS,
    INDEX_PARAMETERS,
    PAGE_PARAMETERS,
    VIEW_PARAMETERS,
    Lookup,
    cdn_configured,
    enabled,
    has_unknown_parameters,
    normalised_query,
    report_cache_error,
    timeout,
)

# Response headers never replayed from the cache.
UNSTORED_HEADERS = frozenset({"set-cookie", "x-cache", "date", "vary"})

# What a CDN may keep ---------------------------------------------------------------------------


def _recognised_index_filters(pairs, response):
    """Whether every (name, value) is one a purge lists for a story index (``StoryIndexPage.get_cached_paths``)."""
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
            lookup = Lookup(request, host)
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
