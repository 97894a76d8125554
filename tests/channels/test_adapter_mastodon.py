"""The Mastodon adapter against a loopback Mastodon instance, through Mastodon.py."""

import pytest

from channels.adapters.base import (
    AuthError,
    Media,
    OutcomeUnknown,
    PermanentError,
    Post,
    RetractUnsupported,
    TransientError,
)

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def mastodon(make_account):
    return make_account("mastodon").adapter()


def status_posts(fake):
    return fake.requests_to("POST", "/api/v1/statuses")


def test_publish_sends_text_link_and_idempotency_key(mastodon, fake_networks):
    post = Post(
        text="Anna vertelt over haar herstel.", link="https://zorg.example/verhalen/anna/", idempotency_key="key-1"
    )
    result = mastodon.publish(post)
    (request,) = status_posts(fake_networks.mastodon)
    assert request.header("Authorization") == f"Bearer {fake_networks.mastodon.token}"
    assert request.header("Idempotency-Key") == "key-1"
    assert request.form["status"] == "Anna vertelt over haar herstel.\n\nhttps://zorg.example/verhalen/anna/"
    assert request.form["visibility"] == "public"
    assert result.remote_id in fake_networks.mastodon.posts
    assert result.remote_url == f"{fake_networks.mastodon.url}/@zorg/{result.remote_id}"


def test_resending_with_the_same_key_makes_no_second_status(mastodon, fake_networks):
    post = Post(text="Een keer", link="https://zorg.example/a/", idempotency_key="same-key")
    first = mastodon.publish(post)
    second = mastodon.publish(post)
    assert first.remote_id == second.remote_id
    assert len(fake_networks.mastodon.posts) == 1
    assert mastodon.idempotency_window == 3600 and mastodon.can_reconcile


def test_image_is_uploaded_with_its_alt_text_and_attached(mastodon, fake_networks):
    media = Media(data=JPEG, content_type="image/jpeg", filename="anna.jpg", alt="Anna in de tuin")
    result = mastodon.publish(
        Post(text="Met foto", link="https://zorg.example/a/", media=[media], idempotency_key="k")
    )
    (upload,) = fake_networks.mastodon.requests_to("POST", "/api/v2/media")
    assert upload.form["description"] == "Anna in de tuin"
    assert upload.files["file"] == ("anna.jpg", "image/jpeg", JPEG)
    status = fake_networks.mastodon.posts[result.remote_id]
    assert [m["description"] for m in status["media_attachments"]] == ["Anna in de tuin"]


def test_retract_deletes_and_is_idempotent(mastodon, fake_networks):
    result = mastodon.publish(Post(text="Weg ermee", link="", idempotency_key="k"))
    mastodon.retract(result.remote_id, result.remote_url)
    assert fake_networks.mastodon.posts == {}
    mastodon.retract(result.remote_id, result.remote_url)  # already gone: still success
    assert len(fake_networks.mastodon.requests_to("DELETE")) == 2


def test_every_url_counts_as_23_characters(mastodon):
    long_url = "https://zorg.example/verhalen/" + "heel-lang-" * 20
    assert mastodon.count(f"Lees {long_url}") == len("Lees ") + 23
    assert mastodon.limits.url_weight == 23
    # A remote mention counts without its domain.
    assert mastodon.count("@anna@zorg.social") == len("@anna")


def test_validate_reports_length_against_the_instance_limit(make_account, fake_networks):
    fake_networks.mastodon.max_characters = 100
    account = make_account("mastodon")
    check = account.adapter().check()
    assert check.ok and check.display_name == "@zorg"
    account.refresh_from_db()
    adapter = account.adapter()
    assert adapter.limits.max_chars == 100
    problems = adapter.validate(Post(text="x" * 90, link="https://zorg.example/" + "y" * 200))
    assert problems == ["The text is 115 characters long; Mastodon allows 100."]
    assert adapter.validate(Post(text="x" * 70, link="https://zorg.example/" + "y" * 200)) == []


def test_validate_needs_alt_text(mastodon):
    media = Media(data=JPEG, content_type="image/jpeg", filename="a.jpg", alt=" ")
    assert mastodon.validate(Post(text="Hoi", link="", media=[media])) == ["Every image needs alt text."]


def test_rate_limit_gives_retry_after(mastodon, fake_networks):
    fake_networks.mastodon.fail_next(429, headers={"Retry-After": "42"}, match="POST /api/v1/statuses")
    with pytest.raises(TransientError) as caught:
        mastodon.publish(Post(text="Te snel", link="", idempotency_key="k"))
    assert caught.value.status == 429 and caught.value.retry_after == 42
    assert fake_networks.mastodon.posts == {}


def test_rate_limit_with_an_http_date(mastodon, fake_networks):
    fake_networks.mastodon.fail_next(
        429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, match="POST /api/v1/statuses"
    )
    with pytest.raises(TransientError) as caught:
        mastodon.publish(Post(text="Te snel", link="", idempotency_key="k"))
    assert caught.value.retry_after > 3600


def test_503_to_the_post_is_a_plain_retry(mastodon, fake_networks):
    fake_networks.mastodon.fail_next(503, match="POST /api/v1/statuses")
    with pytest.raises(TransientError) as caught:
        mastodon.publish(Post(text="Later", link="", idempotency_key="k"))
    assert caught.value.status == 503 and not isinstance(caught.value, OutcomeUnknown)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_server_errors_to_the_post_are_an_unknown_outcome(mastodon, fake_networks, status):
    fake_networks.mastodon.fail_next(status, match="POST /api/v1/statuses")
    with pytest.raises(OutcomeUnknown) as caught:
        mastodon.publish(Post(text="Later", link="", idempotency_key="k"))
    assert caught.value.status == status


def test_a_server_error_on_the_image_upload_is_a_plain_retry(mastodon, fake_networks):
    """Uploading an image makes no post: nothing to duplicate, so a 502 there is simply retried."""
    fake_networks.mastodon.fail_next(502, match="POST /api/v2/media")
    media = Media(data=JPEG, content_type="image/jpeg", filename="a.jpg", alt="Anna")
    with pytest.raises(TransientError) as caught:
        mastodon.publish(Post(text="Later", link="", media=[media], idempotency_key="k"))
    assert caught.value.status == 502 and not isinstance(caught.value, OutcomeUnknown)
    assert status_posts(fake_networks.mastodon) == []


def test_read_timeout_after_sending_is_an_unknown_outcome(mastodon, fake_networks):
    mastodon.timeout = 0.5
    fake_networks.mastodon.slow_next(1.5, match="POST /api/v1/statuses")
    with pytest.raises(OutcomeUnknown):
        mastodon.publish(Post(text="Traag", link="", idempotency_key="slow-key"))
    # The status was made; the safe re-send with the same key returns it instead of a second one.
    mastodon.timeout = 5
    mastodon._client = None
    result = mastodon.publish(Post(text="Traag", link="", idempotency_key="slow-key"))
    assert list(fake_networks.mastodon.posts) == [result.remote_id]


def test_unreachable_instance_is_transient(make_account):
    adapter = make_account("mastodon", instance_url="http://127.0.0.1:9").adapter()
    with pytest.raises(TransientError) as caught:
        adapter.publish(Post(text="Niemand thuis", link="", idempotency_key="k"))
    assert not isinstance(caught.value, OutcomeUnknown)


def test_revoked_token_is_an_auth_error_without_the_token(mastodon, fake_networks):
    fake_networks.mastodon.revoke()
    with pytest.raises(AuthError) as caught:
        mastodon.publish(Post(text="Hoi", link="", idempotency_key="k"))
    assert caught.value.status == 401
    assert "revoked" in caught.value.message
    assert fake_networks.mastodon.token not in caught.value.message


def test_validation_refusal_is_permanent_with_the_network_message(mastodon, fake_networks):
    fake_networks.mastodon.fail_next(
        422, body={"error": "Validation failed: Text can't be blank"}, match="POST /api/v1/statuses"
    )
    with pytest.raises(PermanentError) as caught:
        mastodon.publish(Post(text="Hoi", link="", idempotency_key="k"))
    assert not isinstance(caught.value, AuthError)
    assert "Text can't be blank" in caught.value.message


def test_mastodons_own_rate_limit_answer_gives_the_wait(mastodon, fake_networks):
    """Mastodon answers 429 with X-RateLimit-Reset as an ISO-8601 time and no Retry-After."""
    fake_networks.mastodon.rate_limit_next(600, match="POST /api/v1/statuses")
    with pytest.raises(TransientError) as caught:
        mastodon.publish(Post(text="Te snel", link="", idempotency_key="k"))
    assert caught.value.status == 429
    assert 590 <= caught.value.retry_after <= 600
    assert fake_networks.mastodon.posts == {}


def test_parse_retry_after_reads_every_form():
    import datetime

    from channels.adapters._http import parse_retry_after

    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    assert parse_retry_after("120") == 120
    assert 290 <= parse_retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 300
    assert 290 <= parse_retry_after(soon.isoformat(timespec="milliseconds").replace("+00:00", "Z")) <= 300
    assert parse_retry_after("2020-01-01T00:00:00Z") == 0
    assert parse_retry_after("soon") is None


def test_the_post_records_the_instance_and_account_it_was_made_on(mastodon, fake_networks):
    mastodon.publish(Post(text="Hier", link="", idempotency_key="k"))
    assert mastodon.identity() == {"instance_url": fake_networks.mastodon.url, "account_id": "109"}


def test_retract_goes_to_the_instance_the_post_was_made_on(make_account, fake_networks):
    account = make_account("mastodon")
    adapter = account.adapter()
    result = adapter.publish(Post(text="Verhuisd", link="", idempotency_key="k"))
    identity = adapter.identity()
    # The account was pointed at another instance afterwards.
    account.config = {**account.config, "instance_url": "http://127.0.0.1:9"}
    account.save()
    account.adapter().retract(result.remote_id, result.remote_url, identity=identity)
    assert fake_networks.mastodon.posts == {}


def test_a_404_from_a_token_that_does_not_own_the_post_is_not_called_gone(make_account, fake_networks):
    """Mastodon answers 404 for another account's status too: look before calling it removed."""
    fake = fake_networks.mastodon
    result = make_account("mastodon").adapter().publish(Post(text="Van zorg", link="", idempotency_key="k"))
    other = make_account("mastodon", access_token=fake.other_token).adapter()
    with pytest.raises(RetractUnsupported) as caught:
        other.retract(result.remote_id, result.remote_url)
    assert caught.value.manual_url == result.remote_url
    assert result.remote_id in fake.posts
    assert fake.requests_to("GET", f"/api/v1/statuses/{result.remote_id}")
