"""Validators of the newsletter's fields: a value that becomes a mail header stays on one line."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Every character ``str.splitlines`` breaks on; CR and LF are the ones SMTP headers break on.
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def validate_single_line(value):
    """A value that becomes a mail header (the subject) must not contain a line break."""
    if any(char in value for char in LINE_BREAKS):
        raise ValidationError(_("Use a single line, without line breaks."), code="line_break")
