"""The response-time report (under Reports): how long people wait for our first reply, per account and week.

A Wagtail ``ReportView`` with filters (account, when the first message came) and a CSV/XLSX export
(Wagtail's ``SpreadsheetExportMixin``). One row per account and ISO week of the conversation's first
message (in the organisation's zone): how many were answered, the median and the 90th percentile of
``first_reply_at - first_message_at``, and, counted separately, how many are not answered yet.
Only the accounts the reader may read (``conversations.access``); no message text, no author.

The median is the middle value (the mean of the two middle values for an even count). The 90th
percentile interpolates linearly between the two nearest ranks (``statistics.quantiles`` with
``method="inclusive"``, the spreadsheet's PERCENTILE.INC): for 1, 2, …, 10 hours it is 9.1 hours.
"""

import datetime
import statistics
from zoneinfo import ZoneInfo

import django_filters
from django.conf import settings
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from .access import visible_accounts
from .models import Conversation
from .views.display import duration_in_words


def median(values):
    return statistics.median(values) if values else None


def percentile_90(values):
    """The 90th percentile, interpolated between the nearest ranks (PERCENTILE.INC)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(sorted(values), n=10, method="inclusive")[8]


def iso_week(moment):
    year, week, _weekday = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).isocalendar()
    return f"{year}-W{week:02d}"


def response_rows(conversations):
    """Per account and ISO week: answered, median and p90 seconds, unanswered (newest week first)."""
    groups = {}
    rows = conversations.filter(first_message_at__isnull=False).values_list(
        "account_id", "account__name", "first_message_at", "first_reply_at"
    )
    for account_id, account_name, first_message_at, first_reply_at in rows:
        key = (account_name, account_id, iso_week(first_message_at))
        group = groups.setdefault(key, {"times": [], "unanswered": 0})
        if first_reply_at is None:
            group["unanswered"] += 1
        else:
            group["times"].append(max((first_reply_at - first_message_at).total_seconds(), 0))
    result = []
    for (account_name, account_id, week), group in groups.items():
        times = group["times"]
        middle, high = median(times), percentile_90(times)
        result.append(
            {
                "account": account_name,
                "account_id": account_id,
                "week": week,
                "answered": len(times),
                "median_seconds": middle,
                "p90_seconds": high,
                "median": duration_in_words(middle),
                "p90": duration_in_words(high),
                "median_minutes": round(middle / 60) if middle is not None else "",
                "p90_minutes": round(high / 60) if high is not None else "",
                "unanswered": group["unanswered"],
            }
        )
    result.sort(key=lambda row: row["account"])
    result.sort(key=lambda row: row["week"], reverse=True)
    return result


class ResponseTimeFilterSet(WagtailFilterSet):
    account = django_filters.ModelChoiceFilter(
        label=_("Account"),
        queryset=lambda request: visible_accounts(request.user).order_by("name") if request else None,
        empty_label=_("All"),
    )
    first_message_at = django_filters.DateFromToRangeFilter(label=_("First message"), widget=DateRangePickerWidget)

    class Meta:
        model = Conversation
        fields = ["account", "first_message_at"]


class ResponseTimeReport(ReportView):
    """Median and 90th-percentile time to our first reply, per account and week."""

    page_title = _("Response times")
    header_icon = "time"
    results_template_name = "conversations/admin/report_results.html"
    index_url_name = "conversations_report"
    index_results_url_name = "conversations_report_results"
    filterset_class = ResponseTimeFilterSet
    permission_policy = ModelPermissionPolicy(Conversation)
    permission_required = "view"
    paginate_by = 100
    list_export = ["account", "week", "answered", "median_minutes", "p90_minutes", "unanswered"]
    export_headings = {
        "account": _("Account"),
        "week": _("Week"),
        "answered": _("Answered"),
        "median_minutes": _("Median (minutes)"),
        "p90_minutes": _("90th percentile (minutes)"),
        "unanswered": _("Not answered yet"),
    }

    @cached_property
    def conversations(self):
        return Conversation.objects.visible_to(self.request.user)

    def get_queryset(self):
        return self.conversations

    def get_filtered_queryset(self):
        return response_rows(self.filter_queryset(self.get_queryset()))

    def get_filename(self):
        return f"response-times-{datetime.date.today():%Y-%m-%d}"
