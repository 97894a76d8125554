"""Thin admin views over ``channels.actions``: every state-changing button of the channels admin.

- on a dispatch (the failed report and the detail view): "Retry", "Mark as sent", "Mark as removed";
- on a story: "Remove everywhere" (confirm, then retract every sent post);
- on an account: "Check connection".

Each view checks the model permission with Wagtail's ``PermissionCheckedMixin`` (a page's "publish"
permission for "Remove everywhere", checked by its action), then lets the action check and execute.
Everything that changes state is a POST with Django's CSRF check. A refusal is a 403 with a sentence,
as these views always answered ("Check connection" keeps Wagtail's redirect to the dashboard).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.actions import action_registry
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

from .actions import ActionNotPossible, posts_out
from .forms import MarkSentForm
from .models import ChannelAccount, Dispatch


def get_action(instance, action_name, user, **kwargs):
    """The action registered for the instance's model in Wagtail's action registry, for ``user``."""
    action_class = action_registry.get_action_class(type(instance), action_name)
    if action_class is None:
        raise Http404
    return action_class(instance, user=user, **kwargs)


def dispatch_buttons(dispatch, user):
    """The buttons a user gets for one dispatch, each a POST form: [{"label", "url", "asks_url", "id"}].

    ``asks_url``: the form has a field for the post's address (Mark as sent).
    """
    offered = [
        ("retry", _("Retry"), "channels_admin:retry", False),
        ("mark_sent", _("Mark as sent"), "channels_admin:mark_sent", True),
        ("confirm_removal", _("Mark as removed"), "channels_admin:mark_removed", False),
    ]
    return [
        {"label": label, "url": reverse(url_name, args=[dispatch.pk]), "asks_url": asks_url, "id": dispatch.pk}
        for action_name, label, url_name, asks_url in offered
        if get_action(dispatch, action_name, user).is_offered()
    ]


def safe_next_url(request, *, or_query=False):
    """The form's ``next`` address (or, ``or_query``, the query's), if it stays on this site; else ''."""
    target = request.POST.get("next", "") or (request.GET.get("next", "") if or_query else "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


class RefusalIs403Mixin:
    """A ``PermissionDenied`` becomes a 403 with its sentence (not Wagtail's redirect to the dashboard)."""

    refusal_is_403 = True

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as error:
            if not self.refusal_is_403:
                raise
            return HttpResponseForbidden(
                getattr(error, "message", None) or _("You do not have permission to do this.")
            )


class ActionView(RefusalIs403Mixin, PermissionCheckedMixin, View):
    """The method first (405), then the permission (403 with a sentence), then the view."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class DispatchActionView(ActionView):
    """POST: run the action ``action_name`` on one dispatch, say how it went, go back where the button was."""

    permission_policy = ModelPermissionPolicy(Dispatch)
    permission_required = "change"
    action_name = None
    success_message = ""

    @cached_property
    def dispatch_object(self):
        return get_object_or_404(Dispatch.objects.select_related("account"), pk=self.kwargs["pk"])

    def default_url(self):
        return reverse("channels_admin:failed")

    def back(self):
        """Back to where the button was (the report or the detail view), never off-site."""
        return redirect(safe_next_url(self.request) or self.default_url())

    def get_action(self, **kwargs):
        return get_action(self.dispatch_object, self.action_name, self.request.user, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.run(self.get_action())

    def run(self, action):
        try:
            action.execute()
        except ActionNotPossible as refusal:
            messages.error(self.request, refusal.message)
        else:
            messages.success(self.request, self.success_message % {"dispatch": self.dispatch_object})
        return self.back()


class RetryView(DispatchActionView):
    """Put a failed, missed or blocked post back in the queue."""

    action_name = "retry"
    success_message = gettext_lazy("'%(dispatch)s' is queued again.")


class MarkRemovedView(DispatchActionView):
    """Record that a person removed a post by hand on the network."""

    action_name = "confirm_removal"
    success_message = gettext_lazy("'%(dispatch)s' is recorded as removed.")


class MarkSentView(WagtailAdminTemplateMixin, DispatchActionView):
    """GET shows the form; POST records the post's address (see ``MarkSentAction``)."""

    http_method_names = ["get", "post"]
    action_name = "mark_sent"
    success_message = gettext_lazy("'%(dispatch)s' is recorded as sent.")
    template_name = "channels/admin/mark_sent.html"
    page_title = gettext_lazy("Mark as sent")
    header_icon = "success"

    def get_breadcrumbs_items(self):
        dispatch = self.dispatch_object
        return self.breadcrumbs_items + [
            {"url": reverse("channels_admin:failed"), "label": _("Failed posts and removals")},
            {"url": reverse("channel_dispatches:inspect", args=[dispatch.pk]), "label": str(dispatch)},
            {"url": "", "label": self.get_page_title()},
        ]

    def default_url(self):
        return reverse("channel_dispatches:inspect", args=[self.dispatch_object.pk])

    def get(self, request, *args, **kwargs):
        return self.form_or_refusal(MarkSentForm())

    def post(self, request, *args, **kwargs):
        form = MarkSentForm(request.POST)
        if not form.is_valid():
            return self.form_or_refusal(form)
        return self.run(self.get_action(remote_url=form.cleaned_data["remote_url"]))

    def form_or_refusal(self, form):
        try:
            self.get_action().check()
        except ActionNotPossible as refusal:
            messages.error(self.request, refusal.message)
            return self.back()
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dispatch = self.dispatch_object
        context.update(
            dispatch=dispatch,
            next_url=safe_next_url(self.request, or_query=True),
            detail_url=self.default_url(),
            profile_url=dispatch.account.profile_url,
        )
        return context


class RemoveEverywhereView(WagtailAdminTemplateMixin, ActionView):
    """Confirm (GET), then retract every sent post of the story (POST).

    The permission is the story's own ("publish"), so ``RemoveEverywhereAction`` checks it on both.
    """

    http_method_names = ["get", "post"]
    page_title = gettext_lazy("Remove everywhere")
    header_icon = "bin"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.page.pk]),
                "label": self.page.get_admin_display_title(),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def page(self):
        return get_object_or_404(Page, pk=self.kwargs["page_id"]).specific

    @cached_property
    def action(self):
        return get_action(self.page, "remove_everywhere", self.request.user)

    def get(self, request, *args, **kwargs):
        self.action.check()
        self.template_name = "channels/admin/remove_everywhere_confirm.html"
        return self.render_to_response(self.get_context_data(posts=posts_out(self.page).select_related("account")))

    def post(self, request, *args, **kwargs):
        outcome = self.action.execute()
        self.template_name = "channels/admin/remove_everywhere_done.html"
        return self.render_to_response(self.get_context_data(**outcome, failed_url=reverse("channels_admin:failed")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = self.page
        context["edit_url"] = reverse("wagtailadmin_pages:edit", args=[self.page.pk])
        return context


class CheckConnectionView(ActionView):
    """POST: ask the network whether the account works; store and show the outcome."""

    permission_policy = ModelPermissionPolicy(ChannelAccount)
    permission_required = "change"
    refusal_is_403 = False  # Wagtail's answer: back to the dashboard with a message

    def post(self, request, pk):
        account = get_object_or_404(ChannelAccount, pk=pk)
        ok, message = get_action(account, "check_connection", request.user).execute()
        if ok:
            messages.success(request, _("Connected to %(name)s. %(message)s") % {"name": account, "message": message})
        else:
            messages.error(request, _("Checking %(name)s failed: %(message)s") % {"name": account, "message": message})
        return redirect("channel_accounts:edit", account.pk)
