"""The inbox listing: who sees it, what a row shows, the filters, and a constant number of queries."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conversations.models import Conversation

pytestmark = pytest.mark.django_db

INDEX = "conversations:index"


def final_status(client, url):
    """The status after redirects: Django's LocaleMiddleware sends an admin 404 to its /nl/ twin first."""
    return client.get(url, follow=True).status_code


@pytest.fixture
def two_accounts(make_account, lead):
    ours = make_account("Mastodon zorg", kind="mastodon")
    # Read only by the leads: the Conversations group does not see it.
    private = make_account("Facebook directie", kind="facebook", groups=["Conversation leads"])
    return ours, private


def test_the_listing_shows_what_a_row_is_about(
    client_for, worker, account, make_conversation, make_message, in_english
):
    when = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.UTC)  # 09:30 in Amsterdam
    conversation = make_conversation(
        account, last_message_at=when, labels=["medical_question"], language="nl", assignee=worker
    )
    make_message(
        conversation,
        text="Mag ik mijn medicijnen met alcohol innemen? " + "en verder " * 30,
        labels=["medical_question"],
        reasons=["asks about medication"],
    )
    html = client_for(worker).get(reverse(INDEX)).content.decode()
    assert "Mag ik mijn medicijnen met alcohol innemen?" in html
    assert "en verder " * 20 not in html  # first words only
    assert "Medical question" in html and "asks about medication" in html
    assert "Mastodon zorg" in html and "Mastodon" in html
    assert "Wim Werker" in html
    assert "Nederlands" in html
    assert "9:30 a.m." in html  # the organisation's zone (09:30 in Amsterdam), not UTC
    assert reverse("conversations:thread", args=[conversation.pk]) in html


def test_crisis_rows_stand_out_in_words_and_listening_is_marked(
    client_for, worker, account, make_conversation, make_message, in_english
):
    crisis = make_conversation(account, labels=["crisis"])
    make_message(crisis, text="Ik wil niet meer leven", labels=["crisis"], reasons=["speaks of suicide"])
    make_conversation(account, kind=Conversation.Kind.LISTENING)
    html = client_for(worker).get(reverse(INDEX)).content.decode()
    assert re.search(r'<tr[^>]*data-crisis="true"', html)
    badge = re.search(r'data-flag="crisis">(.*?)</span>', html, re.S).group(1)
    assert "Crisis" in badge  # a word, not only a colour
    assert "speaks of suicide" in html
    assert "Not addressed to us" in html


def test_only_the_accounts_the_user_may_read(client_for, worker, lead, two_accounts, make_conversation, make_message):
    ours, private = two_accounts
    make_message(make_conversation(ours), text="Over de parkeerplaats")
    hidden = make_conversation(private)
    make_message(hidden, text="Vertrouwelijk bericht aan de directie")
    seen_by_worker = client_for(worker).get(reverse(INDEX)).content.decode()
    assert "Over de parkeerplaats" in seen_by_worker
    assert "Vertrouwelijk bericht" not in seen_by_worker
    assert "Facebook directie" not in seen_by_worker  # not even in the account filter
    assert final_status(client_for(worker), reverse("conversations:thread", args=[hidden.pk])) == 404
    seen_by_lead = client_for(lead).get(reverse(INDEX)).content.decode()
    assert "Vertrouwelijk bericht" in seen_by_lead and "Over de parkeerplaats" in seen_by_lead


def test_without_permission_wagtail_refuses(client_for, outsider, account, make_conversation):
    conversation = make_conversation(account)
    for url in (reverse(INDEX), reverse("conversations:thread", args=[conversation.pk])):
        response = client_for(outsider).get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")


def test_a_group_that_reads_no_account_sees_an_empty_inbox_and_404s(
    client_for, other_team, account, make_conversation, make_message
):
    conversation = make_conversation(account)
    make_message(conversation, text="Alleen voor het eigen team")
    response = client_for(other_team).get(reverse(INDEX))
    assert response.status_code == 200 and "Alleen voor het eigen team" not in response.content.decode()
    assert final_status(client_for(other_team), reverse("conversations:thread", args=[conversation.pk])) == 404


def test_anonymous_is_sent_to_the_login(client, account, make_conversation):
    response = client.get(reverse(INDEX))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.fixture
def varied(make_account, make_conversation, make_message, worker, lead):
    masto = make_account("Mastodon zorg", kind="mastodon")
    face = make_account("Facebook zorg", kind="facebook")
    found = {
        "new_nl": make_conversation(masto, language="nl"),
        "mine": make_conversation(masto, assignee=worker, status=Conversation.Status.ASSIGNED, language="en"),
        "lead": make_conversation(face, assignee=lead, status=Conversation.Status.WAITING),
        "medical": make_conversation(face, labels=["medical_question", "health_disclosure"]),
        "crisis": make_conversation(masto, labels=["crisis"]),
        "listening": make_conversation(masto, kind=Conversation.Kind.LISTENING),
        "closed": make_conversation(face, status=Conversation.Status.CLOSED),
    }
    for name, conversation in found.items():
        make_message(conversation, text=f"bericht-{name}-einde")
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=waiting", {"lead"}),
        ("status=closed", {"closed"}),
        ("flag=medical_question", {"medical"}),
        ("flag=health_disclosure", {"medical"}),
        ("flag=crisis", {"crisis"}),
        ("assignee=me", {"mine"}),
        ("assignee=nobody", {"new_nl", "medical", "crisis", "listening", "closed"}),
        ("language=en", {"mine"}),
        ("kind=listening", {"listening"}),
        ("network=facebook", {"lead", "medical", "closed"}),
    ],
)
def test_filters(client_for, worker, varied, query, expected):
    html = client_for(worker).get(f"{reverse(INDEX)}?{query}").content.decode()
    shown = {name for name in varied if f"bericht-{name}-einde" in html}
    assert shown == expected, query


def test_filter_by_account_story_and_a_person(client_for, worker, lead, varied):
    face = varied["lead"].account
    html = client_for(worker).get(f"{reverse(INDEX)}?account={face.pk}").content.decode()
    assert {name for name in varied if f"bericht-{name}-einde" in html} == {"lead", "medical", "closed"}
    html = client_for(worker).get(f"{reverse(INDEX)}?assignee={lead.pk}").content.decode()
    assert {name for name in varied if f"bericht-{name}-einde" in html} == {"lead"}


def test_filter_by_story(client_for, worker, account, make_conversation, make_message, make_org_story):
    story = make_org_story("Nieuwe MRI-scanner")
    make_message(make_conversation(account, story=story), text="over-de-scanner")
    make_message(make_conversation(account), text="over-iets-anders")
    html = client_for(worker).get(f"{reverse(INDEX)}?story={story.pk}").content.decode()
    assert "over-de-scanner" in html and "over-iets-anders" not in html
    assert "Nieuwe MRI-scanner" in html


def _fill(account, make_conversation, make_message, count, worker):
    for n in range(count):
        conversation = make_conversation(
            account, labels=["medical_question"] if n % 3 == 0 else [], assignee=worker if n % 2 else None
        )
        make_message(conversation, text=f"vraag {n}", labels=conversation.labels, reasons=["asks about medication"])


def _queries_for_listing(client, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(reverse(INDEX))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_listing_reads_in_constant_queries(
    client_for, worker, make_account, make_conversation, make_message, django_assert_max_num_queries
):
    client = client_for(worker)
    account = make_account()
    _fill(account, make_conversation, make_message, 5, worker)
    client.get(reverse(INDEX))  # warm up: content types, the session
    few = _queries_for_listing(client, django_assert_max_num_queries, 40)
    _fill(account, make_conversation, make_message, 45, worker)
    many = _queries_for_listing(client, django_assert_max_num_queries, few)
    assert many == few


def test_fifty_thousand_conversations_cost_the_same_queries(
    client_for, worker, account, make_conversation, make_message, django_assert_max_num_queries
):
    client = client_for(worker)
    _fill(account, make_conversation, make_message, 5, worker)
    client.get(reverse(INDEX))
    few = _queries_for_listing(client, django_assert_max_num_queries, 40)
    now = timezone.now()
    Conversation.objects.bulk_create(
        [
            Conversation(
                account=account,
                root_external_id=f"bulk-{n}",
                last_message_at=now - datetime.timedelta(seconds=n),
                first_message_at=now - datetime.timedelta(seconds=n),
                labels=["crisis"] if n % 1000 == 0 else [],
                crisis=n % 1000 == 0,
                flagged=n % 1000 == 0,
            )
            for n in range(50_000)
        ],
        batch_size=5000,
    )
    assert _queries_for_listing(client, django_assert_max_num_queries, few) == few


def test_the_inbox_in_dutch(client_for, worker, account, make_conversation, make_message, settings):
    from wagtail.users.models import UserProfile

    settings.LANGUAGE_CODE = "nl"
    profile = UserProfile.get_for_user(worker)
    profile.preferred_language = "nl"
    profile.save()
    conversation = make_conversation(account, labels=["medical_question"], kind=Conversation.Kind.LISTENING)
    make_message(conversation, labels=["medical_question"])
    with translation.override("nl"):
        html = client_for(worker).get(reverse(INDEX)).content.decode()
    assert "Medische vraag" in html
    assert "Niet aan ons gericht" in html
    assert "Toegewezen aan" in html
    assert "Laatste bericht" in html
    assert "Medical question" not in html


def test_the_menu_shows_the_inbox_to_readers_only(client_for, worker, other_team, account, in_english):
    html = client_for(worker).get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) in html
    html = client_for(other_team).get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) not in html
