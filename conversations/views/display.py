"""How the inbox shows a value: networks, flags, languages, people and durations in words.

Times are shown in the organisation's zone (``channels.admin_display.local_datetime``): stored in
UTC, read as the organisation reads them, whatever the admin user's own zone.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.adapters import kind_choices
from channels.admin_display import local_datetime

from ..models import Label

__all__ = ["duration_in_words", "label_names", "language_name", "local_datetime", "network_name", "person_name"]


def network_name(kind):
    return dict(kind_choices()).get(kind, kind)


def label_names(labels):
    names = dict(Label.choices)
    return [str(names.get(label, label)) for label in labels or ()]


def language_name(code):
    return str(dict(settings.LANGUAGES).get(code, code or "")) if code else ""


def person_name(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def duration_in_words(seconds):
    """``7500`` → "2 hours 5 minutes"; under a minute: "less than a minute"; days from 48 hours."""
    if seconds is None:
        return ""
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return _("less than a minute")
    days, minutes = divmod(minutes, 24 * 60) if minutes >= 48 * 60 else (0, minutes)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes and not days:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    return " ".join(parts)
