"""Admin viewsets of the channels app: accounts (channel administrators) and the dispatch log.

Accounts: the kind is chosen first (``new/?kind=mastodon``), the form shows that kind's settings
and secrets (see ``channels.forms``), secrets are never rendered back, and an account with
dispatches cannot be deleted (deactivate it instead). Wagtail's audit log records create, edit
and delete with the account's name only.

The dispatch log is read-only: an index with filters and a detail view with the dispatch's events.
The buttons that change state ("Check connection" on an account; Retry, Mark as sent and Mark as
removed on a dispatch) are thin views over ``channels.actions``, in ``channels.admin_views``.
"""

import django_filters
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page

from .actions import ActionNotPossible
from .adapters import kind_choices
from .admin_display import LinkColumn, local_datetime
from .admin_views import CheckConnectionView, dispatch_buttons
from .forms import ChannelAccountForm, valid_kind
from .models import ChannelAccount, Dispatch

# -- accounts ---------------------------------------------------------------------------------


class AccountCreateView(CreateView):
    """Step one without ``?kind=``: choose the network. Step two: that network's form."""

    kind_template_name = "channels/admin/account_choose_kind.html"

    @cached_property
    def kind(self):
        kind = self.request.GET.get("kind", "")
        return kind if valid_kind(kind) else None

    def get(self, request, *args, **kwargs):
        if self.kind is None:
            return self.choose_kind()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.kind is None:
            return self.choose_kind()
        return super().post(request, *args, **kwargs)

    def choose_kind(self):
        base = reverse(self.add_url_name)
        kinds = [{"label": label, "url": f"{base}?kind={kind}"} for kind, label in kind_choices()]
        context = {
            "kinds": kinds,
            "page_title": _("Add a channel account"),
            "header_title": _("Add a channel account"),
            "header_icon": "site",
            "breadcrumbs_items": self.get_breadcrumbs_items(),
            "index_url": reverse(self.index_url_name),
        }
        return TemplateResponse(self.request, self.kind_template_name, context)

    def get_add_url(self):
        return super().get_add_url() + f"?kind={self.kind}"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["kind"] = self.kind
        return kwargs

    def get_page_subtitle(self):
        return dict(kind_choices()).get(self.kind, "")

    def get_success_url(self):
        # Straight to the edit view, where "Check connection" is.
        return reverse(self.edit_url_name, args=[self.object.pk])


class AccountEditView(EditView):
    template_name = "channels/admin/account_edit.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["kind"] = self.object.kind
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.object
        context["check_url"] = reverse("channel_accounts:check", args=[self.object.pk])
        context["kind_label"] = dict(kind_choices()).get(self.object.kind, self.object.kind)
        return context


class AccountDeleteView(DeleteView):
    """Refuses while the account has dispatches (``channels.actions.AccountDeleteAction``)."""

    template_name = "channels/admin/account_delete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["has_dispatches"] = self.object.dispatches.exists()
        context["edit_url"] = reverse(self.edit_url_name, args=[self.object.pk])
        return context

    def form_valid(self, form):
        try:
            # Before Wagtail's own refusal of a protected object (a bare "no permission").
            self.action_class(self.object, user=self.request.user).check(skip_permission_checks=True)
            return super().form_valid(form)
        except ActionNotPossible as refusal:
            messages.error(self.request, refusal.message)
            return redirect(self.edit_url_name, self.object.pk)


class ChannelAccountViewSet(ModelViewSet):
    """Social and webhook accounts, managed by channel administrators only."""

    model = ChannelAccount
    icon = "site"
    menu_label = gettext_lazy("Accounts")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    form_fields = ["name", "active", "token_expires_at"]
    list_display = [
        "name",
        Column("kind", label=gettext_lazy("Network"), accessor="get_kind_display"),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("display_name", label=gettext_lazy("Name on the network")),
        Column(
            "token_expires_at",
            label=gettext_lazy("Token expires"),
            accessor=lambda account: local_datetime(account.token_expires_at),
        ),
        Column(
            "last_checked_at",
            label=gettext_lazy("Last checked"),
            accessor=lambda account: local_datetime(account.last_checked_at),
        ),
        Column("active", label=gettext_lazy("Active")),
    ]
    list_filter = ["kind", "status", "active"]
    # Never exported: the listing holds nothing secret, but keep exports off entirely.
    list_export = []

    add_view_class = AccountCreateView
    edit_view_class = AccountEditView
    delete_view_class = AccountDeleteView

    def get_form_class(self, for_update=False):
        return ChannelAccountForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("check/<int:pk>/", CheckConnectionView.as_view(), name="check")]


channel_account_viewset = ChannelAccountViewSet("channel_accounts", url_prefix="channels/accounts")


# -- the dispatch log -------------------------------------------------------------------------


RETRACTION_FILTER_CHOICES = [
    ("none", gettext_lazy("Not removed")),
    *[(value, label) for value, label in Dispatch.Retraction.choices if value],
]


def pages_with_dispatches(request=None):
    return Page.objects.filter(pk__in=Dispatch.objects.values("page_id")).order_by("title")


class DispatchFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label=gettext_lazy("State"), choices=Dispatch.State.choices)
    account = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Channel"), queryset=ChannelAccount.objects.all(), empty_label=gettext_lazy("All")
    )
    page = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Story"), queryset=pages_with_dispatches, empty_label=gettext_lazy("All")
    )
    scheduled_for = django_filters.DateFromToRangeFilter(label=gettext_lazy("Post at"), widget=DateRangePickerWidget)
    retraction = django_filters.ChoiceFilter(
        label=gettext_lazy("Removal"), choices=RETRACTION_FILTER_CHOICES, method="filter_retraction"
    )

    class Meta:
        model = Dispatch
        fields = ["state", "account", "page", "scheduled_for", "retraction"]

    def filter_retraction(self, queryset, name, value):
        if value == "none":
            return queryset.filter(retraction=Dispatch.Retraction.NONE)
        return queryset.filter(retraction=value)


class DispatchIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("account")


class DispatchDetailView(InspectView):
    template_name = "channels/admin/dispatch_detail.html"

    def get_fields(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dispatch = self.object
        context["dispatch"] = dispatch
        context["events"] = dispatch.events.select_related("actor")
        context["rows"] = [
            (_("Story"), dispatch.page_title),
            (_("Channel"), dispatch.account),
            (_("State"), dispatch.get_state_display()),
            (_("Post at"), local_datetime(dispatch.scheduled_for)),
            (_("Sent"), local_datetime(dispatch.sent_at)),
            (_("Attempts"), dispatch.attempts),
            (_("Next attempt"), local_datetime(dispatch.next_attempt_at)),
            (_("Last error"), dispatch.last_error),
            (_("Removal"), dispatch.get_retraction_display()),
            (_("Removal error"), dispatch.retract_error),
            (_("Removed"), local_datetime(dispatch.retracted_at)),
            (_("Content version"), dispatch.content_hash[:12]),
        ]
        context["actions"] = dispatch_buttons(dispatch, self.request.user)
        context["zone"] = settings.TIME_ZONE
        return context


class DispatchViewSet(ModelViewSet):
    """The dispatch log: every post on every channel, read-only. Retry lives in the failed report."""

    model = Dispatch
    icon = "list-ul"
    menu_label = gettext_lazy("Dispatch log")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = []  # read-only: no add or edit view is routed
    list_per_page = 50
    list_display = [
        "page_title",  # the title column links to the detail view
        Column("account", label=gettext_lazy("Channel")),
        Column("state", label=gettext_lazy("State"), accessor="get_state_display"),
        Column(
            "scheduled_for",
            label=gettext_lazy("Post at"),
            accessor=lambda dispatch: local_datetime(dispatch.scheduled_for),
            sort_key="scheduled_for",
        ),
        Column("attempts", label=gettext_lazy("Attempts")),
        Column(
            "last_error",
            label=gettext_lazy("Last error"),
            accessor=lambda dispatch: (
                (dispatch.last_error[:120] + "…") if len(dispatch.last_error) > 120 else dispatch.last_error
            ),
        ),
        LinkColumn("remote_url", label=gettext_lazy("Post"), text=gettext_lazy("View post")),
        Column("retraction", label=gettext_lazy("Removal"), accessor="get_retraction_display"),
    ]
    filterset_class = DispatchFilterSet
    index_view_class = DispatchIndexView
    inspect_view_class = DispatchDetailView

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        # Read-only: no add, edit, delete or history views exist.
        for name in ("add_url_name", "edit_url_name", "delete_url_name", "history_url_name", "usage_url_name"):
            view_kwargs[name] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", self.inspect_view, name="inspect"),
        ]


dispatch_viewset = DispatchViewSet("channel_dispatches", url_prefix="channels/dispatches")
