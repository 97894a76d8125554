"""The inbox panel of the Wagtail dashboard: unanswered crises first, then the open work per account.

One of Wagtail's dashboard panels (its ``panel`` component, its dashboard tables), shown to whoever
may read at least one account: the crisis conversations not answered yet (newest first, each linked
to its thread), and per account the user may read the count of new, assigned and waiting
conversations and of flagged open ones, and for approvers the replies waiting for them. Four queries
whatever the number of accounts or conversations.
"""

from django.db.models import Count, Q
from wagtail.admin.ui.components import Component

from .access import visible_accounts
from .models import Conversation, Reply

LIMIT = 10
OPEN = (Conversation.Status.NEW, Conversation.Status.ASSIGNED, Conversation.Status.WAITING)


def unanswered_crises(user, limit=LIMIT):
    return list(
        Conversation.objects.visible_to(user)
        .filter(crisis=True, status__in=OPEN)
        .select_related("account")
        .order_by("-last_message_at", "-pk")[:limit]
    )


def open_counts(user):
    """``[{"account__name", "new", "assigned", "waiting", "flagged"}, ...]`` of the accounts with open work."""
    rows = (
        Conversation.objects.visible_to(user)
        .filter(status__in=OPEN)
        .values("account_id", "account__name")
        .annotate(
            new=Count("pk", filter=Q(status=Conversation.Status.NEW)),
            assigned=Count("pk", filter=Q(status=Conversation.Status.ASSIGNED)),
            waiting=Count("pk", filter=Q(status=Conversation.Status.WAITING)),
            flagged=Count("pk", filter=Q(flagged=True)),
        )
        .order_by("account__name")
    )
    return list(rows)


def replies_to_approve(user):
    """How many replies wait for ``user``'s approval (none when they may not approve)."""
    if not user.has_perm("conversations.approve_reply"):
        return 0
    return (
        Reply.objects.filter(state=Reply.State.AWAITING_APPROVAL, conversation__account__in=visible_accounts(user))
        .exclude(created_by=user)
        .count()
    )


class InboxPanel(Component):
    name = "conversations_inbox"
    template_name = "conversations/admin/home_panel.html"
    order = 90  # above the consent and channel panels: a crisis comes first

    def __init__(self, crises, counts, to_approve=0):
        self.crises = crises
        self.counts = counts
        self.to_approve = to_approve

    def get_context_data(self, parent_context):
        from .views.display import local_datetime, network_name

        for conversation in self.crises:
            conversation.local_time = local_datetime(conversation.last_message_at)
            conversation.network = network_name(conversation.account.kind)
        return {"crises": self.crises, "counts": self.counts, "to_approve": self.to_approve}


def inbox_panel(user):
    """The panel for ``user``, or None when they read no account's conversations."""
    if not user.has_perm("conversations.view_conversation") or not visible_accounts(user).exists():
        return None
    crises = unanswered_crises(user)
    counts = open_counts(user)
    return InboxPanel(crises, counts, replies_to_approve(user))
