"""What a reply must pass before it may go out: access, permission, the guard, health flags, approval."""

import pytest
from django.core.exceptions import PermissionDenied

from conversations.models import ActivityEntry, Reply
from conversations.replies import (
    ReplyBlocked,
    ReplyNeedsConfirmation,
    ReplyRefused,
    approve_reply,
    cancel_reply,
    reject_reply,
    submit_reply,
)
from conversations.replies.sending import run_reply

pytestmark = pytest.mark.django_db

State = Reply.State


@pytest.fixture
def mastodon_message(nets, net_account, thread):
    account = net_account("mastodon")

    def _make(labels=(), **fields):
        theirs = nets.mastodon.add_status("Hallo")
        return thread(account, theirs["id"], labels=labels, **fields)

    return _make


# -- who may reply -----------------------------------------------------------------------------------


def test_a_user_who_cannot_read_the_account_cannot_reply(mastodon_message, outsider):
    message = mastodon_message()
    with pytest.raises(PermissionDenied):
        submit_reply(message.conversation, message, "Dank u", outsider)
    assert not Reply.objects.exists()


def test_a_reader_without_the_reply_permission_cannot_reply(mastodon_message, reader, readable_by):
    message = mastodon_message()
    readable_by(message.account, "Viewers")
    with pytest.raises(PermissionDenied):
        submit_reply(message.conversation, message, "Dank u", reader)


def test_an_unflagged_reply_is_approved_and_queued_at_once(mastodon_message, writer):
    message = mastodon_message()
    reply = submit_reply(message.conversation, message, "  Dank u!  ", writer)
    assert (reply.state, reply.text, reply.created_by) == (State.APPROVED, "Dank u!", writer)
    entry = ActivityEntry.objects.get(action="reply_written")
    assert entry.actor == writer and "Dank" not in str(entry.data)


def test_text_longer_than_the_network_allows_is_refused(mastodon_message, writer):
    message = mastodon_message()
    with pytest.raises(ReplyRefused, match="allows 500"):
        submit_reply(message.conversation, message, "x" * 501, writer)


# -- the guard -----------------------------------------------------------------------------------------


def test_the_guard_blocks_with_its_reasons(mastodon_message, writer, guard_says):
    calls = guard_says(blocks=["names a diagnosis"])
    message = mastodon_message()
    with pytest.raises(ReplyBlocked) as refused:
        submit_reply(message.conversation, message, "Uw diabetes is onder controle.", writer)
    assert refused.value.messages == ["names a diagnosis"]
    assert calls == [("Uw diabetes is onder controle.", message.conversation_id)]
    assert not Reply.objects.exists()


def test_warnings_must_be_confirmed_and_are_kept_on_the_reply(mastodon_message, writer, guard_says):
    guard_says(warnings=["mentions an appointment"])
    message = mastodon_message()
    with pytest.raises(ReplyNeedsConfirmation) as asked:
        submit_reply(message.conversation, message, "Tot uw afspraak!", writer)
    assert asked.value.warnings == ["mentions an appointment"]
    assert not Reply.objects.exists()
    reply = submit_reply(message.conversation, message, "Tot uw afspraak!", writer, confirm_warnings=True)
    assert reply.warnings == ["mentions an appointment"]


# -- health flags: neutral saved replies only, unless private -----------------------------------------


@pytest.mark.parametrize("label", ["medical_question", "health_disclosure", "crisis"])
def test_under_an_unsafe_flag_only_a_neutral_saved_reply_goes_in_public(
    label, mastodon_message, writer, neutral_reply, chatty_reply
):
    message = mastodon_message(labels=[label])
    with pytest.raises(ReplyBlocked, match="neutral saved reply"):
        submit_reply(message.conversation, message, "Neem twee tabletten.", writer)
    with pytest.raises(ReplyBlocked, match="neutral saved reply"):
        submit_reply(message.conversation, message, "", writer, saved_reply=chatty_reply)
    with pytest.raises(ReplyBlocked, match="word for word"):
        submit_reply(
            message.conversation, message, neutral_reply.text + " Neem rust.", writer, saved_reply=neutral_reply
        )
    reply = submit_reply(message.conversation, message, "", writer, saved_reply=neutral_reply)
    assert reply.text == neutral_reply.text and reply.visibility == "public"


def test_under_an_unsafe_flag_a_private_answer_may_say_more(nets, mastodon_message, writer, lead):
    message = mastodon_message(labels=["medical_question"], author_handle="patient@elders.example")
    text = "Bel ons gerust over uw medicijnen."
    with pytest.raises(ReplyNeedsConfirmation):
        submit_reply(message.conversation, message, text, writer, private=True)
    # Privately it may say more, once the writer confirmed the guard's warning.
    reply = submit_reply(message.conversation, message, text, writer, private=True, confirm_warnings=True)
    assert reply.visibility == "direct" and reply.state == State.AWAITING_APPROVAL
    assert reply.warnings
    approve_reply(reply, lead)
    assert run_reply(reply.pk) == State.SENT
    [made] = nets.mastodon.replies_to(message.external_id)
    assert made["visibility"] == "direct"
    assert made["text"].startswith("@patient@elders.example ")


def test_a_network_without_private_replies_says_so(nets, net_account, thread, writer):
    account = net_account("linkedin")
    message = thread(account, "urn:li:comment:(urn:li:activity:1,2)", labels=["medical_question"])
    with pytest.raises(ReplyRefused, match="does not let Vertel answer this privately"):
        submit_reply(message.conversation, message, "Bel ons.", writer, private=True)


# -- approval of replies to flagged conversations -------------------------------------------------------


def test_a_reply_to_a_flagged_conversation_waits_for_a_second_person(mastodon_message, writer, lead, neutral_reply):
    message = mastodon_message(labels=["complaint"])
    reply = submit_reply(message.conversation, message, "Het spijt ons. Wilt u ons bellen?", writer)
    assert reply.state == State.AWAITING_APPROVAL
    assert run_reply(reply.pk) == "not-due:awaiting_approval"
    approve_reply(reply, lead)
    reply.refresh_from_db()
    assert (reply.state, reply.approved_by) == (State.APPROVED, lead)
    assert ActivityEntry.objects.filter(action="reply_approved", actor=lead).exists()


def test_the_writer_cannot_approve_their_own_reply(mastodon_message, lead):
    message = mastodon_message(labels=["complaint"])
    reply = submit_reply(message.conversation, message, "Het spijt ons.", lead)
    with pytest.raises(PermissionDenied, match="someone other than its writer"):
        approve_reply(reply, lead)
    reply.refresh_from_db()
    assert reply.state == State.AWAITING_APPROVAL


def test_approving_needs_the_approve_permission(mastodon_message, writer, django_user_model):
    from django.contrib.auth.models import Group

    colleague = django_user_model.objects.create_user(username="colleague", password="pw")
    colleague.groups.add(Group.objects.get(name="Conversations"))
    message = mastodon_message(labels=["complaint"])
    reply = submit_reply(message.conversation, message, "Het spijt ons.", writer)
    with pytest.raises(PermissionDenied):
        approve_reply(reply, colleague)


def test_a_rejected_reply_is_never_sent(mastodon_message, writer, lead, second_lead):
    message = mastodon_message(labels=["complaint"])
    reply = submit_reply(message.conversation, message, "Het spijt ons.", writer)
    reject_reply(reply, lead)
    reply.refresh_from_db()
    assert reply.state == State.REJECTED
    with pytest.raises(ReplyRefused):
        approve_reply(reply, second_lead)
    assert run_reply(reply.pk) == "not-due:rejected"


def test_the_writer_may_cancel_a_waiting_reply(mastodon_message, writer):
    message = mastodon_message(labels=["complaint"])
    reply = submit_reply(message.conversation, message, "Het spijt ons.", writer)
    cancel_reply(reply, writer)
    reply.refresh_from_db()
    assert reply.state == State.CANCELLED
