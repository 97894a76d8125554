"""Admin forms of the newsletter: the issue form with its consent gate, and the CSV import."""

import csv
import datetime
import io

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm


class IssueAdminForm(WagtailAdminModelForm):
    """Refuses a story the issue may not carry, naming the story and the reason."""

    def clean(self):
        from .rendering import consent_problem

        cleaned = super().clean()
        if self.instance.pk and not self.instance.is_editable:
            raise ValidationError(_("This issue is being sent or has been sent; it can no longer be changed."))
        language = cleaned.get("language")
        formset = self.formsets.get("items")
        if formset is None:
            return cleaned
        formset.is_valid()
        deleted = set(formset.deleted_forms) if formset.can_delete else set()
        for form in formset.forms:
            if form in deleted or not hasattr(form, "cleaned_data"):
                continue
            story = form.cleaned_data.get("story")
            if story is None:
                continue
            problem = consent_problem(story, language)
            if problem:
                message = _("“%(title)s” cannot be included: %(reason)s.") % {"title": story.title, "reason": problem}
                form.add_error("story", message)
                self.add_error(None, message)
        return cleaned


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_send_at(self):
        value = self.cleaned_data["send_at"]
        if value <= timezone.now():
            raise ValidationError(_("Choose a moment in the future, or send now."))
        return value


class RecentStoriesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=[("nl", "Nederlands"), ("en", "English")])


PROOF_COLUMNS = ("opt_in_source", "opted_in_at")
# RFC 5321 allows 254 characters in a forward path; the subscriber column holds no more.
MAX_EMAIL_LENGTH = 254


class ImportForm(forms.Form):
    """CSV with an ``email`` column; optional ``language``, ``opt_in_source`` and ``opted_in_at``.

    Only addresses with documented opt-in may be imported: every row carries its proof in the
    ``opt_in_source``/``opted_in_at`` columns, or the editor declares it for the whole file below.
    """

    file = forms.FileField(label=gettext_lazy("CSV file"))
    declared_source = forms.CharField(
        label=gettext_lazy("Where and how these people opted in"),
        required=False,
        max_length=300,
        help_text=gettext_lazy(
            "Needed when the file has no opt_in_source column, e.g. 'Paper sign-up list, open day 12 May 2025'."
        ),
    )
    declared_date = forms.DateField(
        label=gettext_lazy("Date of the opt-in"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Needed when the file has no opted_in_at column."),
    )
    declaration = forms.BooleanField(
        label=gettext_lazy(
            "I declare that every address in this file asked to receive the newsletter, and that we keep the proof."
        ),
        required=True,
    )

    MAX_BYTES = 10 * 1024 * 1024

    def clean(self):
        """Only what is quick: size, encoding and the header. The rows are checked by the import task."""
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB; split it into smaller files."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text; save it as CSV (UTF-8).")) from None
        problem = check_header(text)
        if problem:
            raise ValidationError(problem)
        cleaned["text"] = text
        return cleaned


def _reader(text):
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def _headers(reader):
    """The lower-cased column names, or a sentence saying why line 1 cannot be read."""
    try:
        return [name.strip().lower() for name in (reader.fieldnames or [])], None
    except csv.Error as error:
        return None, _("Line 1: this line cannot be read as CSV (%(error)s).") % {"error": error}


def check_header(text):
    """What is wrong with the file's header (or its lack of rows), or None; reads no more than two lines."""
    reader = _reader(text)
    headers, problem = _headers(reader)
    if problem:
        return problem
    if "email" not in headers:
        return _("Line 1: the file needs a column named “email”.")
    try:
        next(reader)
    except StopIteration:
        return _("The file contains no addresses.")
    except csv.Error:
        pass  # a bad second line is reported with its line number by the import
    return None


def _parse_moment(value):
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        moment = datetime.datetime.combine(day, datetime.time(12, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_import(text, declared_source, declared_date):
    """Return (rows, errors); errors are sentences starting with the file's line number."""
    rows, errors = parse_import_lines(text, declared_source, declared_date)
    return rows, [message for _line, message in errors]


def parse_import_lines(text, declared_source, declared_date):
    """Return (rows, errors); each error is (line number, sentence starting with that number)."""
    reader = _reader(text)
    headers, problem = _headers(reader)
    if problem:
        return [], [(1, problem)]
    reader.fieldnames = headers
    if "email" not in headers:
        return [], [(1, _("Line 1: the file needs a column named “email”."))]
    rows, errors, seen = [], [], {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # A field longer than the csv module's limit, a stray quote, a NUL byte: the reader
            # cannot say where the next line starts, so reading stops here (nothing is imported anyway).
            errors.append(
                (
                    line + 1,
                    _("Line %(line)s: this line cannot be read as CSV (%(error)s); the rest of the file was not read.")
                    % {"line": line + 1, "error": error},
                )
            )
            break
        line = reader.line_num
        email = (row.get("email") or "").strip().lower()
        if not email:
            errors.append((line, _("Line %(line)s: the email address is empty.") % {"line": line}))
            continue
        if len(email) > MAX_EMAIL_LENGTH:
            errors.append(
                (
                    line,
                    _("Line %(line)s: the email address is longer than %(max)s characters.")
                    % {"line": line, "max": MAX_EMAIL_LENGTH},
                )
            )
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                (line, _("Line %(line)s: “%(value)s” is not a valid email address.") % {"line": line, "value": email})
            )
            continue
        if email in seen:
            errors.append(
                (
                    line,
                    _("Line %(line)s: %(value)s already appears on line %(first)s.")
                    % {"line": line, "value": email, "first": seen[email]},
                )
            )
            continue
        seen[email] = line
        language = (row.get("language") or "nl").strip().lower() or "nl"
        if language not in ("nl", "en"):
            errors.append(
                (
                    line,
                    _("Line %(line)s: language must be nl or en, not “%(value)s”.")
                    % {"line": line, "value": language},
                )
            )
            continue
        source = (row.get("opt_in_source") or "").strip() or declared_source.strip()
        raw_date = (row.get("opted_in_at") or "").strip()
        if raw_date:
            moment = _parse_moment(raw_date)
            if moment is None:
                errors.append(
                    (
                        line,
                        _("Line %(line)s: “%(value)s” is not a date (use YYYY-MM-DD).")
                        % {"line": line, "value": raw_date},
                    )
                )
                continue
        elif declared_date:
            moment = timezone.make_aware(datetime.datetime.combine(declared_date, datetime.time(12, 0)))
        else:
            moment = None
        if not source or moment is None:
            errors.append(
                (
                    line,
                    _(
                        "Line %(line)s: no documented opt-in (give opt_in_source and opted_in_at, or declare them below)."  # noqa: E501
                    )
                    % {"line": line},
                )
            )
            continue
        if moment > timezone.now():
            errors.append((line, _("Line %(line)s: the opt-in date lies in the future.") % {"line": line}))
            continue
        rows.append({"line": line, "email": email, "language": language, "source": source[:300], "at": moment})
    return rows, errors
