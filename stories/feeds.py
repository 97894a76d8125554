"""Feeds of the live stories of one language: RSS 2.0, Atom and JSON Feed 1.1."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from wagtail.models import Locale

from .models import StoryPage

FEED_LENGTH = 30


def feed_stories():
    """The newest live, public stories of the active language, in a fixed number of queries."""
    locale = Locale.objects.filter(language_code=translation.get_language()).first()
    stories = StoryPage.objects.live().public()
    if locale is None:
        return stories.none()
    return list(stories.filter(locale=locale).for_listing().newest_first()[:FEED_LENGTH])


class StoriesFeed(Feed):
    feed_type = Rss201rev2Feed
    url_name = "stories:feed_rss"

    def title(self):
        return _("Stories from %(site)s") % {"site": settings.WAGTAIL_SITE_NAME}

    def description(self):
        return _("Stories of patients and of the people who care for them.")

    def link(self):
        return f"{settings.BASE_URL}/{translation.get_language()}/"

    def feed_url(self):
        # On BASE_URL: without it Django's Feed takes the request's host (``get_current_site``).
        return f"{settings.BASE_URL}{reverse(self.url_name)}"

    def items(self):
        return feed_stories()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.full_url or f"{settings.BASE_URL}{item.url}"

    def item_guid(self, item):
        return f"{settings.BASE_URL}/stories/{item.translation_key}/{item.locale.language_code}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [theme.name for theme in item.themes.all()]


class StoriesAtomFeed(StoriesFeed):
    feed_type = Atom1Feed
    url_name = "stories:feed_atom"
    subtitle = StoriesFeed.description


@require_GET
def json_feed(request):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    language = translation.get_language()
    items = [
        {
            "id": f"{settings.BASE_URL}/stories/{story.translation_key}/{language}",
            "url": story.full_url or f"{settings.BASE_URL}{story.url}",
            "title": story.title,
            "summary": story.summary,
            "content_text": story.summary,
            "date_published": story.first_published_at.isoformat() if story.first_published_at else None,
            "date_modified": story.last_published_at.isoformat() if story.last_published_at else None,
            "tags": [theme.name for theme in story.themes.all()],
            "language": language,
        }
        for story in feed_stories()
    ]
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _("Stories from %(site)s") % {"site": settings.WAGTAIL_SITE_NAME},
        "home_page_url": f"{settings.BASE_URL}/{language}/",
        "feed_url": f"{settings.BASE_URL}{request.path}",
        "language": language,
        "items": items,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/feed+json; charset=utf-8"
    return response
