"""Listening: saved searches on Mastodon and Bluesky become conversations found by listening."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from conversations.ingest import runner
from conversations.models import Conversation, IngestCursor, Message, SavedSearch

pytestmark = pytest.mark.django_db


def search(account, query, kind=SavedSearch.Kind.TEXT, **fields):
    return SavedSearch.objects.create(name=query, account=account, kind=kind, query=query, **fields)


def test_a_mastodon_hashtag_is_read_from_the_tag_timeline(nets, make_account):
    account = make_account("mastodon")
    saved = search(account, "#ZorgUtrecht", kind=SavedSearch.Kind.HASHTAG)
    hit = nets.mastodon.add_status("Wat een fijne zorg", mention=False, tags=["zorgutrecht"])
    nets.mastodon.add_status("Iets anders", mention=False, tags=["weer"])
    runner.read_account(account)
    message = Message.objects.get(external_id=hit)
    assert message.conversation.kind == Conversation.Kind.LISTENING
    assert message.conversation.saved_search == saved
    assert not message.conversation.addressed_to_us
    assert Message.objects.count() == 1
    assert nets.mastodon.requests_to("GET", "/api/v1/timelines/tag/ZorgUtrecht")
    cursor = IngestCursor.objects.get(account=account, stream=f"search:{saved.pk}").cursor
    assert cursor == hit
    later = nets.mastodon.add_status("Nog een keer", mention=False, tags=["zorgutrecht"])
    runner.read_account(account)
    assert nets.mastodon.requests_to("GET", "/api/v1/timelines/tag/")[-1].query["min_id"] == hit
    assert Message.objects.filter(external_id=later).exists()


def test_mastodon_words_are_searched_with_v2_search(nets, make_account):
    account = make_account("mastodon")
    saved = search(account, "ziekenhuis utrecht", language="nl")
    hit = nets.mastodon.add_status("Het ziekenhuis in Utrecht was top", mention=False)
    nets.mastodon.add_status("Het ziekenhuis in Utrecht was top", mention=False, language="en")
    runner.read_account(account)
    assert list(Message.objects.values_list("external_id", flat=True)) == [hit]
    call = nets.mastodon.requests_to("GET", "/api/v2/search")[0]
    assert call.query["type"] == "statuses"
    assert Message.objects.get(external_id=hit).conversation.saved_search == saved
    runner.read_account(account)
    assert Message.objects.count() == 1


def test_bluesky_search_is_signed_in_and_stops_at_a_stored_hit(nets, make_account):
    account = make_account("bluesky")
    saved = search(account, "zorg utrecht")
    first = nets.bluesky.add_post("Zorg Utrecht helpt mij goed", notify=False)
    runner.read_account(account)
    message = Message.objects.get(external_id=first)
    assert message.conversation.kind == Conversation.Kind.LISTENING
    assert message.conversation.saved_search == saved
    call = nets.bluesky.requests_to("GET", "searchPosts")[0]
    assert call.header(
        "Authorization",
    ).startswith("Bearer ")
    assert call.query["sort"] == "latest"
    for number in range(150):
        nets.bluesky.add_post(f"Zorg Utrecht bericht {number}", notify=False)
    runner.read_account(account)
    assert Message.objects.count() == 151
    assert len(nets.bluesky.requests_to("GET", "searchPosts")) == 3


def test_a_saved_search_on_a_network_without_public_search_is_refused(nets, make_account):
    facebook = make_account("facebook")
    saved = SavedSearch(name="Naam", account=facebook, query="zorg utrecht")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        saved.full_clean()
    assert "Facebook has no public search" in str(refused.value.message_dict["account"])
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        saved.full_clean()
    assert "geen openbare zoekfunctie" in str(refused.value.message_dict["account"])
    bad_tag = SavedSearch(
        name="Tag", account=make_account("mastodon"), kind=SavedSearch.Kind.HASHTAG, query="twee woorden"
    )
    with pytest.raises(ValidationError):
        bad_tag.full_clean()
    SavedSearch(name="Goed", account=make_account("bluesky"), query="zorg").full_clean()


def test_an_inactive_search_is_not_read(nets, make_account):
    account = make_account("mastodon")
    search(account, "zorg", active=False)
    nets.mastodon.add_status("zorg", mention=False)
    runner.read_account(account)
    assert not nets.mastodon.requests_to("GET", "/api/v2/search")
