"""Admin integration of the channels app: accounts, the dispatch log, the calendar, the failed
report, "Remove everywhere", and token-expiry warnings for editors. The channels' actions (every
state-changing button, ``channels.actions``) join Wagtail's action registry here.

The story plan panel and the reach report add their hooks in ``wagtail_hooks_plan`` (imported at
the end of this module).
"""

from django.contrib import messages
from django.urls import include, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy

from . import actions, admin_views
from .admin_display import local_datetime
from .calendar_views import CalendarView
from .failed_report import FailedDispatchReport
from .mixins import SyndicatedPageMixin
from .models import ChannelAccount, Dispatch
from .viewsets import channel_account_viewset, dispatch_viewset

ACCOUNT_POLICY = ModelPermissionPolicy(ChannelAccount)
DISPATCH_POLICY = ModelPermissionPolicy(Dispatch)


hooks.register("register_actions", actions.register_actions)


@hooks.register("register_admin_viewset")
def register_channel_viewsets():
    return [channel_account_viewset, dispatch_viewset]


@hooks.register("register_admin_urls")
def channels_admin_urls():
    urls = [
        path("calendar/", CalendarView.as_view(), name="calendar"),
        path("failed/", FailedDispatchReport.as_view(), name="failed"),
        path("failed/results/", FailedDispatchReport.as_view(results_only=True), name="failed_results"),
        path("dispatch/<int:pk>/retry/", admin_views.RetryView.as_view(), name="retry"),
        path("dispatch/<int:pk>/mark-removed/", admin_views.MarkRemovedView.as_view(), name="mark_removed"),
        path("dispatch/<int:pk>/mark-sent/", admin_views.MarkSentView.as_view(), name="mark_sent"),
        path(
            "remove-everywhere/<int:page_id>/",
            admin_views.RemoveEverywhereView.as_view(),
            name="remove_everywhere",
        ),
    ]
    return [path("channels/", include((urls, "channels_admin"), namespace="channels_admin"))]


# -- menu -------------------------------------------------------------------------------------


class PermissionMenuItem(MenuItem):
    """Shown to users who may do any of ``actions`` by the permission ``policy``."""

    def __init__(self, *args, policy, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.actions = actions

    def is_shown(self, request):
        return self.policy.user_has_any_permission(request.user, self.actions)


def channels_menu_items():
    # Built once, when the menu is first drawn, and kept: lazy labels follow each reader's language.
    accounts = {"policy": ACCOUNT_POLICY, "actions": ["add", "change", "delete", "view"]}
    view = {"policy": DISPATCH_POLICY, "actions": ["view"]}
    return [
        PermissionMenuItem(
            gettext_lazy("Accounts"), reverse("channel_accounts:index"), icon_name="site", order=100, **accounts
        ),
        PermissionMenuItem(
            gettext_lazy("Dispatch log"), reverse("channel_dispatches:index"), icon_name="list-ul", order=200, **view
        ),
        PermissionMenuItem(
            gettext_lazy("Calendar"), reverse("channels_admin:calendar"), icon_name="date", order=300, **view
        ),
        PermissionMenuItem(
            gettext_lazy("Failed posts"), reverse("channels_admin:failed"), icon_name="warning", order=400, **view
        ),
        wagtail_hooks_plan.ReachMenuItem(
            gettext_lazy("Reach by channel"), reverse("channels_reach_report"), icon_name="view", order=500
        ),
    ]


@hooks.register("register_admin_menu_item")
def channels_menu():
    # Other parts of the app (the reach report) add items with the "register_channels_menu_item" hook.
    menu = Menu(register_hook_name="register_channels_menu_item", items=channels_menu_items())
    return SubmenuMenuItem(gettext_lazy("Channels"), menu, icon_name="site", name="channels", order=350)


@hooks.register("register_reports_menu_item")
def failed_report_menu_item():
    return PermissionMenuItem(
        gettext_lazy("Failed posts"),
        reverse("channels_admin:failed"),
        icon_name="warning",
        name="failed-posts",
        order=1200,
        policy=DISPATCH_POLICY,
        actions=["view"],
    )


# -- token expiry warnings --------------------------------------------------------------------


class AccountWarningPanel(Component):
    """On the dashboard: accounts whose token expires soon, has expired or was refused."""

    name = "channel_account_warnings"
    template_name = "channels/admin/home_panel.html"
    order = 120

    def __init__(self, accounts, can_manage):
        self.accounts = accounts
        self.can_manage = can_manage

    def get_context_data(self, parent_context):
        from .accounts import warning_days

        return {
            "accounts": self.accounts,
            "can_manage": self.can_manage,
            "warning_days": warning_days(),
            "accounts_url": reverse("channel_accounts:index"),
        }


@hooks.register("construct_homepage_panels")
def account_warning_panel(request, panels):
    from .accounts import accounts_needing_attention

    accounts = list(accounts_needing_attention())
    if accounts:
        can_manage = ACCOUNT_POLICY.user_has_permission(request.user, "change")
        panels.append(AccountWarningPanel(accounts, can_manage))


def account_warning_message(accounts):
    items = format_html_join(
        "",
        "<li>{}: {}{}</li>",
        (
            (
                account.name,
                account.get_status_display(),
                (" (" + _("until %(date)s") % {"date": local_datetime(account.token_expires_at)} + ")")
                if account.token_expires_at and account.status == account.Status.EXPIRING
                else "",
            )
            for account in accounts
        ),
    )
    return format_html(
        "{} <ul>{}</ul>",
        _("These channel accounts need reconnecting; posts to them will fail:"),
        items,
    )


@hooks.register("before_edit_page")
def warn_about_accounts_on_story(request, page):
    """On a story's edit view: which accounts expire soon or have expired (posts to them fail)."""
    if request.method != "GET" or not isinstance(page, SyndicatedPageMixin):
        return None
    from .accounts import accounts_needing_attention

    accounts = list(accounts_needing_attention())
    if accounts:
        messages.warning(request, account_warning_message(accounts))
    return None


# -- remove everywhere ------------------------------------------------------------------------


@hooks.register("register_page_header_buttons")
def remove_everywhere_button(page, user, view_name, next_url=None):
    if not issubclass(page.specific_class or type(page), SyndicatedPageMixin):
        return
    if admin_views.get_action(page, "remove_everywhere", user).is_offered():
        yield Button(
            _("Remove everywhere"),
            reverse("channels_admin:remove_everywhere", args=[page.pk]),
            icon_name="bin",
            priority=60,
        )


# The plan panel's and reach report's hooks.
from . import wagtail_hooks_plan  # noqa: F401,E402
