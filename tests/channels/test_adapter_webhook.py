"""The signed webhook adapter against a loopback receiver that verifies the signature."""

import hashlib
import hmac
import json

import pytest

from channels.adapters.base import AuthError, Media, OutcomeUnknown, Post, TransientError
from channels.adapters.webhook import signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(make_account):
    return make_account("webhook").adapter()


def story_post(**fields):
    values = {
        "text": "Anna vertelt.",
        "link": "https://zorg.example/verhalen/anna/?utm_source=webhook",
        "title": "Mijn herstel",
        "summary": "Over revalidatie",
        "language": "nl",
        "idempotency_key": "key-1",
        "extra": {"story_id": 7, "content_hash": "abc"},
    }
    values.update(fields)
    return Post(**values)


def test_publish_sends_a_signed_event_the_receiver_verifies(webhook, fake_networks):
    media = Media(
        data=b"jpeg", content_type="image/jpeg", filename="a.jpg", alt="Anna", url="https://zorg.example/a.jpg"
    )
    result = webhook.publish(story_post(media=[media]))
    (request,) = fake_networks.webhook.requests
    assert fake_networks.webhook.verify(request)
    timestamp = request.header("X-Vertel-Timestamp")
    expected = hmac.new(
        fake_networks.webhook.secret.encode(), f"{timestamp}.".encode() + request.raw, hashlib.sha256
    ).hexdigest()
    assert request.header("X-Vertel-Signature") == f"sha256={expected}"
    assert request.header("Idempotency-Key") == "key-1"
    body = json.loads(request.raw)
    assert body["event"] == "story.published"
    data = body["data"]
    assert data["text"] == "Anna vertelt." and data["link"].endswith("utm_source=webhook")
    assert data["title"] == "Mijn herstel" and data["summary"] == "Over revalidatie" and data["language"] == "nl"
    assert data["image"]["url"] == "https://zorg.example/a.jpg" and data["image"]["alt"] == "Anna"
    assert data["extra"] == {"story_id": 7, "content_hash": "abc"}
    assert result.remote_id == "wh-1" and result.remote_url == "https://receiver.example/posts/wh-1"


def test_a_wrong_secret_is_refused_as_an_auth_error(make_account, fake_networks):
    adapter = make_account("webhook", secret="not-the-secret").adapter()
    with pytest.raises(AuthError) as caught:
        adapter.publish(story_post())
    assert "not-the-secret" not in caught.value.message
    assert fake_networks.webhook.posts == {}


def test_receiver_without_an_id_gets_the_idempotency_key(webhook, fake_networks):
    fake_networks.webhook.answer_with_id = False
    result = webhook.publish(story_post(idempotency_key="key-9"))
    assert result.remote_id == "key-9" and result.remote_url == ""


def test_retract_sends_story_retracted_and_tolerates_gone(webhook, fake_networks):
    result = webhook.publish(story_post())
    webhook.retract(result.remote_id, result.remote_url)
    assert fake_networks.webhook.posts == {}
    assert fake_networks.webhook.events[-1] == ("story.retracted", {"id": "wh-1", "url": result.remote_url})
    webhook.retract(result.remote_id, result.remote_url)  # the receiver answers 410: fine


def test_signature_helper_matches_the_documented_recipe():
    body = b'{"a":1}'
    digest = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", 1700000000, body) == "sha256=" + digest


def test_rate_limit_and_server_errors_are_transient(webhook, fake_networks):
    fake_networks.webhook.fail_next(429, headers={"Retry-After": "30"})
    with pytest.raises(TransientError) as caught:
        webhook.publish(story_post())
    assert caught.value.retry_after == 30
    fake_networks.webhook.fail_next(500)
    with pytest.raises(TransientError) as caught:
        webhook.publish(story_post())
    assert caught.value.status == 500


def test_slow_receiver_is_an_unknown_outcome(webhook, fake_networks):
    webhook.timeout = 0.5
    fake_networks.webhook.slow_next(1.5)
    with pytest.raises(OutcomeUnknown):
        webhook.publish(story_post())


def test_validate_needs_an_address(make_account):
    adapter = make_account("webhook", url="").adapter()
    assert adapter.validate(story_post()) == ["The webhook has no valid address."]
