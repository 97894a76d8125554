"""The Instagram adapter against a loopback Graph API (container, media_publish, permalink)."""

import io

import pytest
from PIL import Image

from channels.adapters.base import AuthError, Media, OutcomeUnknown, Post, RetractUnsupported, TransientError

pytestmark = pytest.mark.django_db

LINK = "https://zorg.example/verhalen/anna/?utm_source=instagram"
SERVED = {}  # url -> bytes the fake Instagram can fetch, filled by jpeg()


def jpeg_bytes(size=(1080, 1080)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 90, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def jpeg(url="https://zorg.example/media/anna.jpg", alt="Anna in de tuin", size=(1080, 1080)):
    """A real JPEG at a public address the fake can fetch (registered by the ``instagram`` fixture)."""
    data = jpeg_bytes(size)
    if url:
        SERVED[url] = data
    return Media(
        data=data, content_type="image/jpeg", filename="a.jpg", alt=alt, url=url, width=size[0], height=size[1]
    )


@pytest.fixture
def instagram(make_account, fake_networks):
    SERVED.clear()
    fake_networks.instagram.served = SERVED  # what jpeg() makes is fetchable
    return make_account("instagram").adapter()


def test_publish_makes_a_container_then_publishes_it(instagram, fake_networks):
    fake = fake_networks.instagram
    result = instagram.publish(Post(text="Anna vertelt.", link=LINK, media=[jpeg()]))
    create, publish = fake.requests_to("POST")
    assert create.path == f"/{fake.ig_user_id}/media"
    assert create.header("Authorization") == f"Bearer {fake.token}"
    assert create.form == {
        "image_url": "https://zorg.example/media/anna.jpg",
        # Links are not clickable in captions: written out as text.
        "caption": f"Anna vertelt.\n\n{LINK}",
        "alt_text": "Anna in de tuin",
    }
    assert publish.path == f"/{fake.ig_user_id}/media_publish"
    assert publish.form["creation_id"]
    assert result.remote_id in fake.posts
    assert result.remote_url == fake.posts[result.remote_id]["permalink"]
    (permalink,) = fake.requests_to("GET")
    assert permalink.path == f"/{result.remote_id}" and permalink.query == {"fields": "permalink"}


def test_validate_needs_one_public_jpeg(instagram):
    assert instagram.validate(Post(text="Zonder foto", link=LINK)) == ["Instagram needs an image."]
    png = Media(data=b"png", content_type="image/png", filename="a.png", alt="Anna", url="https://zorg.example/a.png")
    assert instagram.validate(Post(text="PNG", link=LINK, media=[png])) == [
        "Instagram does not accept image/png images."
    ]
    assert instagram.validate(Post(text="Geen adres", link=LINK, media=[jpeg(url="")])) == [
        "Instagram fetches the image from its public address, and this image has none."
    ]
    assert instagram.validate(Post(text="x" * 2200, link="", media=[jpeg()])) == []
    assert instagram.validate(Post(text="x" * 2201, link="", media=[jpeg()])) == [
        "The text is 2201 characters long; Instagram allows 2200."
    ]


def test_refused_deletion_needs_manual_removal_at_the_permalink(instagram, fake_networks):
    result = instagram.publish(Post(text="Weg", link=LINK, media=[jpeg()]))
    with pytest.raises(RetractUnsupported) as caught:
        instagram.retract(result.remote_id, result.remote_url)
    assert caught.value.manual_url == result.remote_url
    assert caught.value.manual_url.startswith("https://www.instagram.com/p/")
    assert "remove it in the app" in caught.value.message
    assert result.remote_id in fake_networks.instagram.posts


def test_refused_deletion_without_a_stored_url_looks_the_permalink_up(instagram, fake_networks):
    result = instagram.publish(Post(text="Weg", link=LINK, media=[jpeg()]))
    with pytest.raises(RetractUnsupported) as caught:
        instagram.retract(result.remote_id, "")
    assert caught.value.manual_url == fake_networks.instagram.posts[result.remote_id]["permalink"]


def test_allowed_deletion_deletes_and_again_is_fine(instagram, fake_networks):
    fake_networks.instagram.refuse_delete = False
    result = instagram.publish(Post(text="Weg", link=LINK, media=[jpeg()]))
    instagram.retract(result.remote_id, result.remote_url)
    assert fake_networks.instagram.posts == {}
    instagram.retract(result.remote_id, result.remote_url)


def test_revoked_token(instagram, fake_networks):
    fake_networks.instagram.revoke()
    with pytest.raises(AuthError):
        instagram.publish(Post(text="Hoi", link=LINK, media=[jpeg()]))
    with pytest.raises(AuthError):
        instagram.check()


def test_transient_failures(instagram, fake_networks):
    fake_networks.instagram.fail_next(429, headers={"Retry-After": "15"}, match="/media")
    with pytest.raises(TransientError) as caught:
        instagram.publish(Post(text="Te snel", link=LINK, media=[jpeg()]))
    assert caught.value.retry_after == 15
    instagram.timeout = 0.5
    fake_networks.instagram.slow_next(1.5, match="/media_publish")
    with pytest.raises(OutcomeUnknown):
        instagram.publish(Post(text="Traag", link=LINK, media=[jpeg()]))


def test_check_reports_the_account_and_expiry(instagram, fake_networks):
    check = instagram.check()
    assert check.ok and check.display_name == "@zorgutrecht" and check.expires_at is None


def test_fifty_posts_a_day_is_a_wait_of_a_day_not_a_refusal(instagram, fake_networks):
    fake_networks.instagram.daily_limit = True
    with pytest.raises(TransientError) as caught:
        instagram.publish(Post(text="De 51ste", link=LINK, media=[jpeg()]))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.retry_after >= 24 * 3600
    assert "50 posts in 24 hours" in caught.value.message
    assert fake_networks.instagram.posts == {}


def test_a_server_error_on_media_publish_is_an_unknown_outcome(instagram, fake_networks):
    fake_networks.instagram.fail_after(500, match="/media_publish")
    with pytest.raises(OutcomeUnknown):
        instagram.publish(Post(text="Misschien", link=LINK, media=[jpeg()]))
    assert len(fake_networks.instagram.posts) == 1
    # A failed container call publishes nothing: a plain retry.
    fake_networks.instagram.fail_next(502, match="/media")
    with pytest.raises(TransientError) as caught:
        instagram.publish(Post(text="Container", link=LINK, media=[jpeg()]))
    assert not isinstance(caught.value, OutcomeUnknown)
