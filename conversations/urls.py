"""Public, uncached webhook endpoints of the inbox (outside the language prefix, under ``hooks/conversations/``)."""

from django.urls import path

from . import webhooks

app_name = "conversations_hooks"
urlpatterns = [
    path("meta/", webhooks.meta_webhook, name="meta_webhook"),
    path("linkedin/", webhooks.linkedin_webhook, name="linkedin_webhook"),
]
