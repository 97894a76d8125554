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
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
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


@require_http_methods(["GET", "POST"])
def import_subscribers(request):
    """Upload a CSV of addresses with documented opt-in; the import itself runs as a background task.

    Only the quick checks happen here (size, encoding, header); the rows are checked by the task
    and, as before, any bad row means nothing is imported (see ``newsletter.imports``).
    """
    _require(request, subscriber_permissions, "add")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = StartImportAction(form.cleaned_data, user=request.user).execute()
        return redirect("newsletter_import_progress", job.pk)
    recent = SubscriberImport.objects.order_by("-created_at")[:5]
    return TemplateResponse(
        request, "newsletter/admin/import.html", {"form": form, "recent_imports": recent, "title": _("Import")}
    )


def _import(request, pk):
    _require(request, subscriber_permissions, "add")
    return get_object_or_404(SubscriberImport, pk=pk)


def import_progress_page(request, pk):
    """The import's progress while it runs, and its summary (or its bad lines) when it ends."""
    job = _import(request, pk)
    context = {
        "job": job,
        "progress": job.progress(),
        "stalled": is_stalled(job),
        "title": _("Import subscribers"),
        "progress_url": reverse("newsletter_import_progress_json", args=[job.pk]),
    }
    return TemplateResponse(request, "newsletter/admin/import_progress.html", context)


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


def issue_send_page(request, pk):
    """Test mail, sending now or later, and the progress while it sends."""
    issue = _issue(request, pk)

    context = {
        "issue": issue,
        "title": issue.title,
        "problems": issue_problems(issue),
        "recipients": Subscriber.objects.recipients_of(issue).count() if issue.is_editable else None,
        "progress": issue.progress(),
        "schedule_form": ScheduleForm(),
        "progress_url": reverse("newsletter_issue_progress", args=[issue.pk]),
    }
    return TemplateResponse(request, "newsletter/admin/send.html", context)


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
def issue_send_now(request, pk):
    _done, started = _perform(request, SendNowAction(_issue(request, pk), user=request.user))
    if started:
        messages.success(request, _("Sending has started."))
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


@require_http_methods(["GET", "POST"])
def issue_from_recent(request):
    """Start a draft issue with every story published since the last issue in that language."""
    _require(request, issue_permissions, "add")
    form = RecentStoriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issue, added, left_out = StartFromRecentAction(form.cleaned_data["language"], user=request.user).execute()
        messages.success(request, _("%(count)s stories added; review them and the introduction.") % {"count": added})
        if left_out:
            messages.warning(request, _("Left out: %(list)s.") % {"list": "; ".join(left_out)})
        return redirect("newsletter_issues:edit", issue.pk)
    return TemplateResponse(
        request, "newsletter/admin/from_recent.html", {"form": form, "title": _("Start from recent stories")}
    )
