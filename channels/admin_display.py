"""How the channels admin shows a value: times in the organisation's zone, a post's address as a link.

Shared by the viewsets, the reports, the calendar and the editors' warnings; it imports no view.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from wagtail.admin.ui.tables import Column


def org_zone():
    return ZoneInfo(settings.TIME_ZONE)


def local_datetime(value):
    """A datetime as the organisation reads it (its TIME_ZONE), whatever the admin user's zone."""
    if not value:
        return ""
    return date_format(timezone.localtime(value, org_zone()), "SHORT_DATETIME_FORMAT")


class LinkColumn(Column):
    """A cell with an external link (a post's address on the network)."""

    def __init__(self, name, text=None, **kwargs):
        super().__init__(name, **kwargs)
        self.text = text

    def get_value(self, instance):
        url = super().get_value(instance)
        if not url:
            return ""
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, self.text or url)
