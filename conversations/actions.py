"""The inbox's state changes as Wagtail actions: set the status, assign, add a note.

Each is a ``wagtail.actions.base.BaseAction``: ``check()`` raises ``InboxPermissionError`` (a
``PermissionDenied`` with a sentence) when the user may not do it (the model permission, and reading
the conversation's account), and ``ActionNotPossible`` when the conversation is not in a state the
action applies to; ``execute()`` checks, changes the conversation and records an
:class:`~conversations.models.ActivityEntry` (ids and status names, never message text) in one
transaction. ``register_actions`` puts them in Wagtail's action registry (``conversations.wagtail_hooks``);
the thin views of ``conversations.views.actions`` look them up there.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.actions.base import BaseAction
from wagtail.permission_policies import ModelPermissionPolicy

from .access import can_read
from .models import ActivityEntry, Conversation, Note

NOTE_LIMIT = 5000


class InboxPermissionError(PermissionDenied):
    def __init__(self, message=None):
        self.message = message or _("You do not have permission to do this.")
        super().__init__(self.message)


class ActionNotPossible(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConversationAction(BaseAction):
    """An action on one conversation: the model permission, then access to its account, then its state."""

    permission_policy_action = "change"
    permission_error_class = InboxPermissionError
    model = Conversation

    @property
    def permission_policy(self):
        return ModelPermissionPolicy(self.model)

    def user_has_permission(self):
        return self.permission_policy.user_has_permission(self.user, self.permission_policy_action) and can_read(
            self.user, self.instance.account
        )

    def check(self, skip_permission_checks=False):
        if self.user and not skip_permission_checks and not self.user_has_permission():
            raise self.permission_error_class()
        self.check_state()

    def check_state(self):
        """Raise ``ActionNotPossible`` when the action does not apply to the conversation as it is."""

    def record(self, action, **data):
        return ActivityEntry.objects.create(conversation=self.instance, actor=self.user, action=action, data=data)


class SetStatusAction(ConversationAction):
    """Move the conversation to another status (new, assigned, waiting, answered, closed)."""

    action_name = "set_status"

    def __init__(self, instance, user=None, status=""):
        super().__init__(instance, user=user)
        self.status = status

    def check_state(self):
        if self.status not in Conversation.Status.values:
            raise ActionNotPossible(_("Choose a status."))
        if self.status == self.instance.status:
            raise ActionNotPossible(_("The conversation already has this status."))
        if self.status == Conversation.Status.ASSIGNED and self.instance.assignee_id is None:
            raise ActionNotPossible(_("Assign the conversation to someone first."))

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        conversation = self.instance
        with transaction.atomic():
            before = conversation.status
            conversation.status = self.status
            conversation.save(update_fields=["status", "updated_at"])
            self.record("status", before=before, after=self.status)
        return conversation


class AssignAction(ConversationAction):
    """Give the conversation to a person who may read its account (``assignee=None``: to nobody).

    A new conversation becomes *assigned*; one given back to nobody while *assigned* becomes *new*.
    """

    action_name = "assign"

    def __init__(self, instance, user=None, assignee=None):
        super().__init__(instance, user=user)
        self.assignee = assignee

    def check_state(self):
        assignee = self.assignee
        if assignee is not None and (not assignee.is_active or not can_read(assignee, self.instance.account)):
            raise ActionNotPossible(_("%(person)s cannot read this account.") % {"person": self.assignee})
        if (self.assignee.pk if self.assignee else None) == self.instance.assignee_id:
            raise ActionNotPossible(_("The conversation is already assigned so."))

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        conversation = self.instance
        with transaction.atomic():
            before = conversation.assignee_id
            conversation.assignee = self.assignee
            status_before = conversation.status
            if self.assignee is not None and conversation.status == Conversation.Status.NEW:
                conversation.status = Conversation.Status.ASSIGNED
            elif self.assignee is None and conversation.status == Conversation.Status.ASSIGNED:
                conversation.status = Conversation.Status.NEW
            conversation.save(update_fields=["assignee", "status", "updated_at"])
            self.record("assign", before=before, after=self.assignee.pk if self.assignee else None)
            if conversation.status != status_before:
                self.record("status", before=status_before, after=conversation.status)
        return conversation


class AddNoteAction(ConversationAction):
    """Add an internal note (never sent anywhere); the activity says a note was added, not what it says."""

    action_name = "add_note"
    permission_policy_action = "add"
    model = Note

    def __init__(self, instance, user=None, text=""):
        super().__init__(instance, user=user)
        self.text = (text or "").strip()

    def check_state(self):
        if not self.text:
            raise ActionNotPossible(_("Write a note first."))
        if len(self.text) > NOTE_LIMIT:
            raise ActionNotPossible(_("A note can be at most %(limit)s characters.") % {"limit": NOTE_LIMIT})

    def execute(self, skip_permission_checks=False):
        self.check(skip_permission_checks=skip_permission_checks)
        with transaction.atomic():
            note = Note.objects.create(conversation=self.instance, author=self.user, text=self.text)
            self.record("note", note=note.pk)
        return note


def assignable_people(conversation):
    """The active users who may read the conversation's account, by name."""
    from .filters import readers

    users = readers(conversation.account.__class__.objects.filter(pk=conversation.account_id))
    return list(users.order_by("first_name", "last_name", "username"))


def person(pk):
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def register_actions(registry):
    """Add the inbox's actions to Wagtail's action registry (the ``register_actions`` hook)."""
    for action_class in (SetStatusAction, AssignAction, AddNoteAction):
        registry.register(Conversation, action_class)
