"""The newsletter admin's state-changing buttons as Wagtail actions: ``check()``, then ``execute()``.

On an issue: the test send, sending now, scheduling and cancelling it, retrying failed messages
and deciding on those of unknown fate; on the model: starting an issue from recent stories, and
starting or resuming a subscriber import. Each action checks the user's permission through
Wagtail's permission policy (the same ``newsletter.change_newsletterissue``,
``add_newsletterissue`` or ``add_subscriber`` the views always asked for) and then whether the
state allows it; a state that does not raises ``ActionRefused`` with the sentence for the editor.
The admin views only run them and say the outcome (``newsletter.admin_views``).
"""

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.actions.base import BaseAction
from wagtail.log_actions import log
from wagtail.permission_policies.base import ModelPermissionPolicy

from stories.models import StoryPage

from .imports import import_subscribers, is_stalled
from .lease import mark_for_sending
from .models import Delivery, IssueItem, NewsletterIssue, Subscriber, SubscriberImport
from .notices import send_test
from .rendering import consent_problem, included_stories
from .sending import send_issue

logger = logging.getLogger(__name__)


class ActionRefused(Exception):
    """The action may not run in the issue's (or import's) present state; the message says why."""


def _already_sent():
    return _("This issue is already being sent or has been sent.")


def _no_story():
    return _("No story in this issue may be sent; an issue without stories is not sent.")


class IssueAction(BaseAction):
    """An action on one newsletter issue, allowed to those who may change issues."""

    permission_policy_action = "change"

    def check(self, skip_permission_checks=False):
        super().check(skip_permission_checks)
        self.check_state()

    def check_state(self):
        """Raise ``ActionRefused`` when the issue's state does not allow the action."""

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks)
        return self.perform()

    def perform(self):
        raise NotImplementedError


class SendTestAction(IssueAction):
    """The issue as a subscriber would get it, to the user's own address."""

    action_name = "newsletter.send_test"

    def check_state(self):
        if not self.user.email:
            raise ActionRefused(_("Your account has no email address; add one in your account settings."))

    def perform(self):
        send_test(self.instance, self.user.email)
        return self.user.email


class SendNowAction(IssueAction):
    """Draft or scheduled → sending now; the worker picks it up. Returns False if it already sends."""

    action_name = "newsletter.send"

    def check_state(self):
        if not self.instance.is_editable:
            raise ActionRefused(_already_sent())
        if not included_stories(self.instance):
            # Checked as the worker will check it: consent, publication and language, not just the rows.
            raise ActionRefused(_no_story())

    def perform(self):
        issue = self.instance
        if not mark_for_sending(issue):
            return False
        log(instance=issue, action="newsletter.send", user=self.user)
        transaction.on_commit(lambda: send_issue.enqueue(issue.pk))
        return True


class ScheduleAction(IssueAction):
    """Send the issue at the time given in a ``ScheduleForm``."""

    action_name = "newsletter.schedule"

    def __init__(self, instance, user=None, *, form):
        super().__init__(instance, user=user)
        self.form = form

    def check_state(self):
        if not self.instance.is_editable:
            raise ActionRefused(_already_sent())
        if not self.form.is_valid():
            raise ActionRefused(" ".join(self.form.errors.get("send_at", [])) or _("Give a date and time."))
        if not included_stories(self.instance):
            raise ActionRefused(_no_story())

    def perform(self):
        from django_tasks import default_task_backend

        issue = self.instance
        issue.status = NewsletterIssue.Status.SCHEDULED
        issue.scheduled_at = self.form.cleaned_data["send_at"]
        issue.save(update_fields=["status", "scheduled_at"])
        log(instance=issue, action="newsletter.schedule", user=self.user)
        if default_task_backend.supports_defer:
            send_at = issue.scheduled_at
            transaction.on_commit(lambda: send_issue.using(run_after=send_at).enqueue(issue.pk))
        # Otherwise (and as a safety net) the periodic "newsletter-send" job starts it when due.
        return issue


class UnscheduleAction(IssueAction):
    """A scheduled issue goes back to draft (anything else is left as it is)."""

    action_name = "newsletter.unschedule"

    def perform(self):
        NewsletterIssue.objects.filter(pk=self.instance.pk, status=NewsletterIssue.Status.SCHEDULED).update(
            status=NewsletterIssue.Status.DRAFT, scheduled_at=None
        )
        return self.instance


def _resume(issue):
    """Send the issue's pending rows: a sent issue becomes "sending" again until they are done."""
    NewsletterIssue.objects.filter(
        pk=issue.pk, status__in=[NewsletterIssue.Status.SENT, NewsletterIssue.Status.SENDING]
    ).update(status=NewsletterIssue.Status.SENDING)
    transaction.on_commit(lambda: send_issue.enqueue(issue.pk))


class RetryFailedAction(IssueAction):
    """Failed messages (refused by the mail server, or given up after temporary refusals) are tried again.

    Returns how many.
    """

    action_name = "newsletter.retry_failed"

    def perform(self):
        issue = self.instance
        with transaction.atomic():
            count = Delivery.objects.filter(issue=issue, status=Delivery.Status.FAILED).update(
                status=Delivery.Status.PENDING, runner="", claimed_at=None, attempts=0, next_attempt_at=None, error=""
            )
            if count:
                log(instance=issue, action="newsletter.retry_failed", user=self.user, data={"messages": count})
                _resume(issue)
        return count


class ResolveUnknownAction(IssueAction):
    """Messages whose fate is unknown: the editor either sends them again or records them as sent.

    Sending again may give some of these subscribers a second copy; recording them as sent may
    leave some without one. Vertel cannot tell which, so a person decides. Returns how many.
    """

    action_name = "newsletter.resolve_unknown"
    DECISIONS = ("resend", "mark_sent")

    def __init__(self, instance, user=None, *, decision):
        super().__init__(instance, user=user)
        self.decision = decision

    def check_state(self):
        if self.decision not in self.DECISIONS:
            raise ActionRefused(_("Choose whether to send these messages again or record them as sent."))

    def perform(self):
        issue = self.instance
        with transaction.atomic():
            unknown = Delivery.objects.filter(issue=issue, status=Delivery.Status.UNKNOWN)
            if self.decision == "resend":
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
                    action=f"newsletter.unknown_{self.decision}",
                    user=self.user,
                    data={"messages": count},
                )
        return count


class ModelAction(BaseAction):
    """An action checked against a permission on a whole model (``model``), not on one instance."""

    model = None

    @cached_property
    def permission_policy(self):
        return ModelPermissionPolicy(self.model)

    def user_has_permission(self):
        return self.permission_policy.user_has_permission(self.user, self.permission_policy_action)


class StartFromRecentAction(ModelAction):
    """A draft issue with every story published since the last issue in ``language``.

    Stories of an issue being sent are not offered again; stories whose consent does not cover the
    newsletter are left out. Returns the issue, how many stories it got and the sentences for those
    left out.
    """

    action_name = "newsletter.from_recent"
    model = NewsletterIssue
    permission_policy_action = "add"

    def __init__(self, language, user=None):
        super().__init__(None, user=user)
        self.language = language

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks)
        language = self.language
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
            created_by=self.user,
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
        return issue, order, left_out


class StartImportAction(ModelAction):
    """Keep an uploaded CSV (checked by an ``ImportForm``) and queue its import; returns the import.

    Allowed to those who may add subscribers (imports have no permissions of their own).
    """

    action_name = "newsletter.start_import"
    model = Subscriber
    permission_policy_action = "add"

    def __init__(self, cleaned_data, user=None):
        super().__init__(None, user=user)
        self.cleaned_data = cleaned_data

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks)
        data = self.cleaned_data
        job = SubscriberImport.objects.create(
            filename=data["file"].name[:255],
            content=data["text"],
            declared_source=data.get("declared_source") or "",
            declared_date=data.get("declared_date"),
            actor=f"user:{self.user.pk}",
            # The uploader's admin language: the row errors are written in it.
            language=translation.get_language() or "",
            created_by=self.user,
        )
        enqueue_import(job)
        return job


class ResumeImportAction(ModelAction):
    """Start a stopped subscriber import again from its last committed batch.

    Allowed to those who may add subscribers. Returns "resumed", "running" (nothing to do yet) or
    ``None`` (it has finished).
    """

    action_name = "newsletter.resume_import"
    model = Subscriber
    permission_policy_action = "add"

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks)
        job = self.instance
        if is_stalled(job):
            enqueue_import(job)
            return "resumed"
        return None if job.is_finished else "running"


def enqueue_import(job):
    """Queue the import task; a lost enqueue is logged and shows "Continue" on the progress page."""
    # Not deferred to the commit: outside a transaction the row is committed already, and with
    # ATOMIC_REQUESTS the database queue's row commits with it.
    try:
        import_subscribers.enqueue(job.pk)
    except Exception:
        logger.exception("Newsletter: could not enqueue subscriber import %s.", job.pk)
