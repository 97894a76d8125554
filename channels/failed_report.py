"""The failed-dispatch report (under Reports): failed, missed and blocked posts and stuck removals.

A Wagtail ``ReportView`` with a channel filter and a CSV/XLSX export (no secrets in it); each row
offers the buttons of ``channels.admin_views.dispatch_buttons`` (Retry, Mark as sent, Mark as removed).
"""

import datetime

import django_filters
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.reports import ReportView

from .admin_display import local_datetime
from .admin_views import dispatch_buttons
from .models import ChannelAccount, Dispatch


def failed_queryset():
    """Dispatches that need a person: failed, missed or blocked posts, and stuck removals."""
    return Dispatch.objects.filter(
        Q(state__in=[Dispatch.State.FAILED, Dispatch.State.MISSED, Dispatch.State.BLOCKED])
        | Q(retraction__in=[Dispatch.Retraction.MANUAL, Dispatch.Retraction.FAILED])
    ).select_related("account")


class FailedFilterSet(WagtailFilterSet):
    account = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Channel"), queryset=ChannelAccount.objects.all(), empty_label=gettext_lazy("All")
    )

    class Meta:
        model = Dispatch
        fields = ["account"]


class FailedDispatchReport(ReportView):
    """Failed, missed and blocked posts and removals that need a person, newest first."""

    page_title = gettext_lazy("Failed posts and removals")
    header_icon = "warning"
    results_template_name = "channels/admin/failed_report_results.html"
    index_url_name = "channels_admin:failed"
    index_results_url_name = "channels_admin:failed_results"
    filterset_class = FailedFilterSet
    model = Dispatch
    any_permission_required = ["view", "change"]
    list_export = [
        "page_title",
        "account",
        "get_state_display",
        "scheduled_for",
        "attempts",
        "last_error",
        "get_retraction_display",
        "retract_error",
        "remote_url",
    ]
    export_headings = {
        "page_title": gettext_lazy("Story"),
        "account": gettext_lazy("Channel"),
        "get_state_display": gettext_lazy("State"),
        "scheduled_for": gettext_lazy("Post at"),
        "get_retraction_display": gettext_lazy("Removal"),
    }

    def get_queryset(self):
        return failed_queryset().order_by("-updated_at", "-pk")

    def get_filename(self):
        return f"failed-posts-{datetime.date.today():%Y-%m-%d}"

    def decorate_paginated_queryset(self, object_list):
        user = self.request.user
        rows = []
        for dispatch in object_list:
            dispatch.local_scheduled = local_datetime(dispatch.scheduled_for)
            dispatch.actions = dispatch_buttons(dispatch, user)
            rows.append(dispatch)
        return rows

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        # Back to the full report (not its results fragment), with the same filters.
        query = self.request.GET.urlencode()
        context["next_url"] = reverse(self.index_url_name) + (f"?{query}" if query else "")
        return context
