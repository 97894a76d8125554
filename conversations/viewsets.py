"""Admin viewsets of the inbox: conversations, saved replies, saved searches and who reads which account.

- ``conversation_viewset``: the inbox listing (``views.inbox``), one thread (``views.thread``) and the
  POST views over ``conversations.actions`` (``views.actions``). Read-only as a model: no add, edit
  or delete view exists; conversations come from the networks.
- ``SavedReplyViewSet``: the translatable snippet staff start replies from, with Wagtail's locale
  filter; kept by the Conversation leads (``conversations.groups``), read by everyone in the inbox.
- ``saved_search_viewset``: listening searches, kept by the Conversation leads.
- ``account_inbox_viewset``: per account, whether it is read and which groups read it; for the
  Conversation leads and the channel administrators.

The menu ("Inbox") is built in ``conversations.wagtail_hooks``; none of these adds its own item.
"""

from django import forms
from django.contrib.auth.models import Group
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import AccountInbox, Conversation, SavedReply, SavedSearch
from .views import actions as action_views
from .views.inbox import InboxIndexView
from .views.thread import ThreadView

# -- conversations ------------------------------------------------------------------------------


class ConversationViewSet(ModelViewSet):
    """The inbox: a listing with filters and one view per thread."""

    model = Conversation
    icon = "comment"
    menu_label = _("Inbox")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    form_fields = []  # never edited as a form: the actions change it
    list_per_page = 50
    ordering = "-last_message_at"
    list_export = []  # message text never leaves in a spreadsheet
    index_view_class = InboxIndexView

    @property
    def filterset_class(self):
        from .filters import ConversationFilterSet

        return ConversationFilterSet

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add_url_name", "edit_url_name", "delete_url_name", "history_url_name", "usage_url_name"):
            view_kwargs[name] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", ThreadView.as_view(), name="thread"),
            path("<int:pk>/status/", action_views.SetStatusView.as_view(), name="set_status"),
            path("<int:pk>/assign/", action_views.AssignView.as_view(), name="assign"),
            path("<int:pk>/note/", action_views.AddNoteView.as_view(), name="add_note"),
        ]


conversation_viewset = ConversationViewSet("conversations", url_prefix="inbox")


# -- saved replies ------------------------------------------------------------------------------


class SavedReplyViewSet(SnippetViewSet):
    """Saved replies per language; the neutral ones are the only ones offered under flagged messages."""

    model = SavedReply
    icon = "openquote"
    menu_label = _("Saved replies")
    add_to_admin_menu = False
    list_display = ["title", Column("neutral", label=_("Safe for health questions")), "locale"]
    list_filter = ["neutral"]
    search_fields = ["title", "text"]
    copy_view_enabled = False


# -- saved searches -----------------------------------------------------------------------------


class SavedSearchViewSet(ModelViewSet):
    model = SavedSearch
    icon = "search"
    menu_label = _("Saved searches")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    form_fields = ["name", "account", "kind", "query", "language", "active"]
    list_display = ["name", "account", Column("kind", label=_("Kind"), accessor="get_kind_display"), "query", "active"]
    list_filter = ["account", "kind", "active"]
    list_export = []


saved_search_viewset = SavedSearchViewSet("conversations_saved_searches", url_prefix="inbox/saved-searches")


# -- who reads which account --------------------------------------------------------------------


class AccountInboxPermissionPolicy(ModelPermissionPolicy):
    """Conversation leads (``change_accountinbox``) and channel administrators (who manage the accounts)."""

    def _channel_admin(self, user, actions):
        return (
            user.is_active
            and set(actions) <= {"view", "change"}
            and user.has_perm("vertel_channels.change_channelaccount")
        )

    def user_has_permission(self, user, action):
        return super().user_has_permission(user, action) or self._channel_admin(user, [action])

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, actions) or any(
            self._channel_admin(user, [action]) for action in actions
        )

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)


register_permission_policy(AccountInbox, AccountInboxPermissionPolicy(AccountInbox), exact_class=True)


class AccountInboxIndexView(IndexView):
    def get_base_queryset(self):
        from channels.models import ChannelAccount

        from .access import ensure_inbox

        # Accounts made before the inbox existed get their inbox (with the default groups) here.
        for account in ChannelAccount.objects.filter(inbox__isnull=True):
            ensure_inbox(account)
        return super().get_base_queryset().select_related("account").prefetch_related("groups")


class AccountInboxForm(forms.ModelForm):
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups with access"),
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AccountInbox._meta.get_field("groups").help_text,
    )

    class Meta:
        model = AccountInbox
        fields = ["enabled", "groups"]


class AccountInboxViewSet(ModelViewSet):
    model = AccountInbox
    icon = "group"
    menu_label = _("Who reads which account")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "account",
        Column("enabled", label=_("Read")),
        Column(
            "groups",
            label=_("Groups with access"),
            accessor=lambda inbox: ", ".join(g.name for g in inbox.groups.all()),
        ),
    ]
    list_export = []
    index_view_class = AccountInboxIndexView

    def get_form_class(self, for_update=False):
        return AccountInboxForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        # Every account has exactly one: made with the account, gone with it.
        for name in ("add_url_name", "delete_url_name", "history_url_name", "usage_url_name"):
            view_kwargs[name] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("edit/<str:pk>/", self.edit_view, name="edit"),
        ]


account_inbox_viewset = AccountInboxViewSet("conversations_account_inboxes", url_prefix="inbox/accounts")
