"""Thin POST views over ``conversations.actions``: set the status, assign, add a note.

The method first (405 for anything but POST), then the model permission (Wagtail's refusal), then
the conversation among those the user may read (404 otherwise), then the action's own check and
execution. Django's CSRF middleware guards every POST. Each view says how it went and goes back to
the thread.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import View
from wagtail.actions import action_registry
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from ..actions import ActionNotPossible, InboxPermissionError, person
from ..models import Conversation, Note
from .thread import thread_queryset


class ConversationActionView(PermissionCheckedMixin, View):
    http_method_names = ["post"]
    permission_policy = ModelPermissionPolicy(Conversation)
    permission_required = "change"
    action_name = None

    @cached_property
    def conversation(self):
        return get_object_or_404(thread_queryset(self.request.user), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def action_kwargs(self):
        return {}

    def success_message(self, result):
        return ""

    def post(self, request, *args, **kwargs):
        conversation = self.conversation
        action_class = action_registry.get_action_class(Conversation, self.action_name)
        try:
            result = action_class(conversation, user=request.user, **self.action_kwargs()).execute()
        except ActionNotPossible as refusal:
            messages.error(request, refusal.message)
        except InboxPermissionError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, self.success_message(result))
        return redirect("conversations:thread", conversation.pk)


class SetStatusView(ConversationActionView):
    action_name = "set_status"

    def action_kwargs(self):
        return {"status": self.request.POST.get("status", "")}

    def success_message(self, result):
        return _("The status is now '%(status)s'.") % {"status": result.get_status_display()}


class AssignView(ConversationActionView):
    action_name = "assign"

    def action_kwargs(self):
        value = self.request.POST.get("assignee", "")
        if value == "me":
            return {"assignee": self.request.user}
        if value in ("", "nobody"):
            return {"assignee": None}
        found = person(value) if value.isdigit() else None
        if found is None:
            raise ActionNotPossible(_("Choose a person who may read this account."))
        return {"assignee": found}

    def success_message(self, result):
        if result.assignee_id is None:
            return _("The conversation is assigned to nobody.")
        if result.assignee_id == self.request.user.pk:
            return _("The conversation is assigned to you.")
        return _("The conversation is assigned to %(person)s.") % {
            "person": result.assignee.get_full_name() or result.assignee.get_username()
        }


class AddNoteView(ConversationActionView):
    action_name = "add_note"
    permission_policy = ModelPermissionPolicy(Note)
    permission_required = "add"

    def action_kwargs(self):
        return {"text": self.request.POST.get("text", "")}

    def success_message(self, result):
        return _("The note is added.")
