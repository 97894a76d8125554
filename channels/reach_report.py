"""The admin's "Reach by channel" report: reads per story and channel over 7, 30 or 90 days.

Readable by whoever may add, edit or publish pages (Wagtail's page permission policy); the counts
come from ``channels.reach`` (the beacon that counts them is ``channels.reach_views``).
"""

import django_filters
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page
from wagtail.permissions import policy_registry

from . import reach
from .models import ReachCount


class PeriodFilter(django_filters.ChoiceFilter):
    def filter(self, qs, value):
        # The period is applied when the rows are aggregated (see ReachReportView).
        return qs


def _period_choices():
    return [(str(days), _("Last %(days)s days") % {"days": days}) for days in reach.PERIODS]


class ReachFilterSet(WagtailFilterSet):
    period = PeriodFilter(label=_("Period"), choices=_period_choices, empty_label=None)

    class Meta:
        model = ReachCount
        fields = []


class ReachReportView(ReportView):
    """Reads per story and channel over the last 7, 30 or 90 days, with totals per channel."""

    page_title = _("Reach by channel")
    header_icon = "view"
    results_template_name = "channels/plan/reach_report_results.html"
    index_url_name = "channels_reach_report"
    index_results_url_name = "channels_reach_report_results"
    filterset_class = ReachFilterSet
    # Readable by whoever may add, edit or publish pages: the editors.
    any_permission_required = ["add", "change", "publish"]
    paginate_by = 100
    list_export = ["page__title", "source", "reads"]
    export_headings = {"page__title": _("Story"), "source": _("Channel"), "reads": _("Reads")}

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(Page)

    @cached_property
    def days(self):
        try:
            days = int(self.request.GET.get("period") or 30)
        except ValueError:
            days = 30
        return days if days in reach.PERIODS else 30

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "page__title",
                label=_("Story"),
                url_name="wagtailadmin_pages:edit",
                id_accessor="page_id",
            ),
            Column("source_label", label=_("Channel")),
            Column("reads", label=_("Reads")),
        ]

    def get_queryset(self):
        return reach.reach_rows(self.days)

    def filter_queryset(self, queryset):
        # The only filter is the period, already applied by get_queryset.
        return queryset

    def decorate_paginated_queryset(self, object_list):
        rows = list(object_list)
        for row in rows:
            row["source_label"] = reach.source_label(row["source"])
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["days"] = self.days
        context["totals"] = [
            (reach.source_label(source), reads) for source, reads in reach.totals_per_source(self.days)
        ]
        return context
