"""The consent column of the page explorer and the page search: pending, signed, expiring, withdrawn.

Wagtail 8 has no hook for the page listing's columns: its views take them from the class
attribute ``base_columns`` (``wagtail.admin.views.pages.listing``). ``add_consent_column()`` puts
one ``ConsentColumn`` into the columns of the explorer, the page listing and the page search (which
reads ``PageListingMixin.base_columns``), before "Status", once, at startup (``consent.wagtail_hooks``).
The column reads the states of all rows of the table in two queries on its first cell
(``consent.states.story_states``), so it adds no query per row.
Pages that are not patient stories have no consent and show nothing.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BaseColumn

from . import states

STATE_CLASSES = {
    states.SIGNED: "w-status--primary",
    states.EXPIRING: "",
    states.PENDING: "w-status--label",
    states.WITHDRAWN: "",
}


class ConsentColumn(BaseColumn):
    cell_template_name = "consent/admin/consent_cell.html"

    def __init__(self, name="consent", **kwargs):
        kwargs.setdefault("label", _("Consent"))
        kwargs.setdefault("width", "12%")
        super().__init__(name, **kwargs)

    def table_states(self, table):
        """The consent states of every row of ``table``, read once per table."""
        found = getattr(table, "_consent_states", None)
        if found is None:
            found = table._consent_states = states.story_states([row.pk for row in table.data])
        return found

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        state = self.table_states(parent_context["table"]).get(instance.pk)
        context["state"] = state
        context["label"] = states.LABELS.get(state, "")
        context["state_classname"] = STATE_CLASSES.get(state, "")
        return context


def add_consent_column():
    """Put the consent column into the page explorer and the page search listing (once)."""
    from wagtail.admin.views.pages.listing import ExplorableIndexView, IndexView, PageListingMixin

    # The search view builds its columns from ``PageListingMixin.base_columns`` on each request;
    # the two listing views copied that list when they were defined.
    for view in (PageListingMixin, IndexView, ExplorableIndexView):
        columns = view.base_columns
        if any(column.name == "consent" for column in columns):
            continue
        position = next((i for i, column in enumerate(columns) if column.name == "status"), len(columns))
        # A new list on the view itself: the other view's list (or a parent's) stays as it was.
        view.base_columns = [*columns[:position], ConsentColumn(), *columns[position:]]
