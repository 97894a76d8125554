"""The reach beacon (public, uncached) and the "Reach by channel" report (admin)."""

import django_filters
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page
from wagtail.permissions import policy_registry

from . import reach
from .mixins import SyndicatedPageMixin
from .models import ReachCount

MAX_ID_LENGTH = 12


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@never_cache
@require_POST
def reach_beacon(request):
    """Count one read of a story that arrived with ``utm_source`` (sent by ``navigator.sendBeacon``).

    Takes ``page`` (a live story's id) and ``source`` (a known channel kind) from the form body.
    Anything else is ignored with the same empty answer, so the beacon cannot be used to probe
    which pages exist; malformed input gets 400. No cookie, no session, nothing about the reader.
    """
    page_id = (request.POST.get("page") or "").strip()
    source = (request.POST.get("source") or "").strip().lower()
    if not page_id.isdigit() or len(page_id) > MAX_ID_LENGTH or not source or len(source) > 50:
        return _no_store(HttpResponse(status=400))
    if (
        source in reach.known_sources()
        and Page.objects.type(SyndicatedPageMixin).live().public().filter(pk=int(page_id)).exists()
    ):
        reach.record_read(int(page_id), source)
    return _no_store(HttpResponse(status=204))


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
