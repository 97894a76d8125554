"""The Facebook page adapter against a loopback Graph API."""

import time

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

LINK = "https://zorg.example/verhalen/anna/?utm_source=facebook"


@pytest.fixture
def facebook(make_account):
    return make_account("facebook").adapter()


def test_publish_to_the_page_feed_with_message_and_link(facebook, fake_networks):
    fake = fake_networks.facebook
    result = facebook.publish(Post(text="Anna vertelt.", link=LINK))
    (request,) = fake.requests_to("POST", "/feed")
    assert request.path == f"/{fake.page_id}/feed"
    assert request.header("Authorization") == f"Bearer {fake.token}"
    assert request.form == {"message": "Anna vertelt.", "link": LINK}
    assert fake.token not in request.path and "access_token" not in request.query
    assert result.remote_id in fake.posts and result.remote_id.startswith(f"{fake.page_id}_")
    assert result.remote_url == f"https://www.facebook.com/{result.remote_id}"


def test_with_an_image_it_posts_a_photo_with_the_link_in_the_caption(facebook, fake_networks):
    media = Media(
        data=b"jpeg",
        content_type="image/jpeg",
        filename="a.jpg",
        alt="Anna",
        url="https://zorg.example/media/anna.jpg",
    )
    result = facebook.publish(Post(text="Met foto", link=LINK, media=[media]))
    (request,) = fake_networks.facebook.requests_to("POST", "/photos")
    assert request.form["url"] == "https://zorg.example/media/anna.jpg"
    assert request.form["caption"] == f"Met foto\n\n{LINK}"
    assert fake_networks.facebook.posts[result.remote_id]["kind"] == "photo"


def test_retract_deletes_and_again_is_fine(facebook, fake_networks):
    result = facebook.publish(Post(text="Weg", link=LINK))
    facebook.retract(result.remote_id, result.remote_url)
    assert fake_networks.facebook.posts == {}
    facebook.retract(result.remote_id, result.remote_url)  # "does not exist": already gone
    assert len(fake_networks.facebook.requests_to("DELETE")) == 2


def test_validate_limit_and_public_image_address(facebook):
    assert facebook.limits.max_chars == 63206
    media = Media(data=b"jpeg", content_type="image/jpeg", filename="a.jpg", alt="Anna", url="")
    assert facebook.validate(Post(text="x" * 63207, link="", media=[media])) == [
        "The text is 63207 characters long; Facebook allows 63206.",
        "Facebook fetches the image from its public address, and this image has none.",
    ]


def test_check_reads_expiry_from_debug_token(facebook, fake_networks):
    fake_networks.facebook.expires_at = int(time.time()) + 5 * 86400
    check = facebook.check()
    assert check.ok and check.display_name == "Zorg Utrecht"
    assert abs(check.expires_at.timestamp() - fake_networks.facebook.expires_at) < 1
    (debug,) = fake_networks.facebook.requests_to("GET", "/debug_token")
    assert debug.query == {"input_token": fake_networks.facebook.token}


def test_check_of_a_token_that_never_expires(facebook, fake_networks):
    check = facebook.check()
    assert check.ok and check.expires_at is None and "does not expire" in check.message


def test_check_of_an_expired_token_is_an_auth_error(facebook, fake_networks):
    fake_networks.facebook.expires_at = int(time.time()) - 60
    with pytest.raises(AuthError) as caught:
        facebook.check()
    assert "expired" in caught.value.message


def test_revoked_token_is_an_auth_error_without_the_token(facebook, fake_networks):
    fake_networks.facebook.revoke()
    with pytest.raises(AuthError) as caught:
        facebook.publish(Post(text="Hoi", link=LINK))
    assert "session has been invalidated" in caught.value.message
    assert fake_networks.facebook.token not in caught.value.message


def test_graph_rate_limit_code_is_transient_even_with_http_400(facebook, fake_networks):
    fake_networks.facebook.fail_next(400, match="/feed")  # Graph sends (#4) with HTTP 400
    with pytest.raises(TransientError) as caught:
        facebook.publish(Post(text="Te snel", link=LINK))
    assert "request limit" in caught.value.message
    fake_networks.facebook.fail_next(429, headers={"Retry-After": "90"}, match="/feed")
    with pytest.raises(TransientError) as caught:
        facebook.publish(Post(text="Te snel", link=LINK))
    assert caught.value.retry_after == 90


def test_server_errors_and_read_timeout(facebook, fake_networks):
    # 503: the request was not handled, a plain retry is safe.
    fake_networks.facebook.fail_next(503, match="/feed")
    with pytest.raises(TransientError) as caught:
        facebook.publish(Post(text="Later", link=LINK))
    assert caught.value.status == 503 and not isinstance(caught.value, OutcomeUnknown)
    # 500 to the post itself: Facebook may have made it; the outcome is unknown.
    fake_networks.facebook.fail_next(500, match="/feed")
    with pytest.raises(OutcomeUnknown) as caught:
        facebook.publish(Post(text="Later", link=LINK))
    assert caught.value.status == 500
    facebook.timeout = 0.5
    fake_networks.facebook.slow_next(1.5, match="/feed")
    with pytest.raises(OutcomeUnknown):
        facebook.publish(Post(text="Traag", link=LINK))


def test_wrong_page_is_permanent_with_graphs_message(make_account, fake_networks):
    adapter = make_account("facebook", page_id="111").adapter()
    with pytest.raises(PermanentError) as caught:
        adapter.publish(Post(text="Hoi", link=LINK))
    assert not isinstance(caught.value, AuthError)
    assert "hasn't authorized the application" in caught.value.message


def test_a_refused_deletion_is_not_called_gone(facebook, fake_networks):
    """Graph says "does not exist" (100/33) also when it will not delete: the post is looked up first."""
    fake = fake_networks.facebook
    result = facebook.publish(Post(text="Blijft staan", link=LINK))
    fake.refuse_delete = True
    with pytest.raises(RetractUnsupported) as caught:
        facebook.retract(result.remote_id, result.remote_url)
    assert caught.value.manual_url == result.remote_url
    assert result.remote_id in fake.posts
    (lookup,) = [r for r in fake.requests_to("GET") if r.path == f"/{result.remote_id}"]
    assert lookup.header("Authorization") == f"Bearer {fake.token}"


def test_debug_logging_never_shows_the_token(facebook, fake_networks, caplog):
    """urllib3 logs each request line at DEBUG, and Graph's debug_token takes the token in the query."""
    import logging

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    facebook.check()
    assert "/debug_token?input_token=[redacted]" in caplog.text  # the request line was logged...
    assert fake_networks.facebook.token not in caplog.text  # ...without the token
