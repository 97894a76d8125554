"""The response-time report: median and 90th percentile per account and ISO week, unanswered apart, export."""

import datetime

import pytest
from django.urls import reverse

from conversations.models import Conversation
from conversations.report import percentile_90, response_rows
from conversations.views.display import duration_in_words

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # ISO week 2026-W10


@pytest.fixture
def answered(account, make_conversation):
    """Ten conversations answered after 1, 2, ..., 10 hours, and two not answered, in week 10."""
    for hours in range(1, 11):
        make_conversation(account, first_message_at=MONDAY, first_reply_at=MONDAY + datetime.timedelta(hours=hours))
    for _ in range(2):
        make_conversation(account, first_message_at=MONDAY + datetime.timedelta(days=1))
    # The next week: one answered after 30 minutes.
    make_conversation(
        account,
        first_message_at=MONDAY + datetime.timedelta(days=7),
        first_reply_at=MONDAY + datetime.timedelta(days=7, minutes=30),
    )
    return account


def test_median_and_p90_on_known_data(answered, in_english):
    rows = response_rows(Conversation.objects.all())
    week10 = next(row for row in rows if row["week"] == "2026-W10")
    assert week10["answered"] == 10 and week10["unanswered"] == 2
    assert week10["median_seconds"] == 5.5 * 3600  # the mean of 5 and 6 hours
    assert week10["p90_seconds"] == pytest.approx(9.1 * 3600)  # PERCENTILE.INC
    assert week10["median"] == "5 hours 30 minutes"
    assert week10["p90"] == "9 hours 6 minutes"
    week11 = next(row for row in rows if row["week"] == "2026-W11")
    assert (week11["answered"], week11["median"], week11["p90"], week11["unanswered"]) == (
        1,
        "30 minutes",
        "30 minutes",
        0,
    )
    assert [row["week"] for row in rows] == ["2026-W11", "2026-W10"]


def test_weeks_are_the_organisations():
    # Sunday 23:30 UTC is Monday 00:30 in Amsterdam: the next ISO week there.
    from conversations.report import iso_week

    assert iso_week(datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)) == "2026-W10"


def test_percentiles_of_small_sets():
    assert percentile_90([]) is None and percentile_90([60]) == 60
    assert percentile_90([0, 100]) == pytest.approx(90)


def test_durations_in_words(in_english):
    assert duration_in_words(20) == "less than a minute"
    assert duration_in_words(60) == "1 minute"
    assert duration_in_words(7500) == "2 hours 5 minutes"
    assert duration_in_words(3 * 86400 + 4 * 3600) == "3 days 4 hours"


def test_the_report_page_is_a_table_of_readable_accounts(
    client_for, worker, answered, make_account, make_conversation, in_english
):
    private = make_account("Facebook directie", kind="facebook", groups=["Conversation leads"])
    make_conversation(private, first_message_at=MONDAY, first_reply_at=MONDAY + datetime.timedelta(hours=50))
    html = client_for(worker).get(reverse("conversations_report")).content.decode()
    assert "<caption" in html and 'scope="col"' in html
    assert "5 hours 30 minutes" in html and "9 hours 6 minutes" in html
    assert "Facebook directie" not in html and "2 days 2 hours" not in html


def test_the_report_exports_csv(client_for, worker, answered, in_english):
    response = client_for(worker).get(reverse("conversations_report") + "?export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("Account,Week,Answered,Median (minutes),90th percentile (minutes),Not answered yet")
    assert any(line.endswith("2026-W10,10,330,546,2") for line in lines), lines


def test_the_report_exports_xlsx(client_for, worker, answered):
    response = client_for(worker).get(reverse("conversations_report") + "?export=xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]


def test_the_report_needs_the_permission(client_for, outsider):
    assert client_for(outsider).get(reverse("conversations_report")).status_code in (302, 403)


def test_filter_by_account(client_for, lead, answered, make_account, make_conversation, in_english):
    other = make_account("Facebook zorg", kind="facebook")
    make_conversation(other, first_message_at=MONDAY, first_reply_at=MONDAY + datetime.timedelta(hours=50))
    html = client_for(lead).get(reverse("conversations_report") + f"?account={other.pk}").content.decode()
    assert "2 days 2 hours" in html and "5 hours 30 minutes" not in html
