"""The dashboard's inbox panel: unanswered crises first, open counts per readable account, constant queries."""

import pytest
from django.urls import reverse

from conversations.dashboard import inbox_panel
from conversations.models import Conversation

pytestmark = pytest.mark.django_db


def counts_by_account(user):
    return {
        row["account__name"]: (row["new"], row["assigned"], row["waiting"], row["flagged"])
        for row in inbox_panel(user).counts
    }


def test_counts_per_account_and_unanswered_crises(worker, lead, make_account, make_conversation):
    ours = make_account("Mastodon zorg")
    private = make_account("Facebook directie", kind="facebook", groups=["Conversation leads"])
    make_conversation(ours)
    make_conversation(ours, labels=["medical_question"])
    make_conversation(ours, status=Conversation.Status.WAITING, assignee=worker)
    make_conversation(ours, status=Conversation.Status.ASSIGNED, assignee=worker)
    make_conversation(ours, status=Conversation.Status.CLOSED, labels=["complaint"])
    open_crisis = make_conversation(ours, labels=["crisis"])
    make_conversation(ours, labels=["crisis"], status=Conversation.Status.ANSWERED)
    make_conversation(private, labels=["crisis"])
    assert counts_by_account(worker) == {"Mastodon zorg": (3, 1, 1, 2)}
    assert [c.pk for c in inbox_panel(worker).crises] == [open_crisis.pk]
    assert set(counts_by_account(lead)) == {"Mastodon zorg", "Facebook directie"}
    assert len(inbox_panel(lead).crises) == 2


def test_the_panel_on_the_dashboard(client_for, worker, account, make_conversation, in_english):
    crisis = make_conversation(account, labels=["crisis"])
    html = client_for(worker).get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="inbox-overview-section"' in html
    crises = html.split("data-inbox-crises", 1)[1].split("</table>", 1)[0]
    assert reverse("conversations:thread", args=[crisis.pk]) in crises and "Crisis" in crises
    assert html.index("data-inbox-crises") < html.index("data-inbox-counts")


def test_no_panel_for_those_who_read_no_account(client_for, other_team, outsider, account, make_conversation):
    make_conversation(account, labels=["crisis"])
    assert inbox_panel(other_team) is None and inbox_panel(outsider) is None
    assert 'id="inbox-overview-section"' not in client_for(outsider).get(reverse("wagtailadmin_home")).content.decode()


def test_the_panel_reads_in_constant_queries(
    worker, make_account, make_conversation, django_assert_num_queries, django_assert_max_num_queries
):
    accounts = [make_account(f"Account {n}") for n in range(2)]
    for account in accounts:
        make_conversation(account, labels=["crisis"])
    worker.has_perm("conversations.view_conversation")  # the permission cache, as in a request
    with django_assert_num_queries(3):
        panel = inbox_panel(worker)
        panel.get_context_data({})
    accounts += [make_account(f"Account {n}") for n in range(2, 12)]
    for account in accounts:
        for _ in range(3):
            make_conversation(account, labels=["crisis"])
    with django_assert_num_queries(3):
        panel = inbox_panel(worker)
        panel.get_context_data({})
    assert len(panel.counts) == 12
