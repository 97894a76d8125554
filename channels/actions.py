"""The channels admin's state-changing buttons as Wagtail actions: one class per button.

Each action is a ``wagtail.actions.base.BaseAction``: ``check()`` raises a ``PermissionDenied``
subclass (with a sentence) when the user may not do it, and ``ActionNotPossible`` (with a sentence)
when the object is not in a state the action applies to; ``execute()`` checks, then asks the engine
(``channels.dispatch``, ``channels.retraction``, ``channels.accounts``) through its public names.
``is_offered()`` says whether the button is shown at all. The engine's own refusals
(``ActionRefused``) become ``ActionNotPossible``.

``register_actions`` puts them in Wagtail's action registry (``channels.wagtail_hooks`` calls it from
the ``register_actions`` hook); the thin views of ``channels.admin_views`` and Wagtail's own generic
views (the account's delete view) look them up there.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from wagtail.actions.base import BaseAction
from wagtail.actions.delete import DeleteAction
from wagtail.models import Page

from . import accounts, retraction
from . import dispatch as engine
from .models import ChannelAccount, Dispatch

RETRYABLE_STATES = [Dispatch.State.FAILED, Dispatch.State.MISSED, Dispatch.State.BLOCKED]
MANUAL_REMOVAL_STATES = [Dispatch.Retraction.MANUAL, Dispatch.Retraction.FAILED]
# A person may find a failed post on the network after all (an unknown outcome on a network that
# cannot be asked), or post a missed one by hand. Blocked posts have no consent: never "sent".
MARK_SENT_STATES = [Dispatch.State.FAILED, Dispatch.State.MISSED]


class ChannelActionPermissionError(PermissionDenied):
    """The user may not do this; ``message`` is the sentence they are shown."""

    def __init__(self, message=None):
        self.message = message or _("You do not have permission to do this.")
        super().__init__(self.message)


class RetryPermissionError(ChannelActionPermissionError):
    pass


class MarkSentPermissionError(ChannelActionPermissionError):
    pass


class ConfirmRemovalPermissionError(ChannelActionPermissionError):
    pass


class RemoveEverywherePermissionError(ChannelActionPermissionError):
    pass


class CheckConnectionPermissionError(ChannelActionPermissionError):
    pass


class ActionNotPossible(Exception):
    """The object is not in a state the action applies to (or the engine refused); ``message`` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ChannelAction(BaseAction):
    """``check()``: the user's permission first (a ``permission_error_class``), then the object's state."""

    def check(self, skip_permission_checks=False):
        if self.user and not skip_permission_checks and not self.user_has_permission():
            raise self.permission_error_class()
        self.check_state()

    def check_state(self):
        """Raise ``ActionNotPossible`` if the action does not apply to the object as it is now."""

    def is_offered(self):
        """Whether the button is shown to ``self.user`` for the object as it is now."""
        return self.user_has_permission()


class DispatchAction(ChannelAction):
    """An action on one dispatch, for whoever may change dispatches (``change_dispatch``)."""

    permission_policy_action = "change"


class RetryDispatchAction(DispatchAction):
    """Put a failed, missed or blocked post back in the queue (``channels.dispatch.retry``)."""

    action_name = "retry"
    permission_error_class = RetryPermissionError

    def check_state(self):
        if self.instance.state not in RETRYABLE_STATES:
            raise ActionNotPossible(_("This post is not failed; there is nothing to retry."))

    def is_offered(self):
        # A failed removal is retried by the engine's sweep by itself; Retry is for posts.
        dispatch = self.instance
        return super().is_offered() and dispatch.state in RETRYABLE_STATES and not dispatch.retraction

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        try:
            engine.retry(self.instance, self.user)
        except engine.ActionRefused as error:
            # The engine refuses what cannot be retried (say, consent no longer covers it).
            raise ActionNotPossible(_("It cannot be retried: %(reason)s") % {"reason": error.message}) from error
        return self.instance


class MarkSentAction(DispatchAction):
    """Record that a failed or missed post is on the network after all, at ``remote_url``.

    The address is kept so the post can be removed later: without an id from the network, removal
    is handed to a person with that address (``channels.dispatch.mark_sent_manually``).
    """

    action_name = "mark_sent"
    permission_error_class = MarkSentPermissionError

    def __init__(self, instance, user=None, remote_url=""):
        super().__init__(instance, user=user)
        self.remote_url = remote_url

    def check_state(self):
        if self.instance.state not in MARK_SENT_STATES or self.instance.retraction:
            raise ActionNotPossible(_("Only a failed or missed post can be marked as sent."))

    def is_offered(self):
        dispatch = self.instance
        return super().is_offered() and dispatch.state in MARK_SENT_STATES and not dispatch.retraction

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        try:
            engine.mark_sent_manually(self.instance, self.user, self.remote_url)
        except engine.ActionRefused as error:
            raise ActionNotPossible(error.message) from error
        return self.instance


class ConfirmRemovalAction(DispatchAction):
    """Record that a person removed a post by hand on the network.

    The engine's ``confirm_manual_removal`` marks it RETRACTED, logs a DispatchEvent and, for a
    patient story, records ``ConsentEvent.Kind.RETRACTED`` in the consent evidence.
    """

    action_name = "confirm_removal"
    permission_error_class = ConfirmRemovalPermissionError

    def check_state(self):
        if self.instance.retraction not in MANUAL_REMOVAL_STATES:
            raise ActionNotPossible(_("This post is not waiting for removal by hand."))

    def is_offered(self):
        return super().is_offered() and self.instance.retraction in MANUAL_REMOVAL_STATES

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        try:
            retraction.confirm_manual_removal(self.instance, self.user)
        except engine.ActionRefused as error:
            raise ActionNotPossible(error.message) from error
        return self.instance


def posts_out(page):
    """The page's posts that are (or may be) on a network and not removed."""
    return Dispatch.objects.filter(page=page, state=Dispatch.State.SENT).exclude(
        retraction=Dispatch.Retraction.RETRACTED
    )


class RemoveEverywhereAction(ChannelAction):
    """Retract every sent post of a story (``channels.retraction.retract_story``, reason "editor").

    For whoever may unpublish the story (its "publish" permission), also when it is no longer live.
    ``execute()`` returns the outcome: ``{"removed": n, "manual": [...], "pending": [...]}``.
    """

    action_name = "remove_everywhere"
    permission_policy_action = "publish"
    permission_error_class = RemoveEverywherePermissionError

    def is_offered(self):
        return self.user_has_permission() and posts_out(self.instance).exists()

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        page = self.instance
        retraction.retract_story(page, reason="editor", actor=self.user)
        results = list(Dispatch.objects.filter(page=page, state=Dispatch.State.SENT).select_related("account"))
        waiting = (Dispatch.Retraction.PENDING, Dispatch.Retraction.RETRACTING, Dispatch.Retraction.FAILED)
        return {
            "removed": sum(1 for dispatch in results if dispatch.retraction == Dispatch.Retraction.RETRACTED),
            "manual": [dispatch for dispatch in results if dispatch.retraction == Dispatch.Retraction.MANUAL],
            "pending": [dispatch for dispatch in results if dispatch.retraction in waiting],
        }


class CheckConnectionAction(ChannelAction):
    """Ask the network whether an account works; store the outcome (``channels.accounts.check_account``).

    ``execute()`` returns ``(ok, message)``; the message is safe to show (it carries no secret).
    """

    action_name = "check_connection"
    permission_policy_action = "change"
    permission_error_class = CheckConnectionPermissionError

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        return accounts.check_account(self.instance)


class AccountDeleteAction(DeleteAction):
    """Wagtail's delete, refused while the account has dispatches (they are its post history)."""

    def check(self, skip_permission_checks=False):
        super().check(skip_permission_checks=skip_permission_checks)
        if self.instance.dispatches.exists():
            raise self.refusal()

    def refusal(self):
        return ActionNotPossible(
            _(
                "'%(name)s' has posts in the dispatch log and cannot be deleted. "
                "Deactivate it instead: it then gets no posts and is not offered to signers."
            )
            % {"name": self.instance}
        )

    def execute(self, skip_permission_checks=False):
        try:
            return super().execute(skip_permission_checks=skip_permission_checks)
        except ProtectedError as error:  # a dispatch made while the form was open
            raise self.refusal() from error


def register_actions(registry):
    """Add the channels' actions to Wagtail's action registry (the ``register_actions`` hook)."""
    for action_class in (RetryDispatchAction, MarkSentAction, ConfirmRemovalAction):
        registry.register(Dispatch, action_class)
    registry.register(ChannelAccount, CheckConnectionAction)
    registry.register(ChannelAccount, AccountDeleteAction)
    # Any page with posts out (the button shows on syndicated stories, see channels.wagtail_hooks).
    registry.register(Page, RemoveEverywhereAction)
