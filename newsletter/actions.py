"""The newsletter admin's state-changing buttons as Wagtail actions: ``check()``, then ``execute()``.

Each action checks the user's permission through Wagtail's permission policy (the same
``newsletter.change_newsletterissue`` or ``newsletter.add_subscriber`` the views always asked
for) and then whether the issue's state allows it; a state that does not raises
``ActionRefused`` with the sentence for the editor. The admin views only run them and say the
outcome (``newsletter.admin_views``).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.actions.base import BaseAction
from wagtail.log_actions import log
from wagtail.permission_policies.base import ModelPermissionPolicy

from .imports import import_subscribers, is_stalled
from .lease import mark_for_sending
from .models import Delivery, NewsletterIssue, Subscriber
from .notices import send_test
from .rendering import included_stories
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


class ResumeImportAction(BaseAction):
    """Start a stopped subscriber import again from its last committed batch.

    Allowed to those who may add subscribers (imports have no permissions of their own). Returns
    "resumed", "running" (nothing to do yet) or ``None`` (it has finished).
    """

    action_name = "newsletter.resume_import"
    permission_policy_action = "add"

    @cached_property
    def permission_policy(self):
        return ModelPermissionPolicy(Subscriber)

    def user_has_permission(self):
        return self.permission_policy.user_has_permission(self.user, self.permission_policy_action)

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
