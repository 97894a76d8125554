"""The newsletter's public URLs: subscribing, the personal links of its mails, the archive and the bounce webhook."""

from django.urls import path

from . import views

app_name = "newsletter"
urlpatterns = [
    path("", views.subscribe_page, name="subscribe"),
    path("subscribe/", views.subscribe_quick, name="subscribe_quick"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences_view, name="preferences"),
    path("archive/", views.archive_index, name="archive"),
    path("archive/<int:pk>/", views.archive_detail, name="archive_detail"),
    path("bounces/", views.bounce_webhook, name="bounce_webhook"),
]
