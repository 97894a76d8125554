"""Admin views beyond the viewsets: CSV import (run as a task) and its progress, and an issue's
preview, test mail, sending and progress.

Every view checks a newsletter permission; the "Newsletter editors" group has them.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.log_actions import log

from .admin_forms import ImportForm, RecentStoriesForm, ScheduleForm
from .models import Delivery, IssueItem, NewsletterIssue, SubscriberImport
from .rendering import consent_problem, included_stories, render_issue

logger = logging.getLogger(__name__)


def _require(request, codename):
    if not request.user.has_perm(f"newsletter.{codename}"):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def import_subscribers(request):
    """Upload a CSV of addresses with documented opt-in; the import itself runs as a background task.

    Only the quick checks happen here (size, encoding, header); the rows are checked by the task
    and, as before, any bad row means nothing is imported (see ``newsletter.imports``).
    """
    _require(request, "add_subscriber")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = SubscriberImport.objects.create(
            filename=form.cleaned_data["file"].name[:255],
            content=form.cleaned_data["text"],
            declared_source=form.cleaned_data.get("declared_source") or "",
            declared_date=form.cleaned_data.get("declared_date"),
            actor=f"user:{request.user.pk}",
            language=translation.get_language() or "",
            created_by=request.user,
        )
        _enqueue_import(job)
        return redirect("newsletter_import_progress", job.pk)
    recent = SubscriberImport.objects.order_by("-created_at")[:5]
    return TemplateResponse(
        request, "newsletter/admin/import.html", {"form": form, "recent_imports": recent, "title": _("Import")}
    )


def _enqueue_import(job):
    from .tasks import import_subscribers as import_task

    # Not deferred to the commit: outside a transaction the row is committed already, and with
    # ATOMIC_REQUESTS the database queue's row commits with it. A lost enqueue shows "Continue".
    try:
        import_task.enqueue(job.pk)
    except Exception:
        logger.exception("Newsletter: could not enqueue subscriber import %s.", job.pk)


def _import(request, pk):
    _require(request, "add_subscriber")
    return get_object_or_404(SubscriberImport, pk=pk)


def import_progress_page(request, pk):
    """The import's progress while it runs, and its summary (or its bad lines) when it ends."""
    from .imports import is_stalled

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
    from .imports import is_stalled

    job = _import(request, pk)
    return JsonResponse({**job.progress(), "stalled": is_stalled(job)})


@require_POST
def import_resume(request, pk):
    """Start a stopped import again from its last committed batch."""
    from .imports import is_stalled

    job = _import(request, pk)
    if is_stalled(job):
        _enqueue_import(job)
        messages.success(request, _("The import continues where it stopped."))
    elif not job.is_finished:
        messages.info(request, _("The import is still running."))
    return redirect("newsletter_import_progress", job.pk)


def _issue(request, pk, codename="change_newsletterissue"):
    _require(request, codename)
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
    from .models import Subscriber as SubscriberModel

    context = {
        "issue": issue,
        "title": issue.title,
        "problems": issue_problems(issue),
        "recipients": SubscriberModel.objects.recipients_of(issue).count() if issue.is_editable else None,
        "progress": issue.progress(),
        "schedule_form": ScheduleForm(),
        "progress_url": reverse("newsletter_issue_progress", args=[issue.pk]),
    }
    return TemplateResponse(request, "newsletter/admin/send.html", context)


@require_POST
def issue_send_test(request, pk):
    from .notices import send_test

    issue = _issue(request, pk)
    if not request.user.email:
        messages.error(request, _("Your account has no email address; add one in your account settings."))
    else:
        send_test(issue, request.user.email)
        messages.success(request, _("A test email was sent to %(email)s.") % {"email": request.user.email})
    return redirect("newsletter_issue_send", issue.pk)


@require_POST
def issue_send_now(request, pk):
    from .lease import mark_for_sending
    from .tasks import send_issue

    issue = _issue(request, pk)
    if not issue.is_editable:
        messages.error(request, _("This issue is already being sent or has been sent."))
        return redirect("newsletter_issue_send", issue.pk)
    if not included_stories(issue):
        # Checked as the worker will check it: consent, publication and language, not just the rows.
        messages.error(request, _("No story in this issue may be sent; an issue without stories is not sent."))
        return redirect("newsletter_issue_send", issue.pk)
    if mark_for_sending(issue):
        log(instance=issue, action="newsletter.send", user=request.user)
        transaction.on_commit(lambda: send_issue.enqueue(issue.pk))
        messages.success(request, _("Sending has started."))
    return redirect("newsletter_issue_send", issue.pk)


@require_POST
def issue_schedule(request, pk):
    from django_tasks import default_task_backend

    from .tasks import send_issue

    issue = _issue(request, pk)
    form = ScheduleForm(request.POST)
    if not issue.is_editable:
        messages.error(request, _("This issue is already being sent or has been sent."))
    elif not form.is_valid():
        messages.error(request, " ".join(form.errors.get("send_at", [])) or _("Give a date and time."))
    elif not included_stories(issue):
        messages.error(request, _("No story in this issue may be sent; an issue without stories is not sent."))
    else:
        issue.status = NewsletterIssue.Status.SCHEDULED
        issue.scheduled_at = form.cleaned_data["send_at"]
        issue.save(update_fields=["status", "scheduled_at"])
        log(instance=issue, action="newsletter.schedule", user=request.user)
        if default_task_backend.supports_defer:
            send_at = issue.scheduled_at
            transaction.on_commit(lambda: send_issue.using(run_after=send_at).enqueue(issue.pk))
        # Otherwise (and as a safety net) the periodic "newsletter-send" job starts it when due.
        messages.success(request, _("The issue is scheduled."))
    return redirect("newsletter_issue_send", issue.pk)


@require_POST
def issue_unschedule(request, pk):
    issue = _issue(request, pk)
    NewsletterIssue.objects.filter(pk=issue.pk, status=NewsletterIssue.Status.SCHEDULED).update(
        status=NewsletterIssue.Status.DRAFT, scheduled_at=None
    )
    messages.success(request, _("The issue is no longer scheduled."))
    return redirect("newsletter_issue_send", issue.pk)


def _resume(issue):
    """Send the issue's pending rows: a sent issue becomes "sending" again until they are done."""
    from .tasks import send_issue

    NewsletterIssue.objects.filter(
        pk=issue.pk, status__in=[NewsletterIssue.Status.SENT, NewsletterIssue.Status.SENDING]
    ).update(status=NewsletterIssue.Status.SENDING)
    transaction.on_commit(lambda: send_issue.enqueue(issue.pk))


@require_POST
def issue_retry_failed(request, pk):
    """Failed messages (refused by the mail server, or given up after temporary refusals) are tried again."""
    issue = _issue(request, pk)
    with transaction.atomic():
        count = Delivery.objects.filter(issue=issue, status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING, runner="", claimed_at=None, attempts=0, next_attempt_at=None, error=""
        )
        if count:
            log(instance=issue, action="newsletter.retry_failed", user=request.user, data={"messages": count})
            _resume(issue)
    if count:
        messages.success(request, _("%(count)s failed messages will be sent again.") % {"count": count})
    else:
        messages.info(request, _("No failed messages to send again."))
    return redirect("newsletter_issue_send", issue.pk)


@require_POST
def issue_resolve_unknown(request, pk):
    """Messages whose fate is unknown: the editor either sends them again or records them as sent.

    Sending again may give some of these subscribers a second copy; recording them as sent may
    leave some without one. Vertel cannot tell which, so a person decides.
    """
    issue = _issue(request, pk)
    choice = request.POST.get("decision")
    if choice not in ("resend", "mark_sent"):
        messages.error(request, _("Choose whether to send these messages again or record them as sent."))
        return redirect("newsletter_issue_send", issue.pk)
    with transaction.atomic():
        unknown = Delivery.objects.filter(issue=issue, status=Delivery.Status.UNKNOWN)
        if choice == "resend":
            count = unknown.update(status=Delivery.Status.PENDING, runner="", claimed_at=None, error="")
            if count:
                _resume(issue)
        else:
            count = unknown.update(
                status=Delivery.Status.SENT,
                sent_at=timezone.now(),
                error=_("Recorded as sent by an editor; the mail server's answer was not known."),
            )
        if count:
            log(
                instance=issue,
                action=f"newsletter.unknown_{choice}",
                user=request.user,
                data={"messages": count},
            )
    if not count:
        messages.info(request, _("No messages of unknown fate."))
    elif choice == "resend":
        messages.success(request, _("%(count)s messages will be sent again.") % {"count": count})
    else:
        messages.success(request, _("%(count)s messages were recorded as sent.") % {"count": count})
    return redirect("newsletter_issue_send", issue.pk)


def issue_progress(request, pk):
    issue = _issue(request, pk, "view_newsletterissue")
    return JsonResponse({"status": issue.status, "status_label": issue.get_status_display(), **issue.progress()})


def issue_preview(request, pk):
    """The email as subscribers will see it (personal links replaced by "#")."""
    issue = _issue(request, pk, "view_newsletterissue")
    html, _text = render_issue(issue).personalise("#", "#")
    return HttpResponse(html)


@require_http_methods(["GET", "POST"])
def issue_from_recent(request):
    """Start a draft issue with every story published since the last issue in that language."""
    _require(request, "add_newsletterissue")
    form = RecentStoriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from stories.models import StoryPage

        language = form.cleaned_data["language"]
        last = NewsletterIssue.objects.filter(language=language, sent_at__isnull=False).order_by("-sent_at").first()
        since = last.sent_at if last else timezone.now() - timezone.timedelta(days=30)
        # Stories of an issue going out right now are not offered again to the same readers.
        being_sent = IssueItem.objects.filter(
            issue__language=language, issue__status=NewsletterIssue.Status.SENDING, story__isnull=False
        ).values("story_id")
        stories = (
            StoryPage.objects.live()
            .public()
            .filter(locale__language_code=language, first_published_at__gt=since)
            .exclude(pk__in=being_sent)
            .order_by("-first_published_at")
        )
        issue = NewsletterIssue.objects.create(
            language=language,
            title=_("Newsletter of %(date)s") % {"date": timezone.localdate().strftime("%d-%m-%Y")},
            created_by=request.user,
        )
        left_out = []
        order = 0
        for story in stories:
            problem = consent_problem(story, language)
            if problem:
                left_out.append(_("“%(title)s”: %(reason)s") % {"title": story.title, "reason": problem})
                continue
            IssueItem.objects.create(issue=issue, story=story, sort_order=order)
            order += 1
        messages.success(request, _("%(count)s stories added; review them and the introduction.") % {"count": order})
        if left_out:
            messages.warning(request, _("Left out: %(list)s.") % {"list": "; ".join(left_out)})
        return redirect("newsletter_issues:edit", issue.pk)
    return TemplateResponse(
        request, "newsletter/admin/from_recent.html", {"form": form, "title": _("Start from recent stories")}
    )
