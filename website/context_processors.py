from django.conf import settings
from django.utils import translation

from .navigation import site_navigation


def site_context(request):
    """Values every public template needs, from the cached navigation (no queries once warm)."""
    navigation = site_navigation()
    return {
        "BASE_URL": settings.BASE_URL,
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "organisation": navigation["organisation"],
        "story_index_url": navigation["indexes"].get(translation.get_language(), ""),
    }
