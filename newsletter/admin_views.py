"""Admin views beyond the viewsets: CSV import (run as a task) and its progress, and an issue's
preview, test mail, sending and progress.

Every view checks a newsletter permission through Wagtail's model permission policy, before it
looks anything up; the "Newsletter editors" group has them. A button that changes something is a
POST (CSRF-checked) that runs one action of ``newsletter.actions`` and says how it went.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.permission_policies.base import ModelPermissionPolicy

from .actions import (
    ActionRefused,
    ResolveUnknownAction,
    ResumeImportAction,
    RetryFailedAction,
    ScheduleAction,
    SendNowAction,
    SendTestAction,
    StartFromRecentAction,
    StartImportAction,
    UnscheduleAction,
)
from .admin_forms import ImportForm, RecentStoriesForm, ScheduleForm
from .imports import is_stalled
from .models import NewsletterIssue, Subscriber, SubscriberImport
from .rendering import consent_problem, included_stories, render_issue

issue_permissions = ModelPermissionPolicy(NewsletterIssue)
# Imports have no permissions of their own: they are the subscriber permissions (``add``).
subscriber_permissions = ModelPermissionPolicy(Subscriber)


def _require(request, policy, action):
    if not policy.user_has_permission(request.user, action):
        raise PermissionDenied


class NewsletterAdminView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """A newsletter screen in Wagtail's own layout (slim header, breadcrumbs, header buttons).

    The permission is checked in ``dispatch``, before anything is looked up.
    """

    permission_policy = issue_permissions
    permission_required = "change"
    header_icon = "mail"

    def issues_breadcrumbs(self, issue=None):
        items = [*self.breadcrumbs_items, {"url": reverse("newsletter_issues:index"), "label": _("Issues")}]
        if issue is not None:
            items.append({"url": reverse("newsletter_issues:edit", args=[issue.pk]), "label": issue.title})
        return items

    def subscribers_breadcrumbs(self):
        return [*self.breadcrumbs_items, {"url": reverse("newsletter_subscribers:index"), "label": _("Subscribers")}]


class ImportView(NewsletterAdminView, FormView):
    """Upload a CSV of addresses with documented opt-in; the import itself runs as a background task.

    Only the quick checks happen here (size, encoding, header); the rows are checked by the task
    and, as before, any bad row means nothing is imported (see ``newsletter.imports``).
    """

    permission_policy = subscriber_permissions
    permission_required = "add"
    template_name = "newsletter/admin/import.html"
    form_class = ImportForm
    page_title = gettext_lazy("Import subscribers")
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [*self.subscribers_breadcrumbs(), {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(recent_imports=SubscriberImport.objects.order_by("-created_at")[:5], **kwargs)

    def form_valid(self, form):
        job = StartImportAction(form.cleaned_data, user=self.request.user).execute()
        return redirect("newsletter_import_progress", job.pk)


def _import(request, pk):
    _require(request, subscriber_permissions, "add")
    return get_object_or_404(SubscriberImport, pk=pk)


class ImportProgressView(NewsletterAdminView):
    """The import's progress while it runs, and its summary (or its bad lines) when it ends."""

    permission_policy = subscriber_permissions
    permission_required = "add"
    template_name = "newsletter/admin/import_progress.html"
    page_title = gettext_lazy("Import subscribers")
    header_icon = "upload"

    @cached_property
    def job(self):
        return get_object_or_404(SubscriberImport, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.job.filename

    def get_breadcrumbs_items(self):
        return [
            *self.subscribers_breadcrumbs(),
            {"url": reverse("newsletter_import"), "label": self.get_page_title()},
            {"url": "", "label": self.job.filename},
        ]

    def get_context_data(self, **kwargs):
        job = self.job
        return super().get_context_data(
            job=job,
            progress=job.progress(),
            stalled=is_stalled(job),
            progress_url=reverse("newsletter_import_progress_json", args=[job.pk]),
            **kwargs,
        )


def import_progress_json(request, pk):
    job = _import(request, pk)
    return JsonResponse({**job.progress(), "stalled": is_stalled(job)})


@require_POST
def import_resume(request, pk):
    """Start a stopped import again from its last committed batch."""
    job = _import(request, pk)
    outcome = ResumeImportAction(job, user=request.user).execute()
    if outcome == "resumed":
        messages.success(request, _("The import continues where it stopped."))
    elif outcome == "running":
        messages.info(request, _("The import is still running."))
    return redirect("newsletter_import_progress", job.pk)


def _issue(request, pk, action="change"):
    _require(request, issue_permissions, action)
    return get_object_or_404(NewsletterIssue, pk=pk)


def issue_problems(issue):
    problems = []
    if issue.is_editable and not included_stories(issue):
        problems.append(_("No story in this issue may be sent now; it cannot go out without one."))
    for item in issue.items.select_related("story").order_by("sort_order"):
        if item.withdrawn_at is not None:
            continue
        problem = consent_problem(item.story, issue.language)
        if problem:
            problems.append(
                _("“%(title)s” will be left out: %(reason)s.")
                % {"title": item.story.title if item.story else item.story_title, "reason": problem}
            )
    return problems


def recipient_count(issue):
    """How many subscribers would receive the issue if it went out now (None once it is sent)."""
    return Subscriber.objects.recipients_of(issue).count() if issue.is_editable else None


class IssueView(NewsletterAdminView):
    """A screen about one issue; the issue is looked up after the permission check."""

    @cached_property
    def issue(self):
        return get_object_or_404(NewsletterIssue, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.issue.title


class IssueSendView(IssueView):
    """Test mail, sending now or later, and the progress while it sends."""

    template_name = "newsletter/admin/send.html"
    page_title = gettext_lazy("Send and progress")

    def get_breadcrumbs_items(self):
        return [*self.issues_breadcrumbs(self.issue), {"url": "", "label": self.get_page_title()}]

    @cached_property
    def header_buttons(self):
        issue = self.issue
        return [
            HeaderButton(
                _("Edit"), url=reverse("newsletter_issues:edit", args=[issue.pk]), icon_name="edit", priority=10
            ),
            preview_button(issue),
        ]

    def get_context_data(self, **kwargs):
        issue = self.issue
        return super().get_context_data(
            issue=issue,
            problems=issue_problems(issue),
            recipients=recipient_count(issue),
            progress=issue.progress(),
            schedule_form=ScheduleForm(),
            progress_url=reverse("newsletter_issue_progress", args=[issue.pk]),
            **kwargs,
        )


def preview_button(issue, priority=20):
    """The header button that opens the email as subscribers will see it, in a new tab."""
    return HeaderButton(
        _("Preview"),
        url=reverse("newsletter_issue_preview", args=[issue.pk]),
        icon_name="view",
        attrs={"target": "_blank", "rel": "noopener"},
        priority=priority,
    )


def send_button(issue, priority=30):
    return HeaderButton(
        _("Send and progress"),
        url=reverse("newsletter_issue_send", args=[issue.pk]),
        icon_name="mail",
        priority=priority,
    )


def send_now_question(issue, count):
    """The confirmation question, with the number of people it goes to (grouped as the language writes it)."""
    return ngettext(
        "Send “%(title)s” to %(count)s subscriber now?",
        "Send “%(title)s” to %(count)s subscribers now?",
        count,
    ) % {"title": issue.title, "count": number_format(count, force_grouping=True)}


class IssueSendNowView(IssueView):
    """Sending now, confirmed: the GET asks (naming how many people it goes to); only a POST with
    the confirmation field sends. A POST without it (a stray form, an old tab) only asks again."""

    template_name = "newsletter/admin/send_now_confirm.html"
    page_title = gettext_lazy("Send now")
    CONFIRM_FIELD = "confirm"

    def get_breadcrumbs_items(self):
        # A confirmation, like Wagtail's delete view: the full header, no breadcrumbs.
        return []

    def get_context_data(self, **kwargs):
        issue = self.issue
        count = recipient_count(issue)
        return super().get_context_data(
            issue=issue,
            recipients=count,
            question=send_now_question(issue, count) if count is not None else None,
            problems=issue_problems(issue),
            confirm_field=self.CONFIRM_FIELD,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get(self.CONFIRM_FIELD) != "yes":
            messages.warning(request, _("Nothing was sent: confirm below to send the issue now."))
            return self.get(request, *args, **kwargs)
        _done, started = _perform(request, SendNowAction(self.issue, user=request.user))
        if started:
            messages.success(request, _("Sending has started."))
        return redirect("newsletter_issue_send", self.issue.pk)


def _perform(request, action):
    """Run a Wagtail action (its ``check()`` first); a refusal becomes the editor's error message.

    Returns ``(True, result)``, or ``(False, None)`` when the action was refused.
    """
    try:
        return True, action.execute()
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return False, None


@require_POST
def issue_send_test(request, pk):
    done, email = _perform(request, SendTestAction(_issue(request, pk), user=request.user))
    if done:
        messages.success(request, _("A test email was sent to %(email)s.") % {"email": email})
    return redirect("newsletter_issue_send", pk)


@require_POST
def issue_schedule(request, pk):
    action = ScheduleAction(_issue(request, pk), user=request.user, form=ScheduleForm(request.POST))
    done, _issue_scheduled = _perform(request, action)
    if done:
        messages.success(request, _("The issue is scheduled."))
    return redirect("newsletter_issue_send", pk)


@require_POST
def issue_unschedule(request, pk):
    done, _issue_unscheduled = _perform(request, UnscheduleAction(_issue(request, pk), user=request.user))
    if done:
        messages.success(request, _("The issue is no longer scheduled."))
    return redirect("newsletter_issue_send", pk)


@require_POST
def issue_retry_failed(request, pk):
    """Failed messages (refused by the mail server, or given up after temporary refusals) are tried again."""
    done, count = _perform(request, RetryFailedAction(_issue(request, pk), user=request.user))
    if count:
        messages.success(request, _("%(count)s failed messages will be sent again.") % {"count": count})
    elif done:
        messages.info(request, _("No failed messages to send again."))
    return redirect("newsletter_issue_send", pk)


@require_POST
def issue_resolve_unknown(request, pk):
    """Messages whose fate is unknown: sent again or recorded as sent, as the editor decides."""
    choice = request.POST.get("decision")
    done, count = _perform(request, ResolveUnknownAction(_issue(request, pk), user=request.user, decision=choice))
    if not done:
        return redirect("newsletter_issue_send", pk)
    if not count:
        messages.info(request, _("No messages of unknown fate."))
    elif choice == "resend":
        messages.success(request, _("%(count)s messages will be sent again.") % {"count": count})
    else:
        messages.success(request, _("%(count)s messages were recorded as sent.") % {"count": count})
    return redirect("newsletter_issue_send", pk)


def issue_progress(request, pk):
    issue = _issue(request, pk, "view")
    return JsonResponse({"status": issue.status, "status_label": issue.get_status_display(), **issue.progress()})


def issue_preview(request, pk):
    """The email as subscribers will see it (personal links replaced by "#")."""
    issue = _issue(request, pk, "view")
    html, _text = render_issue(issue).personalise("#", "#")
    return HttpResponse(html)


class FromRecentView(NewsletterAdminView, FormView):
    """Start a draft issue with every story published since the last issue in that language."""

    permission_required = "add"
    template_name = "newsletter/admin/from_recent.html"
    form_class = RecentStoriesForm
    page_title = gettext_lazy("Start from recent stories")
    header_icon = "date"

    def get_breadcrumbs_items(self):
        return [*self.issues_breadcrumbs(), {"url": "", "label": self.get_page_title()}]

    def form_valid(self, form):
        issue, added, left_out = StartFromRecentAction(form.cleaned_data["language"], user=self.request.user).execute()
        messages.success(
            self.request, _("%(count)s stories added; review them and the introduction.") % {"count": added}
        )
        if left_out:
            messages.warning(self.request, _("Left out: %(list)s.") % {"list": "; ".join(left_out)})
        return redirect("newsletter_issues:edit", issue.pk)
