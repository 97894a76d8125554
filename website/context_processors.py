from django.conf import settings


def site_context(request):
    """Values every public template may need."""
    return {"BASE_URL": settings.BASE_URL, "SITE_NAME": settings.WAGTAIL_SITE_NAME}
