from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from website import views

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("channels.urls")),
    path("hooks/conversations/", include("conversations.urls")),
]

if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # Bounce and complaint events of an email service (newsletter.signal_handlers marks the address).
    urlpatterns.append(path("anymail/", include("anymail.urls")))

urlpatterns += i18n_patterns(
    path("search/", views.search, name="search"),
    path("consent/", include("consent.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("", include("stories.urls")),
    # Ahead of Wagtail's own route of the same name: see views.authenticate_with_password.
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        views.authenticate_with_password,
        name="wagtailcore_authenticate_with_password",
    ),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns

handler404 = "website.views.page_not_found"
handler500 = "website.views.server_error"
