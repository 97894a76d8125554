"""The LinkedIn adapter against a loopback LinkedIn REST API (Posts and Images)."""

import datetime
from urllib.parse import quote

import pytest
from django.utils import timezone

from channels.adapters.base import AuthError, Media, OutcomeUnknown, PermanentError, Post, TransientError

from .fakes.linkedin import active_version

pytestmark = pytest.mark.django_db

LINK = "https://zorg.example/verhalen/anna/?utm_source=linkedin"
JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 64


@pytest.fixture
def linkedin(make_account):
    return make_account("linkedin").adapter()


def test_publish_posts_an_article_as_the_organisation(linkedin, fake_networks):
    fake = fake_networks.linkedin
    result = linkedin.publish(
        Post(text="Anna (62) vertelt #herstel", link=LINK, title="Mijn herstel", summary="Over revalidatie")
    )
    (request,) = fake.requests_to("POST", "/rest/posts")
    assert request.header("Authorization") == f"Bearer {fake.token}"
    assert request.header("LinkedIn-Version") == active_version()
    assert request.header("X-Restli-Protocol-Version") == "2.0.0"
    assert request.json == {
        "author": f"urn:li:organization:{fake.organization_id}",
        # Little-text format: reserved characters escaped.
        "commentary": "Anna \\(62\\) vertelt \\#herstel",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        "content": {"article": {"source": LINK, "title": "Mijn herstel", "description": "Over revalidatie"}},
    }
    assert result.remote_id in fake.posts and result.remote_id.startswith("urn:li:share:")
    assert result.remote_url == f"https://www.linkedin.com/feed/update/{result.remote_id}/"


def test_image_is_uploaded_and_used_as_article_thumbnail_with_alt(linkedin, fake_networks):
    fake = fake_networks.linkedin
    media = Media(data=JPEG, content_type="image/jpeg", filename="a.jpg", alt="Anna in de tuin")
    result = linkedin.publish(Post(text="Met foto", link=LINK, title="Titel", media=[media]))
    (init,) = fake.requests_to("POST", "/rest/images")
    assert init.query == {"action": "initializeUpload"}
    assert init.json == {"initializeUploadRequest": {"owner": f"urn:li:organization:{fake.organization_id}"}}
    (put,) = fake.requests_to("PUT", "/upload/")
    assert put.raw == JPEG
    article = fake.posts[result.remote_id]["content"]["article"]
    assert fake.images[article["thumbnail"]] == JPEG
    assert article["thumbnailAltText"] == "Anna in de tuin"


def test_retract_deletes_by_encoded_urn_and_404_is_gone(linkedin, fake_networks):
    result = linkedin.publish(Post(text="Weg", link=LINK))
    linkedin.retract(result.remote_id, result.remote_url)
    assert fake_networks.linkedin.posts == {}
    linkedin.retract(result.remote_id, result.remote_url)  # 404: already gone
    first, second = fake_networks.linkedin.requests_to("DELETE")
    assert first.path == "/rest/posts/" + quote(result.remote_id, safe="") == second.path


def test_validate_3000_characters(linkedin):
    assert linkedin.validate(Post(text="x" * 3000, link=LINK)) == []
    assert linkedin.validate(Post(text="x" * 3001, link=LINK)) == [
        "The text is 3001 characters long; LinkedIn allows 3000."
    ]


def test_check_reports_the_token_expiry(make_account, fake_networks):
    expires = timezone.now() + datetime.timedelta(days=12)
    check = make_account("linkedin", expires_at=expires.isoformat()).adapter().check()
    assert check.ok and check.display_name == "Zorg Utrecht"
    assert abs((check.expires_at - expires).total_seconds()) < 1
    assert check.profile_url == "https://www.linkedin.com/company/zorg-utrecht/"


def test_check_of_an_expired_token_says_so_without_calling(make_account, fake_networks):
    check = make_account("linkedin", expires_at="2020-01-31").adapter().check()
    assert not check.ok and check.expires_at.date() == datetime.date(2020, 1, 31)
    assert "expired" in check.message
    assert fake_networks.linkedin.requests == []


def test_revoked_token_is_an_auth_error(linkedin, fake_networks):
    fake_networks.linkedin.revoke()
    with pytest.raises(AuthError) as caught:
        linkedin.publish(Post(text="Hoi", link=LINK))
    assert "revoked" in caught.value.message and fake_networks.linkedin.token not in caught.value.message


def test_rate_limit_and_server_error(linkedin, fake_networks):
    fake_networks.linkedin.fail_next(429, headers={"Retry-After": "60"}, match="POST /rest/posts")
    with pytest.raises(TransientError) as caught:
        linkedin.publish(Post(text="Te snel", link=LINK))
    assert caught.value.retry_after == 60
    fake_networks.linkedin.fail_next(500, match="POST /rest/posts")
    with pytest.raises(TransientError) as caught:
        linkedin.publish(Post(text="Later", link=LINK))
    assert caught.value.status == 500
    assert fake_networks.linkedin.posts == {}


def test_read_timeout_is_an_unknown_outcome(linkedin, fake_networks):
    linkedin.timeout = 0.5
    fake_networks.linkedin.slow_next(1.5, match="POST /rest/posts")
    with pytest.raises(OutcomeUnknown):
        linkedin.publish(Post(text="Traag", link=LINK))
    assert len(fake_networks.linkedin.posts) == 1  # it did arrive: a person must check


def test_refusal_is_permanent_with_linkedins_message(make_account, fake_networks):
    adapter = make_account("linkedin", organization_id="999").adapter()
    with pytest.raises(PermanentError) as caught:
        adapter.publish(Post(text="Niet mijn pagina", link=LINK))
    assert caught.value.status == 422 and "not an organization you administer" in caught.value.message


def test_a_retired_version_is_refused_with_a_message_that_says_what_to_change(make_account, fake_networks):
    adapter = make_account("linkedin", api_version="202411").adapter()
    with pytest.raises(PermanentError) as caught:
        adapter.publish(Post(text="Oud", link=LINK))
    assert caught.value.status == 426
    assert "no longer accepts API version 202411" in caught.value.message
    assert "Requested version 20241101 is not active" in caught.value.message
    assert fake_networks.linkedin.posts == {}


def test_the_default_version_is_one_linkedin_serves():
    from channels.adapters.linkedin import DEFAULT_VERSION, version_age_months

    assert version_age_months(DEFAULT_VERSION, datetime.date(2026, 11, 29)) <= 2


def test_check_warns_when_the_version_nears_retirement(make_account, fake_networks):
    from channels.adapters.linkedin import version_age_months

    old = active_version(months_back=12)  # still served, but not for long
    assert version_age_months(old) == 12
    check = make_account("linkedin", api_version=old).adapter().check()
    assert check.ok
    assert f"The API version {old} is 12 months old" in check.message
    fresh = make_account("linkedin").adapter().check()
    assert fresh.ok and "API version" not in fresh.message


def test_version_age_in_months():
    from channels.adapters.linkedin import version_age_months

    today = datetime.date(2026, 11, 29)
    assert version_age_months("202610", today) == 1
    assert version_age_months("202512", today) == 11
    assert version_age_months("202511", today) == 12
    assert version_age_months("2025-11", today) is None
