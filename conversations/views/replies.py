"""The admin views of replying and moderating (registered by ``conversations.wagtail_hooks_replies``).

- ``ReplyView`` (GET: the reply form on its own page; POST: ``submit_reply``). A refused reply
  comes back as the same form with the reason and the text kept; a reply the guard warns about
  comes back with the warnings and a box to confirm them.
- ``ReplyDetailView`` (GET): one reply's state, warnings, error and the buttons that apply.
- ``ApproveReplyView`` (GET: confirm, POST: approve), ``RejectReplyView``, ``CancelReplyView``,
  ``RetryReplyView`` (POST): the reply's buttons, as Wagtail actions (``conversations.replies.actions``).
- ``ApprovalListView`` (GET): the replies waiting for approval that the user may approve.
- ``ModerateView`` (GET: confirm, POST: do it on the network): hide, delete, mute, block, report.

Every view checks access to the account first (``can_read``: a conversation of an account the user
cannot read is a 404, as if it did not exist), then the permission (403 with a sentence). Every
change is a POST with Django's CSRF check.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from channels.adapters.base import ChannelError

from .. import moderation
from ..access import can_read, visible_accounts
from ..models import Conversation, Message, Reply, SavedReply
from ..replies import actions, services
from ..replies.services import ReplyNeedsConfirmation, ReplyRefused


def safe_next_url(request):
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def readable_conversation(user, pk):
    """The conversation if ``user`` may read its account; else 404 (never say it exists)."""
    conversation = get_object_or_404(Conversation.objects.select_related("account"), pk=pk)
    if not can_read(user, conversation.account):
        raise Http404
    return conversation


def saved_replies_for(conversation, message):
    """The saved replies the form offers: only the neutral ones under an unsafe conversation."""
    queryset = SavedReply.objects.select_related("locale").order_by("title")
    if services.unsafe(conversation, message):
        queryset = queryset.filter(neutral=True)
    return queryset


class RefusalIs403Mixin:
    """A ``PermissionDenied`` is a 403 with its sentence (not Wagtail's redirect to the dashboard)."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as error:
            return HttpResponseForbidden(str(error) or _("You do not have permission to do this."))


class ReplyForm(forms.Form):
    in_reply_to = forms.ModelChoiceField(queryset=Message.objects.none(), widget=forms.HiddenInput)
    saved_reply = forms.ModelChoiceField(
        label=gettext_lazy("Saved reply"), queryset=SavedReply.objects.none(), required=False
    )
    text = forms.CharField(
        label=gettext_lazy("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 5}), strip=True
    )
    private = forms.BooleanField(
        label=gettext_lazy("Answer privately (a direct message)"),
        required=False,
        help_text=gettext_lazy("Only the person you answer sees it."),
    )
    confirm_warnings = forms.BooleanField(
        label=gettext_lazy("I have read the warnings and want to send this reply."), required=False
    )

    def __init__(self, *args, conversation, message=None, can_reply_privately=False, private_refusal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.conversation = conversation
        self.fields["in_reply_to"].queryset = conversation.messages.filter(
            direction=Message.Direction.IN, deleted=False
        )
        self.fields["saved_reply"].queryset = saved_replies_for(conversation, message)
        self.unsafe = services.unsafe(conversation, message)
        if self.unsafe:
            self.fields["saved_reply"].help_text = _(
                "This conversation is about someone's health: only neutral saved replies may be posted in public."
            )
        # Offered where the network can answer this message privately now; where it could but
        # cannot now (a setting, a time window, once per comment), the form says why.
        self.private_refusal = private_refusal if can_reply_privately else None
        if not can_reply_privately or private_refusal or conversation.kind == Conversation.Kind.DIRECT:
            del self.fields["private"]
        self.warnings = []

    def clean(self):
        data = super().clean()
        if not data.get("text") and not data.get("saved_reply"):
            raise forms.ValidationError(_("Write a reply or choose a saved reply."))
        return data


def latest_incoming(conversation):
    return (
        conversation.messages.filter(direction=Message.Direction.IN, deleted=False)
        .order_by("-created_at", "-pk")
        .first()
    )


class ReplyView(RefusalIs403Mixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: the reply form for one conversation; POST: make the reply."""

    template_name = "conversations/admin/replies/reply_form.html"
    page_title = gettext_lazy("Reply")
    header_icon = "comment"
    http_method_names = ["get", "post"]

    @cached_property
    def conversation(self):
        return readable_conversation(self.request.user, self.kwargs["conversation_id"])

    def check_permission(self):
        if not services.may_reply(self.request.user, self.conversation):
            raise PermissionDenied(_("You may not reply in this conversation."))

    def get_responder(self):
        try:
            return services.responder_of(self.conversation)
        except (ReplyRefused, LookupError):
            return None

    def message_from(self, data):
        pk = (data or {}).get("in_reply_to")
        if pk and str(pk).isdigit():
            found = self.conversation.messages.filter(pk=pk).first()
            if found is not None:
                return found
        return latest_incoming(self.conversation)

    def make_form(self, data=None):
        message = self.message_from(data if data is not None else self.request.GET)
        responder = self.get_responder()
        can_reply_privately = bool(responder and responder.can_reply_privately)
        return ReplyForm(
            data,
            conversation=self.conversation,
            message=message,
            can_reply_privately=can_reply_privately,
            private_refusal=responder.private_refusal(message) if can_reply_privately and message else None,
            initial={"in_reply_to": message.pk if message else None},
        ), message

    def get(self, request, *args, **kwargs):
        self.check_permission()
        form, message = self.make_form()
        return self.render_to_response(self.get_context_data(form=form, message=message))

    def post(self, request, *args, **kwargs):
        self.check_permission()
        form, message = self.make_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reply = services.submit_reply(
                    self.conversation,
                    data["in_reply_to"],
                    data["text"],
                    request.user,
                    saved_reply=data["saved_reply"],
                    private=data.get("private", False),
                    confirm_warnings=data["confirm_warnings"],
                )
            except ReplyNeedsConfirmation as warning:
                form.warnings = warning.warnings
                form.add_error(None, _("Confirm the warnings below to send this reply."))
            except ReplyRefused as refusal:
                for reason in refusal.messages:
                    form.add_error(None, reason)
            else:
                if reply.state == Reply.State.AWAITING_APPROVAL:
                    messages.success(request, _("The reply waits for approval by a second person."))
                else:
                    messages.success(request, _("The reply is being sent."))
                return redirect(safe_next_url(request) or reverse("conversations_replies:detail", args=[reply.pk]))
        return self.render_to_response(self.get_context_data(form=form, message=message), status=200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            conversation=self.conversation,
            next_url=safe_next_url(self.request),
            recent=list(self.conversation.messages.order_by("-created_at", "-pk")[:5])[::-1],
        )
        return context


class ReplyObjectMixin(RefusalIs403Mixin):
    @cached_property
    def reply(self):
        reply = get_object_or_404(
            Reply.objects.select_related("conversation__account", "in_reply_to", "created_by", "approved_by"),
            pk=self.kwargs["pk"],
        )
        if not can_read(self.request.user, reply.conversation.account):
            raise Http404
        return reply

    def back(self):
        return redirect(safe_next_url(self.request) or reverse("conversations_replies:detail", args=[self.reply.pk]))


class ReplyDetailView(ReplyObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "conversations/admin/replies/reply_detail.html"
    page_title = gettext_lazy("Reply")
    header_icon = "comment"

    def get(self, request, *args, **kwargs):
        if not request.user.has_perm("conversations.view_conversation") and not request.user.is_superuser:
            raise PermissionDenied
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            reply=self.reply,
            buttons=[
                {"action": name, "label": label, "url": reverse(f"conversations_replies:{name}", args=[self.reply.pk])}
                for name, label in actions.BUTTONS
                if actions.get_action(self.reply, name, user).is_offered()
            ],
        )
        return context


class ReplyActionView(ReplyObjectMixin, View):
    """POST: one button on a reply (see ``conversations.replies.actions``)."""

    http_method_names = ["post"]
    action_name = ""
    success_message = ""

    def post(self, request, *args, **kwargs):
        action = actions.get_action(self.reply, self.action_name, request.user)
        try:
            action.execute()
        except ReplyRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, self.success_message)
        return self.back()


class RejectReplyView(ReplyActionView):
    action_name = "reject"
    success_message = gettext_lazy("The reply was not approved; it will not be sent.")


class CancelReplyView(ReplyActionView):
    action_name = "cancel"
    success_message = gettext_lazy("The reply is cancelled.")


class RetryReplyView(ReplyActionView):
    action_name = "retry"
    success_message = gettext_lazy("The reply is being sent again.")


class ApproveReplyView(ReplyObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: the reply, its warnings and the message it answers, to approve; POST: approve."""

    template_name = "conversations/admin/replies/approve.html"
    page_title = gettext_lazy("Approve a reply")
    header_icon = "tick"
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        action = actions.get_action(self.reply, "approve", request.user)
        action.check()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        try:
            actions.get_action(self.reply, "approve", request.user).execute()
        except ReplyRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The reply is approved and being sent."))
        return self.back()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(reply=self.reply, next_url=safe_next_url(self.request))
        return context


class ApprovalListView(RefusalIs403Mixin, WagtailAdminTemplateMixin, TemplateView):
    """The replies waiting for approval in the accounts the user reads (not their own)."""

    template_name = "conversations/admin/replies/approvals.html"
    page_title = gettext_lazy("Replies waiting for approval")
    header_icon = "tick"

    def get(self, request, *args, **kwargs):
        if not request.user.has_perm("conversations.approve_reply"):
            raise PermissionDenied(_("You may not approve replies."))
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["replies"] = list(
            Reply.objects.filter(state=Reply.State.AWAITING_APPROVAL, conversation__account__in=visible_accounts(user))
            .exclude(created_by=user)
            .select_related("conversation__account", "created_by", "in_reply_to")
            .order_by("created_at")[:200]
        )
        return context


class ModerateView(RefusalIs403Mixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: confirm one moderation action on a message; POST: do it on the network."""

    template_name = "conversations/admin/replies/moderate_confirm.html"
    page_title = gettext_lazy("Moderate")
    header_icon = "warning"
    http_method_names = ["get", "post"]

    @cached_property
    def message(self):
        message = get_object_or_404(
            Message.objects.select_related("account", "conversation__dispatch"), pk=self.kwargs["message_id"]
        )
        if not can_read(self.request.user, message.account):
            raise Http404
        return message

    @cached_property
    def option(self):
        if self.kwargs["action"] not in moderation.ACTIONS:
            raise Http404
        return moderation.option(self.message, self.kwargs["action"])

    def check(self):
        if not moderation.may_moderate(self.request.user, self.message):
            raise PermissionDenied(_("You may not moderate in this conversation."))

    def back(self):
        return redirect(
            safe_next_url(self.request) or reverse("conversations_replies:moderate_list", args=[self.message.pk])
        )

    def get(self, request, *args, **kwargs):
        self.check()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self.check()
        action = self.kwargs["action"]
        try:
            moderation.moderate(self.message, action, request.user, comment=request.POST.get("comment", ""))
        except moderation.ModerationRefused as refusal:
            messages.error(request, refusal.message)
        except ChannelError as error:
            messages.error(request, _("The network refused: %(reason)s") % {"reason": error.message})
        else:
            messages.success(request, _("Done on %(network)s.") % {"network": self.message.account.get_kind_display()})
        return self.back()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = self.kwargs.get("action")
        context.update(
            message=self.message,
            option=self.option,
            action=action,
            confirmation=moderation.CONFIRMATIONS.get(action, ""),
            next_url=safe_next_url(self.request),
        )
        return context


class ModerationListView(ModerateView):
    """GET: what can be done with one message on its network, with the reason where nothing can."""

    template_name = "conversations/admin/replies/moderation_list.html"
    http_method_names = ["get"]

    @cached_property
    def option(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["options"] = moderation_options_with_urls(self.message, safe_next_url(self.request))
        return context


def moderation_options_with_urls(message, next_url=""):
    """``moderation_options`` with the address of each action's confirmation page (for templates)."""
    options = []
    previous = ""
    for found in moderation.moderation_options(message):
        url = ""
        if found.available and found.action != "manual":
            url = reverse("conversations_replies:moderate", args=[message.pk, found.action])
        option = {**found.__dict__, "url": url}
        # One reason for two refusals (Mastodon's hide and delete) is said once.
        if option["explanation"] and str(option["explanation"]) == previous:
            option["explanation"] = ""
        else:
            previous = str(option["explanation"] or "")
        options.append(option)
    return options
