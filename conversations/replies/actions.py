"""A reply's admin buttons as Wagtail actions: approve, reject, cancel, retry.

Each is a ``wagtail.actions.base.BaseAction`` whose ``check()`` raises ``PermissionDenied`` with a
sentence, and whose ``execute()`` calls the service of ``conversations.replies.services`` (which
checks again under a row lock and raises ``ReplyRefused`` when the reply is no longer in a state
the action applies to). ``is_offered()`` says whether the button is shown.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.actions.base import BaseAction

from ..models import Reply
from . import services

State = Reply.State


class ReplyAction(BaseAction):
    service = None
    states = ()
    refusal = gettext_lazy("You do not have permission to do this.")

    def user_has_permission(self):
        raise NotImplementedError

    def check(self, skip_permission_checks=False):
        if self.user and not skip_permission_checks and not self.user_has_permission():
            raise PermissionDenied(self.refusal_for_user())

    def refusal_for_user(self):
        return str(self.refusal)

    def is_offered(self):
        return self.instance.state in self.states and self.user_has_permission()

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        return type(self).service(self.instance, self.user)


class ApproveReplyAction(ReplyAction):
    action_name = "approve"
    service = staticmethod(services.approve_reply)
    states = (State.AWAITING_APPROVAL,)

    def user_has_permission(self):
        return services.may_approve(self.user, self.instance)

    def refusal_for_user(self):
        if self.instance.created_by_id == self.user.pk:
            return _("A reply to a flagged message is approved by someone other than its writer.")
        return _("You may not approve replies in this conversation.")


class RejectReplyAction(ApproveReplyAction):
    action_name = "reject"
    service = staticmethod(services.reject_reply)


class CancelReplyAction(ReplyAction):
    action_name = "cancel"
    service = staticmethod(services.cancel_reply)
    refusal = gettext_lazy("You may not cancel this reply.")

    def user_has_permission(self):
        reply = self.instance
        return services.may_reply(self.user, reply.conversation) and (
            reply.created_by_id == self.user.pk or services.may_approve(self.user, reply)
        )

    def is_offered(self):
        reply = self.instance
        waiting = reply.state == State.AWAITING_APPROVAL
        failed_for_good = (
            reply.state == State.FAILED and reply.next_attempt_at is None and not reply.sending_started_at
        )
        return (waiting or failed_for_good) and self.user_has_permission()


class RetryReplyAction(ReplyAction):
    action_name = "retry"
    service = staticmethod(services.retry_reply)
    states = (State.FAILED,)
    refusal = gettext_lazy("You may not reply in this conversation.")

    def user_has_permission(self):
        return services.may_reply(self.user, self.instance.conversation)


ACTIONS = {
    cls.action_name: cls for cls in (ApproveReplyAction, RejectReplyAction, CancelReplyAction, RetryReplyAction)
}

BUTTONS = (
    ("approve", gettext_lazy("Approve")),
    ("reject", gettext_lazy("Do not approve")),
    ("retry", gettext_lazy("Send again")),
    ("cancel", gettext_lazy("Cancel the reply")),
)


def get_action(reply, name, user):
    return ACTIONS[name](reply, user=user)
