"""Reading a Mastodon account: notifications, the threads of our posts, direct messages."""

import datetime

import pytest
from django.utils import timezone

from conversations.ingest import runner
from conversations.ingest.base import html_to_text
from conversations.models import Conversation, IngestCursor, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("mastodon")


def read(account):
    return runner.read_account(account)


def test_a_reply_to_our_post_becomes_a_conversation_about_that_post(nets, account, publish, make_org_story):
    story = make_org_story(title="Open dag")
    dispatch = publish(account, page=story)
    reply = nets.mastodon.add_status(
        "Wanneer is de open dag? https://zorg.example/a/very/long/path/that/is/cut", in_reply_to=dispatch.remote_id
    )
    outcome = read(account)
    assert not outcome.errors
    message = Message.objects.get(account=account, external_id=reply)
    conversation = message.conversation
    assert conversation.dispatch == dispatch
    assert conversation.story.pk == story.pk
    assert conversation.kind == Conversation.Kind.REPLY
    assert message.parent_external_id == dispatch.remote_id
    assert message.author_handle == "anna@andere.example"
    assert message.author_name == "Anna"
    assert message.text == "@zorg Wanneer is de open dag? https://zorg.example/a/very/long/path/that/is/cut"
    assert message.created_at == datetime.datetime(2026, 12, 1, 9, 1, tzinfo=datetime.UTC)
    assert message.permalink.endswith(f"/@anna/{reply}")
    assert message.external_ref["uri"].endswith(f"/statuses/{reply}")


def test_a_reply_to_a_reply_joins_its_conversation_and_a_mention_starts_its_own(nets, account, publish):
    dispatch = publish(account)
    first = nets.mastodon.add_status("Mooi verhaal", in_reply_to=dispatch.remote_id)
    second = nets.mastodon.add_status("Eens!", author="bert", in_reply_to=first)
    mention = nets.mastodon.add_status("Kijk eens wat @zorg doet")
    read(account)
    first_message = Message.objects.get(external_id=first)
    assert Message.objects.get(external_id=second).conversation == first_message.conversation
    assert Message.objects.get(external_id=second).parent_external_id == first
    mention_conversation = Message.objects.get(external_id=mention).conversation
    assert mention_conversation.kind == Conversation.Kind.MENTION
    assert mention_conversation.dispatch is None
    assert Conversation.objects.filter(account=account).count() == 2


def test_a_reply_without_the_mention_is_found_in_the_thread_of_our_post(nets, account, publish):
    dispatch = publish(account)
    silent = nets.mastodon.add_status("Zonder vermelding", in_reply_to=dispatch.remote_id, mention=False)
    read(account)
    message = Message.objects.get(external_id=silent)
    assert message.conversation.dispatch == dispatch
    assert not nets.mastodon.notes  # no notification was ever made for it


def test_an_old_post_is_not_read_for_replies(nets, account, publish, settings):
    settings.VERTEL = {**settings.VERTEL, "CONVERSATIONS_RECENT_DAYS": 7}
    old = publish(account, sent_at=timezone.now() - datetime.timedelta(days=8))
    nets.mastodon.add_status("Laat", in_reply_to=old.remote_id, mention=False)
    read(account)
    assert not nets.mastodon.requests_to("GET", f"/statuses/{old.remote_id}/context")
    assert not Message.objects.exists()


def test_notifications_are_paged_forward_with_min_id_and_stored_once(nets, account):
    for number in range(3):
        nets.mastodon.add_status(f"Eerste ronde {number}")
    read(account)
    assert Message.objects.count() == 3
    cursor = IngestCursor.objects.get(account=account, stream="notifications").cursor
    assert cursor == nets.mastodon.notes[-1]["id"]
    for number in range(170):
        nets.mastodon.add_status(f"Tweede ronde {number}")
    read(account)
    assert Message.objects.count() == 173
    calls = nets.mastodon.requests_to("GET", "/api/v1/notifications")
    assert [c.query.get("min_id") for c in calls[1:]] == [
        cursor,
        nets.mastodon.notes[82]["id"],
        nets.mastodon.notes[162]["id"],
    ]
    assert all(c.query["limit"] == "80" for c in calls)
    assert set(calls[0].query["types[]"]) == {"mention", "status", "quote"}
    read(account)  # nothing new: one short page, nothing stored twice
    assert Message.objects.count() == 173


def test_the_first_read_takes_the_newest_page_only(nets, account):
    for number in range(100):
        nets.mastodon.add_status(f"Oud {number}")
    read(account)
    assert Message.objects.count() == 80
    assert not Message.objects.filter(text__endswith="Oud 19").exists()
    assert Message.objects.filter(text__endswith="Oud 20").exists()


def test_direct_messages_are_read_as_private_conversations(nets, account):
    first = nets.mastodon.add_dm("Ik heb een vraag over mijn afspraak")
    ours = nets.mastodon.add_own_status(
        "@bert Stuur ons een bericht via het portaal", in_reply_to=first, visibility="direct"
    )
    again = nets.mastodon.add_dm("Dank u", in_reply_to=ours)
    nets.mastodon.notes.clear()  # read through /api/v1/conversations alone
    read(account)
    messages = {m.external_id: m for m in Message.objects.all()}
    assert set(messages) == {first, ours, again}
    assert messages[ours].direction == Message.Direction.OUT
    assert {m.visibility for m in messages.values()} == {Message.Visibility.DIRECT}
    conversation = messages[first].conversation
    assert conversation.kind == Conversation.Kind.DIRECT
    assert messages[again].conversation == conversation


def test_a_quote_of_our_post(nets, account, publish):
    dispatch = publish(account)
    quote = nets.mastodon.add_status("Dit moet je lezen", quote_of=dispatch.remote_id, mention=False)
    read(account)
    conversation = Message.objects.get(external_id=quote).conversation
    assert conversation.kind == Conversation.Kind.QUOTE
    assert conversation.dispatch == dispatch


def test_html_becomes_plain_text():
    content = (
        '<p>Hallo <span class="h-card"><a href="https://x.example/@zorg" class="u-url mention">'
        "@<span>zorg</span></a></span>"
        " &amp; team,</p><p>zie "
        '<a href="https://zorg.example/lange/weg/naar/een/pagina/die/te/lang/is" rel="nofollow">'
        '<span class="invisible">https://</span><span class="ellipsis">zorg.example/lange/weg/naar/een/</span>'
        '<span class="invisible">pagina/die/te/lang/is</span></a><br />groet <a href="https://x.example/tags/zorg" '
        'class="mention hashtag">#<span>zorg</span></a></p>'
    )
    assert html_to_text(content) == (
        "Hallo @zorg & team,\nzie https://zorg.example/lange/weg/naar/een/pagina/die/te/lang/is\ngroet #zorg"
    )


def test_rate_limit_pauses_the_account_until_the_reset(nets, account):
    nets.mastodon.add_status("Hallo")
    nets.mastodon.rate_limit_next(120, match="GET /api/v1/notifications")
    outcome = read(account)
    assert outcome.errors
    paused = IngestCursor.objects.get(account=account, stream="notifications")
    assert paused.not_before > timezone.now() + datetime.timedelta(seconds=100)
    assert "429" in paused.last_error
    before = len(nets.mastodon.requests)
    assert read(account).paused
    assert len(nets.mastodon.requests) == before  # nothing asked while paused
    later = timezone.now() + datetime.timedelta(seconds=200)
    assert not runner.read_account(account, now=later).errors
    assert Message.objects.count() == 1


def test_a_low_remaining_budget_stops_reading_before_the_limit(nets, account, publish):
    publish(account)
    nets.mastodon.add_status("Hallo")
    nets.mastodon.rate_remaining = 3
    read(account)
    assert Message.objects.count() == 1  # the page read is stored
    row = IngestCursor.objects.get(account=account, stream="notifications")
    assert row.not_before > timezone.now()
    assert not nets.mastodon.requests_to("GET", "/api/v1/conversations")


def test_a_revoked_token_is_recorded_without_message_text(nets, account):
    nets.mastodon.add_status("Geheim verhaal over mijn ziekte")
    nets.mastodon.revoke()
    outcome = read(account)
    assert outcome.errors
    errors = list(
        IngestCursor.objects.filter(account=account).exclude(last_error="").values_list("last_error", flat=True)
    )
    assert errors and all("ziekte" not in e and nets.mastodon.token not in e for e in errors)
    assert any("401" in e for e in errors)
