"""Admin integration of the inbox: the "Inbox" menu, its viewsets, the response-time report, the
dashboard panel and the inbox's actions in Wagtail's action registry.

The menu's "Conversations" item is shown only to users who may read at least one account
(``conversations.access.visible_accounts``); the other items follow the model permissions of the
groups in ``conversations.groups``. *Settings → Inbox* (the crisis lines) is Wagtail's own settings
menu item for ``InboxSettings``.
"""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.models import register_snippet

from . import actions, wagtail_hooks_privacy, wagtail_hooks_replies  # noqa: F401  (their hooks)
from .access import visible_accounts
from .dashboard import inbox_panel
from .models import AccountInbox, SavedReply, SavedSearch
from .report import ResponseTimeReport
from .viewsets import (
    AccountInboxPermissionPolicy,
    SavedReplyViewSet,
    account_inbox_viewset,
    conversation_viewset,
    saved_search_viewset,
)

hooks.register("register_actions", actions.register_actions)
register_snippet(SavedReplyViewSet)


@hooks.register("register_admin_viewset")
def register_inbox_viewsets():
    return [conversation_viewset, saved_search_viewset, account_inbox_viewset]


@hooks.register("register_admin_urls")
def inbox_admin_urls():
    return [
        path("inbox/report/", ResponseTimeReport.as_view(), name="conversations_report"),
        path(
            "inbox/report/results/", ResponseTimeReport.as_view(results_only=True), name="conversations_report_results"
        ),
    ]


@hooks.register("insert_global_admin_css")
def inbox_css():
    return format_html('<link rel="stylesheet" href="{}">', static("conversations/inbox.css"))


# -- menu ---------------------------------------------------------------------------------------


class ReadersMenuItem(MenuItem):
    """Shown to users who may read at least one account's conversations."""

    def is_shown(self, request):
        return visible_accounts(request.user).exists()


class ApproversMenuItem(ReadersMenuItem):
    """Shown to users who may approve replies and read at least one account."""

    def is_shown(self, request):
        return request.user.has_perm("conversations.approve_reply") and super().is_shown(request)


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, policy, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.actions = actions

    def is_shown(self, request):
        return self.policy.user_has_any_permission(request.user, self.actions)


def inbox_menu_items():
    # Built once, when the menu is first drawn: lazy labels follow each reader's language.
    return [
        ReadersMenuItem(_("Conversations"), reverse("conversations:index"), icon_name="comment", order=100),
        ApproversMenuItem(
            _("Replies to approve"), reverse("conversations_replies:approvals"), icon_name="tick", order=150
        ),
        ReadersMenuItem(_("Response times"), reverse("conversations_report"), icon_name="time", order=200),
        PermissionMenuItem(
            _("Saved replies"),
            reverse("wagtailsnippets_conversations_savedreply:list"),
            icon_name="openquote",
            order=300,
            policy=ModelPermissionPolicy(SavedReply),
            actions=["add", "change", "delete", "view"],
        ),
        PermissionMenuItem(
            _("Saved searches"),
            reverse("conversations_saved_searches:index"),
            icon_name="search",
            order=400,
            policy=ModelPermissionPolicy(SavedSearch),
            actions=["add", "change", "delete", "view"],
        ),
        PermissionMenuItem(
            _("Who reads which account"),
            reverse("conversations_account_inboxes:index"),
            icon_name="group",
            order=500,
            policy=AccountInboxPermissionPolicy(AccountInbox),
            actions=["view", "change"],
        ),
    ]


@hooks.register("register_admin_menu_item")
def inbox_menu():
    menu = Menu(register_hook_name="register_inbox_menu_item", items=inbox_menu_items())
    return SubmenuMenuItem(_("Inbox"), menu, icon_name="comment", name="inbox", order=250)


@hooks.register("register_reports_menu_item")
def response_time_menu_item():
    return ReadersMenuItem(_("Response times"), reverse("conversations_report"), icon_name="time", order=1300)


# -- dashboard ----------------------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def inbox_dashboard_panel(request, panels):
    panel = inbox_panel(request.user)
    if panel is not None:
        panels.append(panel)
