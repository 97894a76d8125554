"""One thread: what staff see beside the messages, and the status, assign and note actions with their activity."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from conversations.actions import AddNoteAction, AssignAction, InboxPermissionError, SetStatusAction
from conversations.models import ActivityEntry, Conversation, Message, Note, SavedReply
from tests.factories import build_consent

pytestmark = pytest.mark.django_db


def thread(conversation):
    return reverse("conversations:thread", args=[conversation.pk])


def final_status(client, url, **kwargs):
    method = client.post if kwargs.pop("post", False) else client.get
    return method(url, follow=True, **kwargs).status_code


@pytest.fixture
def conversation(account, make_conversation, make_message):
    first = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    conversation = make_conversation(account, first_message_at=first, last_message_at=first, language="nl")
    question = make_message(
        conversation,
        text="Welke dosis paracetamol mag ik bij mijn nierziekte?",
        external_id="q1",
        created_at=first,
        author_name="Anna de Vries",
        author_handle="@anna@zorg.example",
        author_url="https://zorg.example/@anna",
        labels=["medical_question", "health_disclosure"],
        reasons=["asks about medication", "mentions a condition"],
    )
    make_message(
        conversation,
        text="Wij sturen u een privébericht.",
        external_id="r1",
        parent_external_id="q1",
        direction=Message.Direction.OUT,
        created_at=first + datetime.timedelta(minutes=20),
    )
    make_message(
        conversation,
        text="",
        external_id="q2",
        parent_external_id="r1",
        deleted=True,
        created_at=first + datetime.timedelta(minutes=30),
        author_name="Bert",
    )
    conversation.labels = ["health_disclosure", "medical_question"]
    conversation.flagged = True
    conversation.save()
    conversation.question = question
    return conversation


def test_the_thread_shows_messages_in_order_with_parents_flags_and_state(client_for, worker, conversation, in_english):
    html = client_for(worker).get(thread(conversation)).content.decode()
    assert html.index("Welke dosis paracetamol") < html.index("Wij sturen u een privébericht.")
    assert html.index("Wij sturen u een privébericht.") < html.index("The author deleted this message.")
    assert "Anna de Vries" in html and "@anna@zorg.example" in html and "https://zorg.example/@anna" in html
    assert "9 a.m." in html  # 08:00 UTC in Amsterdam
    assert "asks about medication" in html and "Medical question" in html and "Health details" in html
    assert "In reply to" in html and f"#message-{conversation.question.pk}" in html
    assert "Deleted on the network" in html
    assert "Our reply" in html


def test_health_questions_get_the_safe_path_and_only_neutral_saved_replies(
    client_for, worker, conversation, locales, in_english
):
    SavedReply.objects.create(title="Neutraal", text="Stuur ons een privébericht.", neutral=True, locale=locales["nl"])
    SavedReply.objects.create(title="Gewoon", text="Bedankt!", neutral=False, locale=locales["nl"])
    SavedReply.objects.create(title="Neutral EN", text="DM us.", neutral=True, locale=locales["en"])
    response = client_for(worker).get(thread(conversation))
    html = response.content.decode()
    assert "Hide the public comment on the network" not in html  # Mastodon cannot hide others' replies
    assert "does not let us hide" in html
    assert "neutral saved reply" in html and "Never repeat health details in public" in html
    assert [reply.title for reply in response.context["saved_replies"]] == ["Neutraal"]
    assert response.context["message"].external_id == "q2"  # the latest incoming message
    assert f'id="reply-box-heading-{conversation.pk}"' in html  # the reply box's include


def test_facebook_threads_say_hide_the_comment(client_for, worker, make_account, make_conversation, make_message):
    account = make_account("Facebook zorg", kind="facebook")
    conversation = make_conversation(account, labels=["health_disclosure"])
    make_message(conversation, labels=["health_disclosure"])
    with_settings = client_for(worker).get(thread(conversation)).content.decode()
    assert "data-safe-path" in with_settings


def test_unflagged_threads_offer_every_saved_reply_of_their_language(
    client_for, worker, account, make_conversation, make_message, locales
):
    SavedReply.objects.create(title="Neutraal", text="…", neutral=True, locale=locales["nl"])
    SavedReply.objects.create(title="Gewoon", text="…", neutral=False, locale=locales["nl"])
    conversation = make_conversation(account, language="nl")
    make_message(conversation)
    response = client_for(worker).get(thread(conversation))
    assert {reply.title for reply in response.context["saved_replies"]} == {"Neutraal", "Gewoon"}
    assert "data-safe-path" not in response.content.decode()


def test_a_crisis_shows_the_crisis_lines(client_for, worker, account, make_conversation, make_message, in_english):
    conversation = make_conversation(account, labels=["crisis"])
    make_message(conversation, text="Ik wil niet meer leven", labels=["crisis"])
    html = client_for(worker).get(thread(conversation)).content.decode()
    assert "data-crisis-banner" in html and "113" in html and "112" in html


def test_the_story_our_post_and_the_consent_in_force(
    client_for, worker, account, make_conversation, make_message, make_patient_story, in_english
):
    from channels.models import Dispatch

    story = make_patient_story("Anna's nieuwe nier")
    build_consent(story, channels=("website", account.channel_key), naming="first_name")
    dispatch = Dispatch.objects.create(
        page=story,
        page_title=story.title,
        account=account,
        content_hash="a" * 64,
        state=Dispatch.State.SENT,
        text="Lees het verhaal van Anna",
        remote_url="https://zorg.example/@zorg/1",
        sent_at=datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC),
    )
    conversation = make_conversation(account, story=story, dispatch=dispatch)
    make_message(conversation)
    html = client_for(worker).get(thread(conversation)).content.decode()
    assert "Anna&#x27;s nieuwe nier" in html or "Anna's nieuwe nier" in html
    assert reverse("wagtailadmin_pages:edit", args=[story.pk]) in html
    assert "Lees het verhaal van Anna" in html and "https://zorg.example/@zorg/1" in html
    assert "First name only" in html  # the naming signed
    assert "Mastodon zorg" in html.split("data-consent", 1)[1]  # the channels chosen
    assert "The consent does not cover this channel." not in html


def test_a_story_without_consent_says_so(
    client_for, worker, account, make_conversation, make_message, make_patient_story, in_english
):
    conversation = make_conversation(account, story=make_patient_story())
    make_message(conversation)
    assert "No consent is in force" in client_for(worker).get(thread(conversation)).content.decode()


# -- the actions ---------------------------------------------------------------------------------


def test_assign_to_me_then_waiting_then_closed(client_for, worker, conversation, in_english):
    client = client_for(worker)
    response = client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": "me"}, follow=True)
    assert "The conversation is assigned to you." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee == worker and conversation.status == Conversation.Status.ASSIGNED
    for status in ("waiting", "closed"):
        client.post(reverse("conversations:set_status", args=[conversation.pk]), {"status": status})
        conversation.refresh_from_db()
        assert conversation.status == status
    activity = list(ActivityEntry.objects.filter(conversation=conversation).values_list("action", "data"))
    assert activity == [
        ("assign", {"before": None, "after": worker.pk}),
        ("status", {"before": "new", "after": "assigned"}),
        ("status", {"before": "assigned", "after": "waiting"}),
        ("status", {"before": "waiting", "after": "closed"}),
    ]
    html = client.get(thread(conversation)).content.decode()
    activity_html = html.split("data-activity", 1)[1]
    assert "Wim Werker set the status to Closed" in activity_html
    assert "Wim Werker assigned it to Wim Werker" in activity_html


def test_assign_to_a_colleague_and_back_to_nobody(client_for, worker, lead, conversation):
    client = client_for(worker)
    client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": str(lead.pk)})
    conversation.refresh_from_db()
    assert conversation.assignee == lead
    client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": "nobody"})
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.status == Conversation.Status.NEW


def test_only_people_who_read_the_account_can_be_assigned(client_for, worker, other_team, conversation, in_english):
    response = client_for(worker).post(
        reverse("conversations:assign", args=[conversation.pk]), {"assignee": str(other_team.pk)}, follow=True
    )
    assert "cannot read this account" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert other_team.username not in response.context["people"].__repr__()


def test_a_note_is_kept_and_the_activity_holds_no_text(client_for, worker, conversation, in_english):
    client = client_for(worker)
    response = client.post(
        reverse("conversations:add_note", args=[conversation.pk]), {"text": "Teruggebeld, gaat beter."}, follow=True
    )
    html = response.content.decode()
    assert "The note is added." in html and "Teruggebeld, gaat beter." in html.split("data-notes", 1)[1]
    note = Note.objects.get()
    assert note.author == worker
    entry = ActivityEntry.objects.get(action="note")
    assert entry.data == {"note": note.pk} and "Teruggebeld" not in str(entry.data)
    assert "Wim Werker added a note" in html


def test_an_empty_note_is_refused(client_for, worker, conversation, in_english):
    response = client_for(worker).post(
        reverse("conversations:add_note", args=[conversation.pk]), {"text": "  "}, follow=True
    )
    assert "Write a note first." in response.content.decode()
    assert not Note.objects.exists()


def test_an_unknown_status_is_refused(client_for, worker, conversation):
    client_for(worker).post(reverse("conversations:set_status", args=[conversation.pk]), {"status": "gone"})
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW
    assert not ActivityEntry.objects.exists()


@pytest.mark.parametrize("name", ["set_status", "assign", "add_note"])
def test_actions_are_post_only(client_for, worker, conversation, name):
    assert client_for(worker).get(reverse(f"conversations:{name}", args=[conversation.pk])).status_code == 405


@pytest.mark.parametrize(
    ("name", "data"),
    [("set_status", {"status": "closed"}), ("assign", {"assignee": "me"}), ("add_note", {"text": "x"})],
)
def test_actions_need_the_csrf_token(worker, conversation, name, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker)
    assert client.post(reverse(f"conversations:{name}", args=[conversation.pk]), data).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW and not Note.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [("set_status", {"status": "closed"}), ("assign", {"assignee": "me"}), ("add_note", {"text": "x"})],
)
def test_actions_on_an_account_the_user_cannot_read_are_404(client_for, other_team, conversation, name, data):
    url = reverse(f"conversations:{name}", args=[conversation.pk])
    assert final_status(client_for(other_team), url, post=True, data=data) == 404
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW and not ActivityEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [("set_status", {"status": "closed"}), ("assign", {"assignee": "me"}), ("add_note", {"text": "x"})],
)
def test_actions_without_permission_are_refused(client_for, outsider, conversation, name, data):
    response = client_for(outsider).post(reverse(f"conversations:{name}", args=[conversation.pk]), data)
    assert response.status_code in (302, 403)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW and not ActivityEntry.objects.exists()


def test_the_actions_check_access_themselves(other_team, worker, conversation):
    # The views are thin: the rule is in the action, for every caller.
    for action in (
        SetStatusAction(conversation, user=other_team, status="closed"),
        AssignAction(conversation, user=other_team, assignee=None),
        AddNoteAction(conversation, user=other_team, text="x"),
    ):
        with pytest.raises(InboxPermissionError):
            action.execute()
    SetStatusAction(conversation, user=worker, status="waiting").execute()
    assert Conversation.objects.get(pk=conversation.pk).status == "waiting"


def test_the_actions_are_in_wagtails_registry():
    from wagtail.actions import action_registry

    assert set(action_registry.get_actions_for_model(Conversation)) >= {"set_status", "assign", "add_note"}


def test_each_message_shows_what_its_network_allows(
    client_for, worker, make_account, make_conversation, make_message, in_english
):
    facebook = make_account("Facebook zorg", kind="facebook")
    on_facebook = make_message(make_conversation(facebook), external_id="123_456")
    page = client_for(worker).get(thread(on_facebook.conversation)).content.decode()
    assert reverse("conversations_replies:moderate", args=[on_facebook.pk, "hide"]) in page
    assert "Hide on the network" in page

    mastodon = make_account("Mastodon zorg 2", kind="mastodon")
    on_mastodon = make_message(make_conversation(mastodon))
    page = client_for(worker).get(thread(on_mastodon.conversation)).content.decode()
    assert reverse("conversations_replies:moderate", args=[on_mastodon.pk, "hide"]) not in page
    assert "Mastodon does not let an account hide or delete other people&#x27;s replies" in page
    assert reverse("conversations_replies:moderate", args=[on_mastodon.pk, "mute_thread"]) in page
