"""The public webhook endpoints: Meta's and LinkedIn's handshakes, signatures, idempotent storing."""

import datetime
import hashlib
import hmac
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from conversations.models import Conversation, Message
from tests.conversations.fakes.webhooks import send_linkedin, send_meta

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.fixture
def facebook(make_account):
    return make_account("facebook")


@pytest.fixture
def instagram(make_account):
    return make_account("instagram")


@pytest.fixture
def linkedin(make_account):
    return make_account("linkedin")


# -- Meta ---------------------------------------------------------------------------------------


def test_the_meta_handshake_echoes_the_challenge_for_a_known_verify_token(visitor, facebook, nets):
    path = reverse("conversations_hooks:meta_webhook")
    query = {"hub.mode": "subscribe", "hub.verify_token": nets.facebook.verify_token, "hub.challenge": "1158201444"}
    response = visitor.get(path, query)
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert visitor.get(path, {**query, "hub.verify_token": "guessed"}).status_code == 403
    assert visitor.get(path, {**query, "hub.mode": "unsubscribe"}).status_code == 400
    assert visitor.get(path, {"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 403


def test_a_signed_facebook_comment_is_stored_at_once_and_only_once(visitor, facebook, nets, publish, caplog):
    dispatch = publish(facebook)
    comment = nets.facebook.add_comment(dispatch.remote_id, "Mijn moeder lag op deze afdeling")
    payload = nets.facebook.feed_delivery(comment)
    with caplog.at_level(logging.DEBUG):
        response = send_meta(visitor, payload, nets.facebook.app_secret)
    assert response.status_code == 200
    message = Message.objects.get(external_id=comment)
    assert message.conversation.dispatch == dispatch
    assert message.text == "Mijn moeder lag op deze afdeling"
    assert "moeder" not in caplog.text  # invariant 8: no body in the logs
    assert send_meta(visitor, payload, nets.facebook.app_secret).status_code == 200  # Meta retries
    assert Message.objects.count() == 1
    # The poll that follows finds it stored.
    from conversations.ingest import runner

    runner.read_account(facebook)
    assert Message.objects.count() == 1


def test_an_edit_and_a_removal_reach_the_stored_comment(visitor, facebook, nets, publish):
    dispatch = publish(facebook)
    comment = nets.facebook.add_comment(dispatch.remote_id, "Eerste versie")
    send_meta(visitor, nets.facebook.feed_delivery(comment), nets.facebook.app_secret)
    nets.facebook.comment(comment)["message"] = "Tweede versie"
    send_meta(visitor, nets.facebook.feed_delivery(comment, verb="edited"), nets.facebook.app_secret)
    assert Message.objects.get(external_id=comment).text == "Tweede versie"
    send_meta(visitor, nets.facebook.feed_delivery(comment, verb="remove"), nets.facebook.app_secret)
    message = Message.objects.get(external_id=comment)
    assert message.deleted and message.text == ""


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(visitor, facebook, nets, publish):
    dispatch = publish(facebook)
    payload = nets.facebook.feed_delivery(nets.facebook.add_comment(dispatch.remote_id, "Hallo"))
    assert send_meta(visitor, payload, "the-wrong-secret").status_code == 403
    assert send_meta(visitor, payload, "", signature="").status_code == 403
    assert send_meta(visitor, payload, "", signature="sha256=" + "0" * 64).status_code == 403
    assert send_meta(visitor, payload, "", signature="sha256=ünïcode").status_code == 403
    body = json.dumps(payload).encode()
    tampered = body.replace(b"Hallo", b"Hallo!")
    signature = "sha256=" + hmac.new(nets.facebook.app_secret.encode(), body, hashlib.sha256).hexdigest()
    assert send_meta(visitor, tampered, "", signature=signature).status_code == 403
    assert not Message.objects.exists()


def test_malformed_signed_deliveries_get_a_4xx(visitor, facebook, nets):
    secret = nets.facebook.app_secret
    assert send_meta(visitor, b"not json", secret).status_code == 400
    assert send_meta(visitor, b"[1, 2]", secret).status_code == 400
    assert send_meta(visitor, {"object": "page", "entry": "x"}, secret).status_code == 400
    odd = {
        "object": "page",
        "entry": [
            {
                "id": nets.facebook.page_id,
                "changes": [
                    {
                        "field": "feed",
                        "value": {"item": "comment", "comment_id": "1_2", "from": "someone", "verb": "add"},
                    }
                ],
            }
        ],
    }
    assert send_meta(visitor, odd, secret).status_code == 400
    assert send_meta(visitor, {"object": "user", "entry": []}, secret).status_code == 200
    assert not Message.objects.exists()


def test_a_delivery_for_another_page_is_not_stored(visitor, facebook, nets, publish):
    dispatch = publish(facebook)
    payload = nets.facebook.feed_delivery(nets.facebook.add_comment(dispatch.remote_id, "Hallo"))
    payload["entry"][0]["id"] = "999"
    assert send_meta(visitor, payload, nets.facebook.app_secret).status_code == 200
    assert not Message.objects.exists()


def test_instagram_comments_and_mentions(visitor, instagram, nets, publish, django_capture_on_commit_callbacks):
    dispatch = publish(instagram)
    top = nets.instagram.add_comment(dispatch.remote_id, "Prachtig")
    reply = nets.instagram.add_comment(dispatch.remote_id, "Ja!", parent=top, author=("7002", "bert"))
    for comment in (top, reply):
        assert (
            send_meta(visitor, nets.instagram.comments_delivery(comment), nets.instagram.app_secret).status_code == 200
        )
    assert Message.objects.get(external_id=reply).conversation == Message.objects.get(external_id=top).conversation
    assert Message.objects.get(external_id=top).conversation.dispatch == dispatch
    mention = nets.instagram.add_comment("17999999999999999", "Kijk @zorgutrecht", author=("7003", "carla"))
    with django_capture_on_commit_callbacks(execute=True):
        response = send_meta(visitor, nets.instagram.mention_delivery(mention), nets.instagram.app_secret)
    assert response.status_code == 200
    message = Message.objects.get(external_id=mention)  # fetched by the background task
    assert message.conversation.kind == Conversation.Kind.MENTION
    assert message.text == "Kijk @zorgutrecht"
    assert message.author_handle == "carla"


def test_the_meta_endpoint_needs_no_csrf_token_but_only_takes_get_and_post(visitor):
    path = reverse("conversations_hooks:meta_webhook")
    assert visitor.put(path).status_code == 405
    assert visitor.post(path, b"{}", content_type="application/json").status_code == 403  # unsigned, not CSRF


# -- LinkedIn -----------------------------------------------------------------------------------


def test_the_linkedin_challenge_is_answered_with_the_hmac_of_the_code(visitor, linkedin, nets):
    response = visitor.get(reverse("conversations_hooks:linkedin_webhook"), {"challengeCode": "890e4665-4dfe"})
    assert response.status_code == 200
    expected = hmac.new(nets.linkedin.client_secret.encode(), b"890e4665-4dfe", hashlib.sha256).hexdigest()
    assert response.json() == {"challengeCode": "890e4665-4dfe", "challengeResponse": expected}
    assert visitor.get(reverse("conversations_hooks:linkedin_webhook")).status_code == 400


def test_linkedin_notifications_are_verified_and_deduplicated(visitor, linkedin, nets, publish):
    dispatch = publish(linkedin)
    comment = nets.linkedin.add_comment(dispatch.remote_id, "Sterk verhaal")
    payload = nets.linkedin.webhook_delivery()
    assert send_linkedin(visitor, payload, "wrong").status_code == 403
    assert send_linkedin(visitor, payload, nets.linkedin.client_secret).status_code == 200
    assert send_linkedin(visitor, payload, nets.linkedin.client_secret).status_code == 200
    message = Message.objects.get(external_id=comment)
    assert message.conversation.dispatch == dispatch
    assert Message.objects.count() == 1
    note = nets.linkedin.delete_comment(comment)
    body = json.dumps(nets.linkedin.webhook_delivery([note])).encode()
    signature = "hmacsha256=" + hmac.new(nets.linkedin.client_secret.encode(), body, hashlib.sha256).hexdigest()
    assert send_linkedin(visitor, body, "", signature=signature).status_code == 200
    message.refresh_from_db()
    assert message.deleted


def test_malformed_linkedin_deliveries_get_a_4xx(visitor, linkedin, nets):
    secret = nets.linkedin.client_secret
    assert send_linkedin(visitor, b"{", secret).status_code == 400
    assert send_linkedin(visitor, {"notifications": {}}, secret).status_code == 400
    odd = {
        "notifications": [
            {
                "organizationalEntity": nets.linkedin.org_urn,
                "action": "COMMENT",
                "generatedActivity": "urn:li:comment:1",
                "decoratedGeneratedActivity": "x",
            }
        ]
    }
    assert send_linkedin(visitor, odd, secret).status_code == 400
    assert not Message.objects.exists()


def test_webhooks_are_rate_limited_per_address(visitor, settings, monkeypatch):
    from conversations import webhooks

    monkeypatch.setattr(webhooks, "RATE_LIMIT", 3)
    path = reverse("conversations_hooks:meta_webhook")
    codes = [visitor.get(path, {"hub.mode": "subscribe"}).status_code for _ in range(5)]
    assert codes[:3] == [403, 403, 403] and codes[3:] == [429, 429]


SENT_AT = datetime.datetime.now(datetime.UTC).replace(microsecond=123000) - datetime.timedelta(minutes=5)


def messaging_delivery(object_name, own_id, events):
    return {
        "object": object_name,
        "entry": [{"id": own_id, "time": int(SENT_AT.timestamp() * 1000), "messaging": events}],
    }


def direct_message(sender, recipient, mid, text, *, echo=False, deleted=False):
    message = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    if deleted:
        message = {"mid": mid, "is_deleted": True}
    milliseconds = int(SENT_AT.timestamp() * 1000)
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": milliseconds, "message": message}


def test_messenger_messages_arrive_as_one_private_conversation_per_person(visitor, facebook, nets):
    page = nets.facebook.page_id
    events = [
        direct_message("6001", page, "m_1", "Ik heb een vraag over mijn afspraak bij de poli"),
        {"sender": {"id": "6001"}, "recipient": {"id": page}, "timestamp": 1764806400200, "read": {"watermark": 1}},
        direct_message(page, "6001", "m_2", "Wilt u ons bellen?", echo=True),
    ]
    payload = messaging_delivery("page", page, events)
    assert send_meta(visitor, payload, nets.facebook.app_secret).status_code == 200
    conversation = Conversation.objects.get(account=facebook, root_external_id="dm:6001")
    assert conversation.kind == Conversation.Kind.DIRECT
    theirs, ours = conversation.messages.order_by("pk")
    assert theirs.direction == Message.Direction.IN and theirs.visibility == Message.Visibility.DIRECT
    assert theirs.author_external_id == "6001" and theirs.external_ref["recipient_id"] == "6001"
    assert theirs.created_at == SENT_AT  # Meta's milliseconds, in UTC
    assert ours.direction == Message.Direction.OUT
    # Meta retries a delivery it thinks failed: nothing twice.
    assert send_meta(visitor, payload, nets.facebook.app_secret).status_code == 200
    assert Message.objects.filter(account=facebook).count() == 2


def test_a_messenger_message_read_from_the_webhook_is_answered_privately_from_the_inbox(
    visitor, facebook, nets, worker
):
    from conversations.replies import submit_reply
    from conversations.replies.sending import run_reply

    page = nets.facebook.page_id
    payload = messaging_delivery(
        "page", page, [direct_message("6002", page, "m_10", "Kan ik mijn afspraak verzetten?")]
    )
    assert send_meta(visitor, payload, nets.facebook.app_secret).status_code == 200
    nets.facebook.person_writes("6002")  # on Meta's side: the person wrote, so the 24-hour window is open
    message = Message.objects.get(external_id="m_10")
    reply = submit_reply(message.conversation, message, "Dat kan: bel ons op 030 123 4567.", worker)
    assert reply.visibility == Message.Visibility.DIRECT
    assert run_reply(reply.pk) == "sent"
    [sent] = nets.facebook.messages_to(id="6002")
    assert sent["text"] == "Dat kan: bel ons op 030 123 4567." and sent["messaging_type"] == "RESPONSE"
    ours = message.conversation.messages.get(direction=Message.Direction.OUT)
    assert ours.visibility == Message.Visibility.DIRECT and ours.sent_by == worker


def test_an_instagram_message_the_person_unsends_loses_its_text(visitor, instagram, nets):
    own = nets.instagram.ig_user_id
    send = messaging_delivery("instagram", own, [direct_message("7001", own, "ig_m_1", "Mijn zoon is opgenomen")])
    assert send_meta(visitor, send, nets.instagram.app_secret).status_code == 200
    message = Message.objects.get(account=instagram, external_id="ig_m_1")
    assert message.conversation.root_external_id == "dm:7001" and "health_disclosure" in message.labels
    unsend = messaging_delivery("instagram", own, [direct_message("7001", own, "ig_m_1", "", deleted=True)])
    assert send_meta(visitor, unsend, nets.instagram.app_secret).status_code == 200
    message.refresh_from_db()
    assert message.deleted and message.text == ""
