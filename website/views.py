"""Site-wide views: search, robots.txt, the brand stylesheet, the password form of restricted pages, error pages."""

import unicodedata

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail import views as wagtail_views
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Locale, Page

from stories.models import StoryPage

from . import brand_style
from .branding import site_brand

SEARCH_RESULTS_PER_PAGE = 10
MAX_QUERY_LENGTH = 200
BRAND_CSS_MAX_AGE = 365 * 24 * 60 * 60


def clean_query(raw):
    """The visitor's words without what the full-text engines read as syntax or refuse.

    SQLite's FTS5 answers an unbalanced double quote with an error and both SQLite and PostgreSQL
    refuse a NUL byte, so quotes and control characters become spaces: a search is a list of words.
    """
    text = "".join(" " if (ch == '"' or unicodedata.category(ch) in ("Cc", "Cs")) else ch for ch in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def with_card_data(matches):
    """The matches of one results page, in their order, with what a result shows (type, date, image)."""
    ids = [story.pk for story in matches]
    by_id = StoryPage.objects.filter(pk__in=ids).for_listing().in_bulk()
    return [by_id[pk] for pk in ids if pk in by_id]


@require_GET
def search(request):
    """Full-text search over the live stories of the current language."""
    query = clean_query(request.GET.get("q") or "")
    results = None
    if query:
        locale = Locale.objects.filter(language_code=get_language()).first()
        stories = StoryPage.objects.live().public()
        if locale:
            stories = stories.filter(locale=locale)
        matches = stories.search(query, operator="and")
        paginator = Paginator(matches, SEARCH_RESULTS_PER_PAGE)
        try:
            results = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            results = paginator.page(1)
        except EmptyPage:
            results = paginator.page(paginator.num_pages)
        results.object_list = with_card_data(results.object_list)
    return render(request, "website/search.html", {"query": query, "results": results})


class MultilingualSitemap(Sitemap):
    """Wagtail's sitemap over every language's tree.

    Wagtail lists only the descendants of the site's root page, but each translation of the home
    page is a sibling of that root, so without this the English pages would be missing.
    """

    def items(self):
        root = self.get_wagtail_site().root_page
        condition = None
        for translated_root in Page.objects.filter(translation_key=root.translation_key):
            subtree = Page.objects.descendant_of_q(translated_root, inclusive=True)
            condition = subtree if condition is None else condition | subtree
        return Page.objects.filter(condition).live().public().order_by("path").defer_streamfields().specific()


def sitemap(request):
    return wagtail_sitemap(request, sitemaps={"wagtail": MultilingualSitemap})


# Personal links: one person's signing, withdrawal and newsletter pages. They are noindex and never
# cached; robots.txt keeps crawlers that follow a leaked link off them too.
PERSONAL_LINK_ROUTES = [
    "consent:sign",
    "consent:withdraw",
    "newsletter:confirm",
    "newsletter:unsubscribe",
    "newsletter:preferences",
]


def personal_link_prefixes():
    """The address of each personal link without its token, in every language."""
    prefixes = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in PERSONAL_LINK_ROUTES:
                prefixes.append(reverse(name, kwargs={"token": "TOKEN"}).removesuffix("TOKEN/"))
    return prefixes


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        *(f"Disallow: {prefix}" for prefix in personal_link_prefixes()),
        f"Sitemap: {settings.BASE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def brand_css(request):
    """The organisation's colours and font as a stylesheet (CSS custom properties over site.css).

    A stylesheet of its own keeps the Content-Security-Policy free of inline styles. Its address
    carries the brand's version (``?v=``, see ``website.branding``): asked for with the current
    version a browser may keep it a year; any other address is the current brand, kept five minutes.
    """
    brand = site_brand()
    css = brand_style.stylesheet(brand["primary_colour"], brand["accent_colour"], brand["font"])
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    current = request.GET.get("v") == brand["version"]
    patch_cache_control(response, public=True, max_age=BRAND_CSS_MAX_AGE if current else 300, immutable=current)
    return response


def authenticate_with_password(request, page_view_restriction_id, page_id):
    """Wagtail's password form for a restricted page, safe for any ``return_url``.

    Wagtail redirects to the posted ``return_url`` with ``django.shortcuts.redirect``, which reads a
    bare word ("0", "home") as the name of a view and answers 500 when there is none. Anything but
    a path on this site is replaced by the protected page's own address before Wagtail sees it.
    """
    if request.method == "POST":
        return_url = request.POST.get("return_url", "")
        is_local_path = return_url.startswith("/") and url_has_allowed_host_and_scheme(
            return_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        if not is_local_path:
            page = Page.objects.filter(pk=page_id).first()
            data = request.POST.copy()
            data["return_url"] = (page.get_url(request) if page else None) or "/"
            request.POST = data
    return wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)


def page_not_found(request, exception=None):
    return HttpResponse(loader.render_to_string("404.html", {}, request), status=404)


def server_error(request):
    # Rendered without a request context: the error may have come from a context processor.
    return HttpResponse(loader.render_to_string("500.html", {}), status=500)
