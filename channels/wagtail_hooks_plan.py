"""Admin hooks of the syndication plan and reach (imported by ``channels.wagtail_hooks``)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models import Page
from wagtail.permissions import policy_registry

from .reach_report import ReachReportView


@hooks.register("register_admin_urls")
def reach_report_urls():
    return [
        path("reports/reach/", ReachReportView.as_view(), name="channels_reach_report"),
        path(
            "reports/reach/results/",
            ReachReportView.as_view(results_only=True),
            name="channels_reach_report_results",
        ),
    ]


class ReachMenuItem(MenuItem):
    """Shown to whoever may add, edit or publish pages, as the report itself checks."""

    def is_shown(self, request):
        return policy_registry.get_by_type(Page).user_has_any_permission(request.user, ["add", "change", "publish"])


@hooks.register("register_reports_menu_item")
def reach_report_menu_item():
    return ReachMenuItem(
        _("Reach by channel"), reverse("channels_reach_report"), name="reach-by-channel", icon_name="view", order=950
    )
