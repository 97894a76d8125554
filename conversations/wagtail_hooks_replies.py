"""Admin URLs of replying and moderating (``conversations.views.replies``).

Imported by ``conversations.wagtail_hooks`` (one line, ``from . import wagtail_hooks_replies``),
which Wagtail loads; nothing else imports it.
"""

from django.urls import include, path
from wagtail import hooks

from .views import replies as views


@hooks.register("register_admin_urls")
def conversation_reply_urls():
    urls = [
        path("new/<int:conversation_id>/", views.ReplyView.as_view(), name="new"),
        path("approvals/", views.ApprovalListView.as_view(), name="approvals"),
        path("<int:pk>/", views.ReplyDetailView.as_view(), name="detail"),
        path("<int:pk>/approve/", views.ApproveReplyView.as_view(), name="approve"),
        path("<int:pk>/reject/", views.RejectReplyView.as_view(), name="reject"),
        path("<int:pk>/cancel/", views.CancelReplyView.as_view(), name="cancel"),
        path("<int:pk>/retry/", views.RetryReplyView.as_view(), name="retry"),
        path("message/<int:message_id>/moderate/", views.ModerationListView.as_view(), name="moderate_list"),
        path("message/<int:message_id>/moderate/<slug:action>/", views.ModerateView.as_view(), name="moderate"),
    ]
    return [
        path("conversations/replies/", include((urls, "conversations_replies"), namespace="conversations_replies"))
    ]
