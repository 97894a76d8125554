"""Private replies on Bluesky (chat), Facebook (Messenger) and Instagram: as the loopback networks store
them, within each network's windows, once per comment, and at most once when the outcome is unknown."""

import datetime

import pytest
from django.utils import timezone

from conversations.models import ActivityEntry, Message, Reply
from conversations.replies import ReplyRefused, submit_reply
from conversations.replies.actions import CancelReplyAction, RetryReplyAction
from conversations.replies.sending import run_reply
from conversations.replies.tasks import sweep_replies

pytestmark = pytest.mark.django_db

State = Reply.State
PATIENT_DID = "did:plc:patient00000000000000"
PSID = "5550001"
IGSID = "9990001"


def send(message, writer, text="Wilt u ons bellen op 030 123 4567?", **kwargs):
    reply = submit_reply(message.conversation, message, text, writer, **kwargs)
    assert reply.state == State.APPROVED
    return reply


def ago(**delta):
    return timezone.now() - datetime.timedelta(**delta)


def graph_time(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def written_at(message, moment):
    Message.objects.filter(pk=message.pk).update(created_at=moment)
    message.refresh_from_db()
    return message


def out_message():
    return Message.objects.get(direction=Message.Direction.OUT)


# -- Bluesky: chat ------------------------------------------------------------------------------------


def chat_convo(fake, text="Mag ik u iets vragen?", did=PATIENT_DID):
    """A chat the person started with us (as the inbox's chat reader stores it)."""
    with fake.lock:
        convo_id = f"convo{fake.new_id():06d}"
        fake.rev += 1
        fake.convos[convo_id] = {
            "members": [{"did": fake.did, "handle": fake.handle}, {"did": did, "handle": "patient.bsky.social"}],
            "messages": [
                {
                    "id": "msg00000001",
                    "rev": f"22{fake.rev:011d}",
                    "text": text,
                    "sender": {"did": did},
                    "sentAt": "2026-12-01T09:00:00.000Z",
                }
            ],
        }
    return convo_id


@pytest.fixture
def bluesky_chat(nets, net_account, thread):
    account = net_account("bluesky", read_direct_messages="yes")
    convo = chat_convo(nets.bluesky)
    message = thread(
        account,
        "chat:msg00000001",
        kind="direct",
        visibility="direct",
        root_external_id=f"chat:{convo}",
        author_external_id=PATIENT_DID,
        author_handle="patient.bsky.social",
        external_ref={"convo_id": convo, "message_id": "msg00000001"},
    )
    return message, convo


def test_bluesky_chat_is_answered_in_its_convo_through_the_chat_proxy(nets, bluesky_chat, writer):
    message, convo = bluesky_chat
    reply = send(message, writer)
    assert reply.visibility == "direct"

    assert run_reply(reply.pk) == State.SENT

    [made] = nets.bluesky.sent_messages(convo)
    assert made["text"] == "Wilt u ons bellen op 030 123 4567?"
    [request] = nets.bluesky.requests_to("POST", "chat.bsky.convo.sendMessage")
    assert request.header("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat"
    assert request.json == {"convoId": convo, "message": {"text": made["text"]}}
    assert not nets.bluesky.posts  # nothing public
    out = out_message()
    assert (out.visibility, out.external_id, out.conversation_id) == (
        "direct",
        f"chat:{made['id']}",
        message.conversation_id,
    )
    assert out.external_ref == {"convo_id": convo, "message_id": made["id"]}


def test_bluesky_public_reply_is_answered_privately_in_a_new_chat(nets, net_account, thread, writer):
    account = net_account("bluesky", read_direct_messages="yes")
    post = nets.bluesky.add_foreign_post("Hoe lang is de wachttijd voor mijn operatie?")
    message = thread(
        account,
        post["uri"],
        labels=["medical_question"],
        flagged=False,
        author_external_id=PATIENT_DID,
        external_ref={"uri": post["uri"], "cid": post["cid"], "root": {"uri": post["uri"], "cid": post["cid"]}},
    )
    # Privately the inbox may say more than a neutral saved reply (no 300-grapheme limit either).
    text = "Wat vervelend dat u zo lang moet wachten. " * 10
    reply = send(message, writer, text=text.strip(), private=True)
    assert run_reply(reply.pk) == State.SENT

    [lookup] = nets.bluesky.requests_to("GET", "chat.bsky.convo.getConvoForMembers")
    assert lookup.query["members"] == PATIENT_DID
    assert lookup.header("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat"
    [convo] = nets.bluesky.convos
    [made] = nets.bluesky.sent_messages(convo)
    assert made["text"] == text.strip()
    assert nets.bluesky.our_replies_to(post["uri"]) == []  # not under the post
    assert out_message().visibility == "direct"


def test_bluesky_chat_text_may_be_up_to_1000_graphemes(bluesky_chat, writer):
    message, _convo = bluesky_chat
    with pytest.raises(ReplyRefused, match="1001 graphemes long; Bluesky allows 1000"):
        submit_reply(message.conversation, message, "é" * 1001, writer)
    assert submit_reply(message.conversation, message, "é" * 1000, writer).state == State.APPROVED


def test_bluesky_without_the_dm_setting_refuses_private_replies(nets, net_account, thread, writer):
    account = net_account("bluesky")  # 'Read direct messages' is off
    post = nets.bluesky.add_foreign_post("Vraag")
    message = thread(account, post["uri"], author_external_id=PATIENT_DID)
    with pytest.raises(ReplyRefused, match="switch on 'Read direct messages'"):
        submit_reply(message.conversation, message, "Bel ons.", writer, private=True)
    chat = thread(account, "chat:msg9", kind="direct", visibility="direct", author_external_id=PATIENT_DID)
    with pytest.raises(ReplyRefused, match="Direct messages are switched off for this Bluesky account"):
        submit_reply(chat.conversation, chat, "Bel ons.", writer)
    assert not Reply.objects.exists()
    assert not nets.bluesky.requests_to("POST", "chat.bsky.convo.sendMessage")


@pytest.mark.parametrize(
    ("setting", "said"),
    [("none", "disabled incoming messages"), ("following", "come from someone they follow")],
)
def test_bluesky_person_who_accepts_no_messages_fails_with_a_sentence(
    setting, said, nets, net_account, thread, writer
):
    account = net_account("bluesky", read_direct_messages="yes")
    nets.bluesky.allow_incoming[PATIENT_DID] = setting
    post = nets.bluesky.add_foreign_post("Vraag")
    message = thread(account, post["uri"], author_external_id=PATIENT_DID, author_handle="patient.bsky.social")
    reply = send(message, writer, private=True)

    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "does not let this account send patient.bsky.social a direct message" in reply.last_error
    assert said in reply.last_error
    assert reply.next_attempt_at is None  # not retried by itself
    assert not nets.bluesky.requests_to("POST", "chat.bsky.convo.sendMessage")


def test_bluesky_app_password_without_dm_access_is_said_plainly(nets, bluesky_chat, writer):
    message, _convo = bluesky_chat
    nets.bluesky.dm_access = False
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "make an app password with access to direct messages" in reply.last_error


def test_bluesky_chat_unknown_outcome_is_found_in_the_convo_not_resent(nets, bluesky_chat, writer):
    message, convo = bluesky_chat
    nets.bluesky.fail_after(502, match="POST /xrpc/chat.bsky.convo.sendMessage")
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert reply.sending_started_at is not None and reply.next_attempt_at is not None
    assert len(nets.bluesky.sent_messages(convo)) == 1  # Bluesky has it, though it answered 502

    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert run_reply(reply.pk) == State.SENT
    assert len(nets.bluesky.sent_messages(convo)) == 1  # found with getMessages, not sent again
    assert len(nets.bluesky.requests_to("POST", "chat.bsky.convo.sendMessage")) == 1
    assert ActivityEntry.objects.get(action="reply_sent").data["reconciled"] is True
    assert out_message().visibility == "direct"


# -- Facebook: Messenger ------------------------------------------------------------------------------


@pytest.fixture
def messenger(nets, net_account, thread):
    """A Messenger conversation: the person (page-scoped id PSID) wrote an hour ago."""
    account = net_account("facebook")
    nets.facebook.person_writes(PSID, at=ago(hours=1))
    message = thread(
        account,
        "m_incoming0001",
        kind="direct",
        visibility="direct",
        root_external_id=f"messenger:{PSID}",
        author_external_id=PSID,
        author_name="Patiënt",
    )
    return written_at(message, ago(hours=1))


def test_facebook_direct_message_is_answered_with_the_send_api(nets, messenger, writer):
    reply = send(messenger, writer)
    assert run_reply(reply.pk) == State.SENT

    [made] = nets.facebook.messages_to(id=PSID)
    assert (made["messaging_type"], made["text"]) == ("RESPONSE", "Wilt u ons bellen op 030 123 4567?")
    [request] = nets.facebook.requests_to("POST", f"/{nets.facebook.page_id}/messages")
    assert request.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": made["text"]},
    }
    out = out_message()
    assert (out.visibility, out.external_id, out.sent_by) == ("direct", made["message_id"], writer)
    reply.refresh_from_db()
    assert reply.remote_id == made["message_id"]


def test_facebook_direct_message_after_24_hours_is_refused_naming_the_window(nets, messenger, writer):
    written_at(messenger, ago(hours=25))
    with pytest.raises(ReplyRefused, match="only within 24 hours of the person's last message") as refused:
        submit_reply(messenger.conversation, messenger, "Bel ons.", writer)
    assert "1\xa0day" in refused.value.message  # how long ago, in timesince's words
    assert not nets.facebook.requests_to("POST", "/messages")


def test_facebook_window_that_closes_before_the_reply_goes_out_stops_it(nets, messenger, writer):
    reply = send(messenger, writer)  # within the window when written (and, say, approved late)
    written_at(messenger, ago(hours=30))
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "only within 24 hours" in reply.last_error and reply.next_attempt_at is None
    assert nets.facebook.messages_to(id=PSID) == []


def test_facebook_refusal_outside_the_window_is_shown(nets, messenger, writer):
    # The network knows of no message from the person in the last 24 hours (ours is stale).
    nets.facebook.inbox[PSID] = [ago(hours=26)]
    reply = send(messenger, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "outside of allowed window" in reply.last_error
    assert reply.next_attempt_at is None


@pytest.fixture
def fb_comment(nets, net_account, thread):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(
        f"{nets.facebook.page_id}_900000001", "Welke dosis?", from_id=PSID, created_time=graph_time(ago(hours=2))
    )
    message = thread(account, comment["id"], author_external_id=PSID, author_name="Patiënt")
    return written_at(message, ago(hours=2))


def test_facebook_comment_is_answered_privately_once(nets, fb_comment, writer):
    reply = send(fb_comment, writer, private=True)
    assert reply.visibility == "direct"
    assert run_reply(reply.pk) == State.SENT

    [made] = nets.facebook.messages_to(comment_id=fb_comment.external_id)
    assert made["recipient_id"] == PSID and made["text"] == "Wilt u ons bellen op 030 123 4567?"
    assert nets.facebook.replies_to(fb_comment.external_id) == []  # nothing under the comment
    assert out_message().visibility == "direct"

    with pytest.raises(ReplyRefused, match="one private reply per comment"):
        submit_reply(fb_comment.conversation, fb_comment, "Nog iets.", writer, private=True)
    # In public it may still be answered.
    assert submit_reply(fb_comment.conversation, fb_comment, "Dank u.", writer).visibility == "public"


def test_facebook_comment_answered_privately_elsewhere_is_refused_by_graph(nets, fb_comment, writer):
    nets.facebook.privately_answered.add(fb_comment.external_id)  # say, from Meta Business Suite
    reply = send(fb_comment, writer, private=True)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "Activity already replied to" in reply.last_error and reply.next_attempt_at is None


def test_facebook_comment_older_than_7_days_is_not_answered_privately(nets, fb_comment, writer):
    written_at(fb_comment, ago(days=8))
    with pytest.raises(ReplyRefused, match="only within 7 days of the comment"):
        submit_reply(fb_comment.conversation, fb_comment, "Bel ons.", writer, private=True)


# -- Instagram ---------------------------------------------------------------------------------------


def test_instagram_direct_message_is_answered_with_the_instagram_scoped_id(nets, net_account, thread, writer):
    account = net_account("instagram")
    nets.instagram.person_writes(IGSID, at=ago(minutes=10))
    message = thread(account, "aWdfZAGlnc", kind="direct", visibility="direct", author_external_id=IGSID)
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.SENT
    [made] = nets.instagram.messages_to(id=IGSID)
    assert made["messaging_type"] == "RESPONSE"
    assert nets.instagram.requests_to("POST", f"/{nets.instagram.ig_user_id}/messages")
    assert out_message().visibility == "direct"


def test_instagram_direct_message_window_and_length(nets, net_account, thread, writer):
    account = net_account("instagram")
    message = thread(account, "aWdfZAGlnc", kind="direct", visibility="direct", author_external_id=IGSID)
    with pytest.raises(ReplyRefused, match="1001 characters long; Instagram allows 1000"):
        submit_reply(message.conversation, message, "a" * 1001, writer)
    written_at(message, ago(days=2))
    with pytest.raises(ReplyRefused, match="Instagram lets an account answer a direct message only within 24 hours"):
        submit_reply(message.conversation, message, "Bel ons.", writer)


def test_instagram_comment_is_answered_privately_once_within_7_days(nets, net_account, thread, writer):
    account = net_account("instagram")
    media = "17950000000000001"
    comment = nets.instagram.add_comment(media, "Welke dosis?", timestamp=graph_time(ago(days=6)))
    message = written_at(thread(account, comment["id"], author_external_id=IGSID), ago(days=6))
    reply = send(message, writer, private=True)
    assert run_reply(reply.pk) == State.SENT
    [made] = nets.instagram.messages_to(comment_id=comment["id"])
    assert made["recipient_id"] == IGSID
    assert nets.instagram.replies_to(comment["id"]) == []
    with pytest.raises(ReplyRefused, match="Instagram allows one private reply per comment"):
        submit_reply(message.conversation, message, "Nog iets.", writer, private=True)

    older = nets.instagram.add_comment(media, "Oud", timestamp=graph_time(ago(days=8)))
    old = written_at(thread(account, older["id"], author_external_id=IGSID), ago(days=8))
    with pytest.raises(ReplyRefused, match="only within 7 days"):
        submit_reply(old.conversation, old, "Bel ons.", writer, private=True)


# -- an unknown outcome where the network cannot be asked: a person checks ---------------------------------


@pytest.mark.parametrize("kind", ["facebook", "instagram"])
def test_meta_unknown_outcome_goes_to_a_person_never_resent(kind, nets, net_account, thread, writer):
    fake = getattr(nets, kind)
    account = net_account(kind)
    fake.person_writes(PSID)
    message = thread(account, "m_incoming0002", kind="direct", visibility="direct", author_external_id=PSID)
    owner = fake.messaging_owner()
    fake.fail_after(500, match=f"POST /{owner}/messages")  # stored, then an error
    reply = send(message, writer)

    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    label = "Facebook" if kind == "facebook" else "Instagram"
    assert f"Check the conversation on {label}" in reply.last_error
    assert reply.next_attempt_at is None and reply.sending_started_at is None
    assert ActivityEntry.objects.get(action="reply_failed").data["asked_a_person"] is True
    # Nothing sends it again by itself.
    sweep_replies(now=timezone.now() + datetime.timedelta(days=1))
    assert run_reply(reply.pk) == "not-due:failed"
    assert len(fake.messages_to(id=PSID)) == 1
    # The person decides: cancel it (it arrived) or send it again (it did not).
    assert CancelReplyAction(reply, user=writer).is_offered()
    assert RetryReplyAction(reply, user=writer).is_offered()


def test_meta_reply_of_a_worker_that_died_mid_call_goes_to_a_person(nets, messenger, writer):
    reply = send(messenger, writer)
    stale = timezone.now() - datetime.timedelta(hours=1)
    Reply.objects.filter(pk=reply.pk).update(state=State.SENDING, sending_started_at=stale, attempts=1)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "Outcome unknown" in reply.last_error
    assert not nets.facebook.requests_to("POST", "/messages")  # not sent blindly


# -- the reply form offers "privately" where the network can -------------------------------------------------


def form_html(client, reply_urls, message):
    response = client.get(reply_urls("conversations_replies:new", args=[message.conversation_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_reply_form_offers_privately_where_possible(
    client, writer, nets, net_account, thread, fb_comment, reply_urls
):
    client.force_login(writer)
    assert 'name="private"' in form_html(client, reply_urls, fb_comment)

    post = nets.bluesky.add_foreign_post("Vraag")
    on = thread(net_account("bluesky", read_direct_messages="yes"), post["uri"], author_external_id=PATIENT_DID)
    assert 'name="private"' in form_html(client, reply_urls, on)

    off = thread(net_account("bluesky"), post["uri"], author_external_id=PATIENT_DID)
    html = form_html(client, reply_urls, off)
    assert 'name="private"' not in html and "switch on &#x27;Read direct messages&#x27;" in html

    written_at(fb_comment, ago(days=8))
    html = form_html(client, reply_urls, fb_comment)
    assert 'name="private"' not in html and "only within 7 days of the comment" in html

    linkedin = thread(net_account("linkedin"), "urn:li:comment:(urn:li:activity:1,2)")
    html = form_html(client, reply_urls, linkedin)
    assert 'name="private"' not in html


def test_the_reply_form_posts_a_private_reply(client, writer, fb_comment, reply_urls):
    client.force_login(writer)
    response = client.post(
        reply_urls("conversations_replies:new", args=[fb_comment.conversation_id]),
        {"in_reply_to": fb_comment.pk, "text": "Wilt u ons bellen?", "private": "on"},
    )
    assert response.status_code == 302
    assert Reply.objects.get().visibility == "direct"
