"""The Bluesky adapter against a loopback PDS, through the atproto SDK."""

import pytest

from channels.adapters.base import AuthError, Media, OutcomeUnknown, Post, TransientError
from channels.adapters.bluesky import grapheme_count

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64
LINK = "https://zorg.example/verhalen/anna/?utm_source=bluesky"


@pytest.fixture
def bluesky(make_account):
    return make_account("bluesky").adapter()


def created_record(fake):
    (request,) = fake.requests_to("POST", "createRecord")
    return request.json


def test_publish_signs_in_and_creates_a_post_record(bluesky, fake_networks):
    fake = fake_networks.bluesky
    result = bluesky.publish(Post(text="Anna vertelt.", link=LINK, title="Mijn herstel", summary="Over revalidatie"))
    (login,) = fake.requests_to("POST", "createSession")
    assert login.json == {"identifier": fake.handle, "password": fake.app_password}
    body = created_record(fake)
    assert body["repo"] == fake.did and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["langs"] == ["nl"]
    assert record["text"] == f"Anna vertelt.\n\n{LINK}"
    # Without an image: a link card.
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert record["embed"]["external"] == {
        "uri": LINK,
        "title": "Mijn herstel",
        "description": "Over revalidatie",
        "$type": "app.bsky.embed.external#external",
    }
    rkey = result.remote_id.rsplit("/", 1)[-1]
    assert result.remote_id == f"at://{fake.did}/app.bsky.feed.post/{rkey}"
    assert result.remote_url == f"https://bsky.app/profile/{fake.did}/post/{rkey}"
    assert rkey in fake.posts


def test_link_facet_uses_utf8_byte_offsets_after_non_ascii_text(bluesky, fake_networks):
    text = "Één café, 👨‍👩‍👧 en 🇳🇱."
    bluesky.publish(Post(text=text, link=LINK))
    record = created_record(fake_networks.bluesky)["record"]
    (facet,) = record["facets"]
    start = len(f"{text}\n\n".encode())
    assert facet["index"]["byteStart"] == start != len(f"{text}\n\n")
    assert facet["index"]["byteEnd"] == start + len(LINK.encode())
    assert facet["features"] == [{"uri": LINK, "$type": "app.bsky.richtext.facet#link"}]
    encoded = record["text"].encode()
    assert encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode() == LINK


def test_image_is_uploaded_as_a_blob_and_embedded_with_alt_text(bluesky, fake_networks):
    media = Media(
        data=JPEG, content_type="image/jpeg", filename="a.jpg", alt="Anna in de tuin", width=1200, height=630
    )
    bluesky.publish(Post(text="Met foto", link=LINK, media=[media]))
    fake = fake_networks.bluesky
    (upload,) = fake.requests_to("POST", "uploadBlob")
    assert upload.raw == JPEG and upload.header("Content-Type") == "image/jpeg"
    embed = created_record(fake)["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == "Anna in de tuin"
    assert image["image"]["ref"]["$link"] in fake.blobs and image["image"]["mimeType"] == "image/jpeg"
    assert image["aspectRatio"]["width"] == 1200


def test_card_style_puts_the_image_as_thumbnail_of_the_link_card(make_account, fake_networks):
    adapter = make_account("bluesky", image_style="card").adapter()
    media = Media(data=JPEG, content_type="image/jpeg", filename="a.jpg", alt="Anna")
    adapter.publish(Post(text="Kaart", link=LINK, title="Titel", media=[media]))
    embed = created_record(fake_networks.bluesky)["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["thumb"]["ref"]["$link"] in fake_networks.bluesky.blobs


@pytest.mark.parametrize(
    "cluster",
    [
        "👨‍👩‍👧‍👦",  # ZWJ family
        "🇳🇱",  # flag: two regional indicators
        "👍🏽",  # skin tone modifier
        "e\u0301",  # e + combining acute accent
    ],
)
def test_each_grapheme_cluster_counts_as_one(bluesky, cluster):
    assert len(cluster) > 1
    assert bluesky.count(cluster) == 1
    assert grapheme_count(f"a{cluster}b") == 3


def test_validate_counts_graphemes_against_300(bluesky):
    assert bluesky.limits.counted_as == "graphemes"
    flags = "🇳🇱" * 300  # 300 graphemes, 600 code points
    assert bluesky.count(flags) == 300 and bluesky.validate(Post(text=flags, link="")) == []
    problems = bluesky.validate(Post(text="é" * 301, link=""))
    assert problems == ["The text is 301 graphemes long; Bluesky allows 300."]


def test_validate_also_keeps_to_3000_bytes(bluesky):
    families = "👨‍👩‍👧‍👦" * 125  # 125 graphemes but 3,125 bytes
    assert bluesky.validate(Post(text=families, link="")) == ["The text is longer than Bluesky accepts (3,000 bytes)."]


def test_retract_deletes_the_record_and_again_is_fine(bluesky, fake_networks):
    result = bluesky.publish(Post(text="Weg", link=LINK))
    bluesky.retract(result.remote_id, result.remote_url)
    assert fake_networks.bluesky.posts == {}
    (delete,) = fake_networks.bluesky.requests_to("POST", "deleteRecord")
    assert delete.json == {
        "repo": fake_networks.bluesky.did,
        "collection": "app.bsky.feed.post",
        "rkey": result.remote_id.rsplit("/", 1)[-1],
    }
    bluesky.retract(result.remote_id, result.remote_url)


def test_find_existing_finds_the_post_after_an_unknown_outcome(bluesky, fake_networks):
    assert bluesky.can_reconcile
    post = Post(text="Traag", link=LINK, idempotency_key="k")
    bluesky.timeout = 0.5
    fake_networks.bluesky.slow_next(1.5, match="createRecord")
    with pytest.raises(OutcomeUnknown):
        bluesky.publish(post)
    found = bluesky.find_existing(post)
    (rkey,) = fake_networks.bluesky.posts
    assert found is not None and found.remote_id.endswith(rkey)
    assert fake_networks.bluesky.requests_to("GET", "listRecords")
    # Another story's post is not mistaken for this one.
    assert bluesky.find_existing(Post(text="Traag", link=LINK + "&other=1")) is None


def test_rate_limit_with_retry_after(bluesky, fake_networks):
    fake_networks.bluesky.fail_next(429, headers={"Retry-After": "120"}, match="createRecord")
    with pytest.raises(TransientError) as caught:
        bluesky.publish(Post(text="Te snel", link=LINK))
    assert caught.value.status == 429 and caught.value.retry_after == 120


def test_server_error_is_transient(bluesky, fake_networks):
    fake_networks.bluesky.fail_next(503, match="createRecord")
    with pytest.raises(TransientError) as caught:
        bluesky.publish(Post(text="Later", link=LINK))
    assert caught.value.status == 503 and not isinstance(caught.value, OutcomeUnknown)


def test_revoked_app_password_is_an_auth_error(bluesky, fake_networks):
    fake_networks.bluesky.revoke()
    with pytest.raises(AuthError) as caught:
        bluesky.publish(Post(text="Hoi", link=LINK))
    assert caught.value.status == 401
    assert fake_networks.bluesky.app_password not in caught.value.message


def test_wrong_app_password_fails_the_check(make_account):
    adapter = make_account("bluesky", app_password="wrong-password").adapter()
    with pytest.raises(AuthError) as caught:
        adapter.check()
    assert "Invalid identifier or password" in caught.value.message
    assert "wrong-password" not in caught.value.message


def test_check_reports_the_handle(bluesky, fake_networks):
    check = bluesky.check()
    assert check.ok and check.expires_at is None
    assert check.display_name == f"@{fake_networks.bluesky.handle}"


def test_a_session_is_reused_instead_of_signing_in_for_every_post(make_account, fake_networks):
    account = make_account("bluesky")
    account.adapter().publish(Post(text="Een", link=LINK))
    account.adapter().publish(Post(text="Twee", link=LINK))
    assert len(fake_networks.bluesky.requests_to("POST", "createSession")) == 1
    assert len(fake_networks.bluesky.posts) == 2


def test_a_refused_kept_session_falls_back_to_the_app_password(make_account, fake_networks):
    account = make_account("bluesky")
    account.adapter().publish(Post(text="Een", link=LINK))
    fake_networks.bluesky.access_tokens.clear()  # the PDS forgot the session
    result = account.adapter().publish(Post(text="Twee", link=LINK))
    assert result.remote_id.rsplit("/", 1)[-1] in fake_networks.bluesky.posts
    assert len(fake_networks.bluesky.requests_to("POST", "createSession")) == 2


def test_validation_names_the_unit_in_the_readers_language(bluesky):
    from django.utils import translation

    with translation.override("nl"):
        problems = [str(p) for p in bluesky.validate(Post(text="é" * 301, link=""))]
    assert problems == ["De tekst is 301 grafemen lang; Bluesky staat er 300 toe."]
