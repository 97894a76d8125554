"""The inbox in a real browser: filter, open a thread, take it, note, wait, close; axe on every inbox screen."""

import datetime
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from .test_admin_a11y import violations

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-password"


@pytest.fixture
def inbox(site_root, django_user_model):
    from channels.models import ChannelAccount
    from conversations.models import Conversation, Message

    worker = django_user_model.objects.create_user(
        username="wim", password=PASSWORD, email="wim@example.org", first_name="Wim", last_name="Werker"
    )
    worker.groups.add(Group.objects.get(name="Conversations"))
    account = ChannelAccount.objects.create(name="Mastodon zorg", kind="mastodon", active=True)
    now = datetime.datetime.now(datetime.UTC)

    def conversation(root, text, labels=(), reasons=(), minutes=0, **fields):
        found = Conversation.objects.create(
            account=account,
            root_external_id=root,
            labels=list(labels),
            flagged=bool(labels),
            crisis="crisis" in labels,
            first_message_at=now - datetime.timedelta(minutes=minutes),
            last_message_at=now - datetime.timedelta(minutes=minutes),
            language="nl",
            **fields,
        )
        Message.objects.create(
            conversation=found,
            account=account,
            external_id=root,
            text=text,
            labels=list(labels),
            reasons=list(reasons),
            author_name="Anna",
            author_handle="@anna@zorg.example",
            created_at=found.last_message_at,
        )
        return found

    question = conversation(
        "q1",
        "Mag ik mijn medicijnen met alcohol innemen?",
        labels=["medical_question"],
        reasons=["vraagt naar medicijnen"],
        minutes=5,
    )
    conversation("p1", "Waar kan ik parkeren?", minutes=10)
    conversation("c1", "Ik wil niet meer leven", labels=["crisis"], reasons=["spreekt over zelfdoding"], minutes=1)
    return {"worker": worker, "question": question, "account": account}


def set_language(user, language):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def test_work_a_conversation_from_the_inbox(page, live_server, admin_login, inbox):
    worker, question = inbox["worker"], inbox["question"]
    set_language(worker, "nl")
    admin_login(page, worker, PASSWORD)
    page.get_by_role("button", name="Inbox").first.click()
    page.get_by_role("link", name="Gesprekken").click()
    page.wait_for_url(f"**{reverse('conversations:index')}")
    listing = page.locator("main table.listing")
    assert "Waar kan ik parkeren?" in listing.inner_text()
    crisis_row = listing.locator("tr[data-crisis=true]")
    assert "crisis" in crisis_row.inner_text().lower() and "spreekt over zelfdoding" in crisis_row.inner_text()
    page.shots("inbox")

    # Filter on the flag, in Wagtail's filter drawer.
    drawer = page.locator("#filters-drilldown")
    drawer.locator("button[aria-label]").first.click()
    drawer.get_by_role("button", name="Markering").click()
    drawer.locator("#id_flag").select_option("medical_question")
    page.wait_for_function("() => !document.querySelector('main table.listing').innerText.includes('parkeren')")
    assert "Mag ik mijn medicijnen" in listing.inner_text()
    assert "Medische vraag" in listing.inner_text() and "vraagt naar medicijnen" in listing.inner_text()
    page.shots("filtered")

    listing.get_by_role("link", name=re.compile("Mag ik mijn medicijnen")).click()
    page.wait_for_url(f"**{reverse('conversations:thread', args=[question.pk])}")
    assert page.locator("[data-safe-path]").is_visible()
    assert "Herhaal nooit gezondheidsgegevens in het openbaar" in page.locator("[data-safe-path]").inner_text()
    page.shots("thread")

    page.get_by_role("button", name="Aan mij toewijzen").click()
    page.wait_for_load_state()
    assert "Het gesprek is aan u toegewezen." in page.locator(".messages").inner_text()
    assert page.locator("[data-assignee]").inner_text().strip() == "Wim Werker"
    assert "Toegewezen" in page.locator("[data-status]").inner_text()

    page.get_by_label("Interne notitie").fill("Teruggebeld; zij belt de apotheek.")
    page.get_by_role("button", name="Notitie toevoegen").click()
    page.wait_for_load_state()
    assert "Teruggebeld; zij belt de apotheek." in page.locator("[data-notes]").inner_text()

    for value, label in (("waiting", "Wachtend"), ("closed", "Gesloten")):
        page.get_by_label("Status", exact=True).select_option(value)
        page.get_by_role("button", name="Status instellen").click()
        page.wait_for_load_state()
        assert f"De status is nu '{label}'." in page.locator(".messages").inner_text()
        assert label in page.locator("[data-status]").inner_text()
    activity = page.locator("[data-activity]").inner_text()
    assert "Wim Werker zette de status op Gesloten" in activity and "voegde een notitie toe" in activity
    assert "apotheek" not in activity  # the activity never repeats a note or a message
    page.shots("closed")
    question.refresh_from_db()
    assert question.status == "closed" and question.assignee == worker


def test_inbox_screens_have_no_axe_violations(page, live_server, admin_login, inbox, django_user_model):
    from conversations.models import Reply

    lead = django_user_model.objects.create_user(username="lotte", password=PASSWORD, email="lotte@example.org")
    lead.groups.add(Group.objects.get(name="Conversation leads"))
    lead.groups.add(Group.objects.get(name="Consent officers"))  # the screen for one person's messages
    question = inbox["question"]
    message = question.messages.get()
    waiting = Reply.objects.create(
        conversation=question,
        in_reply_to=message,
        text="Wilt u ons bellen?",
        state=Reply.State.AWAITING_APPROVAL,
        created_by=inbox["worker"],
    )
    screens = [
        ("dashboard", reverse("wagtailadmin_home")),
        ("inbox", reverse("conversations:index")),
        ("inbox-filtered", reverse("conversations:index") + "?flag=crisis"),
        ("thread", reverse("conversations:thread", args=[question.pk])),
        ("report", reverse("conversations_report")),
        ("reply-form", reverse("conversations_replies:new", args=[question.pk]) + f"?in_reply_to={message.pk}"),
        ("approvals", reverse("conversations_replies:approvals")),
        ("approve", reverse("conversations_replies:approve", args=[waiting.pk])),
        ("moderation", reverse("conversations_replies:moderate_list", args=[message.pk])),
        ("moderate-confirm", reverse("conversations_replies:moderate", args=[message.pk, "mute_thread"])),
        ("saved-replies", reverse("wagtailsnippets_conversations_savedreply:list")),
        ("saved-searches", reverse("conversations_saved_searches:index")),
        ("account-access", reverse("conversations_account_inboxes:index")),
        ("inbox-settings", reverse("wagtailsettings:edit", args=["conversations", "inboxsettings"])),
        ("person-messages", reverse("conversations_person")),
    ]
    admin_login(page, lead, PASSWORD)
    found = {}
    for language in ("nl", "en"):
        set_language(lead, language)
        for name, path in screens:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang").startswith(language)
            assert page.locator("h1").count() == 1, path
            if problems := violations(page):
                found[f"{language} {name}"] = problems
    assert not found, json.dumps(found, indent=1)
