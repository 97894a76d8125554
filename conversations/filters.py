"""The inbox's filters, in Wagtail's filter sidebar: account, network, story, status, flag, assignee, language, kind.

Every choice list is limited to what the reader may see: the accounts they may read
(``conversations.access.visible_accounts``), the stories and people of those accounts. The
assignee filter knows two words besides people: "me" and "nobody".
"""

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.models import Page

from .access import visible_accounts
from .models import AccountInbox, Conversation, Label, Network

ME = "me"
NOBODY = "nobody"


def label_q(label):
    """Conversations whose flags include ``label`` (a JSON list; the same lookup on SQLite and PostgreSQL)."""
    if label == Label.CRISIS:
        return Q(crisis=True)
    return Q(labels__icontains=f'"{label}"')


def readers(accounts):
    """The active users who may read at least one of ``accounts`` (the people a conversation can go to)."""
    users = get_user_model().objects.filter(is_active=True)
    groups = AccountInbox.groups.through.objects.filter(accountinbox__account__in=accounts).values("group_id")
    return users.filter(
        Q(is_superuser=True)
        | Q(groups__in=groups)
        & (
            Q(
                user_permissions__codename="view_conversation",
                user_permissions__content_type__app_label="conversations",
            )
            | Q(
                groups__permissions__codename="view_conversation",
                groups__permissions__content_type__app_label="conversations",
            )
        )
    ).distinct()


def person_label(user):
    return user.get_full_name() or user.get_username()


class ConversationFilterSet(WagtailFilterSet):
    account = django_filters.ModelChoiceFilter(
        label=_("Account"), queryset=lambda request: _accounts(request), empty_label=_("All")
    )
    network = django_filters.ChoiceFilter(label=_("Network"), field_name="account__kind", choices=Network.choices)
    story = django_filters.ModelChoiceFilter(
        label=_("Story"), queryset=lambda request: _stories(request), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Conversation.Status.choices)
    flag = django_filters.ChoiceFilter(label=_("Flag"), choices=Label.choices, method="filter_flag")
    assignee = django_filters.ChoiceFilter(label=_("Assigned to"), choices=[], method="filter_assignee")
    language = django_filters.ChoiceFilter(label=_("Language"), choices=settings.LANGUAGES)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Conversation.Kind.choices)

    class Meta:
        model = Conversation
        fields = ["account", "network", "story", "status", "flag", "assignee", "language", "kind"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        people = []
        if request is not None:
            people = [(str(user.pk), person_label(user)) for user in readers(_accounts(request)).order_by("username")]
        self.filters["assignee"].extra["choices"] = [(ME, _("Me")), (NOBODY, _("Nobody")), *people]

    def filter_flag(self, queryset, name, value):
        return queryset.filter(label_q(value)) if value else queryset

    def filter_assignee(self, queryset, name, value):
        if value == ME:
            return queryset.filter(assignee=self.request.user)
        if value == NOBODY:
            return queryset.filter(assignee__isnull=True)
        if value:
            return queryset.filter(assignee_id=value)
        return queryset


def _accounts(request):
    return visible_accounts(request.user).order_by("name") if request else visible_accounts(None)


def _stories(request):
    accounts = _accounts(request)
    return Page.objects.filter(
        pk__in=Conversation.objects.filter(account__in=accounts, story__isnull=False).values("story_id")
    ).order_by("title")
