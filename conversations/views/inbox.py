"""The inbox listing: one row per conversation of the accounts the reader may read.

Wagtail's generic ``IndexView`` (header, listing table, filters in the sidebar from
``conversations.filters``). A row shows the flags with the guard's reasons in words, a crisis as a
labelled badge and a marked row (not by colour alone), the account, network, kind (listening is
marked "not addressed to us"), story, the first words of the latest incoming message, status,
assignee, language and the last message's time in the organisation's zone.

The page reads in a constant number of queries: the first words come from a subquery, the related
rows from ``select_related``, and the reasons of every flagged row of the page in one query, read by
the flags column on its first cell (as the consent column of the page explorer does).
"""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BaseColumn, Column, Table
from wagtail.admin.views.generic import IndexView

from ..filters import ConversationFilterSet
from ..guard.reasons import shown as shown_reasons
from ..models import Conversation, Label, Message
from .display import label_names, language_name, local_datetime, network_name, person_name

SNIPPET_LENGTH = 120


def latest_incoming(field):
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.IN)
        .order_by("-created_at", "-pk")
        .values(field)[:1]
    )


def inbox_queryset(user):
    """The conversations ``user`` may read, with what a row shows, in one query."""
    return (
        Conversation.objects.visible_to(user)
        .select_related("account", "story", "assignee")
        .annotate(latest_text=Substr(latest_incoming("text"), 1, SNIPPET_LENGTH + 1))
    )


def first_words(text):
    text = " ".join((text or "").split())
    if len(text) <= SNIPPET_LENGTH:
        return text
    return text[:SNIPPET_LENGTH].rsplit(" ", 1)[0] + "…"


def reasons_by_conversation(conversation_ids):
    """``{conversation id: [reason, ...]}`` of the incoming messages' guard reasons, in one query."""
    found = {}
    rows = Message.objects.filter(conversation_id__in=conversation_ids, direction=Message.Direction.IN)
    for conversation_id, reasons in rows.exclude(labels=[]).values_list("conversation_id", "reasons"):
        bucket = found.setdefault(conversation_id, [])
        for reason in shown_reasons(reasons or ()):
            if reason not in bucket:
                bucket.append(reason)
    return found


class ConversationColumn(BaseColumn):
    """The title cell: a crisis badge, the flags with their reasons, the first words, linked to the thread."""

    cell_template_name = "conversations/admin/cells/conversation.html"

    def table_reasons(self, table):
        found = getattr(table, "_inbox_reasons", None)
        if found is None:
            flagged = [row.pk for row in table.data if row.flagged]
            found = table._inbox_reasons = reasons_by_conversation(flagged) if flagged else {}
        return found

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["conversation"] = instance
        context["url"] = reverse("conversations:thread", args=[instance.pk])
        context["snippet"] = first_words(getattr(instance, "latest_text", ""))
        context["flags"] = label_names([label for label in instance.labels or () if label != Label.CRISIS])
        context["reasons"] = self.table_reasons(parent_context["table"]).get(instance.pk, [])
        return context


class KindColumn(BaseColumn):
    cell_template_name = "conversations/admin/cells/kind.html"


class StatusColumn(BaseColumn):
    cell_template_name = "conversations/admin/cells/status.html"


class InboxTable(Table):
    """Crisis rows carry a class and a data attribute besides their labelled badge."""

    def get_row_attrs(self, instance):
        attrs = super().get_row_attrs(instance)
        if instance.crisis:
            attrs["class"] = (attrs.get("class", "") + " inbox-row--crisis").strip()
            attrs["data-crisis"] = "true"
        return attrs


def inbox_columns():
    return [
        ConversationColumn("conversation", label=_("Conversation"), width="30%"),
        Column("account", label=_("Account"), accessor=lambda c: c.account.name),
        Column("network", label=_("Network"), accessor=lambda c: network_name(c.account.kind)),
        KindColumn("kind", label=_("Kind")),
        Column("story", label=_("Story"), accessor=lambda c: c.story.title if c.story_id else ""),
        StatusColumn("status", label=_("Status"), sort_key="status"),
        Column("assignee", label=_("Assigned to"), accessor=lambda c: person_name(c.assignee)),
        Column("language", label=_("Language"), accessor=lambda c: language_name(c.language)),
        Column(
            "last_message_at",
            label=_("Last message"),
            accessor=lambda c: local_datetime(c.last_message_at),
            sort_key="last_message_at",
        ),
    ]


class InboxIndexView(IndexView):
    """The inbox: readable by whoever may view conversations; the rows are those of their accounts."""

    any_permission_required = ["view"]
    filterset_class = ConversationFilterSet
    table_class = InboxTable
    default_ordering = "-last_message_at"
    page_title = _("Inbox")
    paginate_by = 50

    @property
    def columns(self):
        return inbox_columns()

    def get_base_queryset(self):
        return inbox_queryset(self.request.user)

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        # A stable order under equal times (bulk-loaded rows share theirs).
        ordering = list(queryset.query.order_by) or ["-last_message_at"]
        if "-pk" not in ordering and "pk" not in ordering:
            ordering.append("-pk")
        return queryset.order_by(*ordering)

    def get_valid_orderings(self):
        return ["last_message_at", "-last_message_at", "status", "-status"]

    @property
    def header_buttons(self):
        return []
