"""Replies go out threaded on each network, at most once: under retries, unknown outcomes and two workers."""

import datetime

import pytest
from django.utils import timezone

from channels.adapters.mastodon import MastodonAdapter
from conversations.models import ActivityEntry, Conversation, Message, Reply
from conversations.replies import submit_reply
from conversations.replies.sending import run_reply
from conversations.replies.tasks import sweep_replies

pytestmark = pytest.mark.django_db

State = Reply.State


def send(message, writer, text="Dank u wel voor uw reactie!", **kwargs):
    reply = submit_reply(message.conversation, message, text, writer, **kwargs)
    assert reply.state == State.APPROVED
    return reply


# -- threading per network -------------------------------------------------------------------------


def test_mastodon_reply_is_threaded_under_the_status_and_shows_in_the_thread(nets, net_account, thread, writer):
    account = net_account("mastodon")
    ours = nets.mastodon.add_status("Ons verhaal", account_id="109", username="zorg")
    theirs = nets.mastodon.add_status("Mooi verhaal!", in_reply_to_id=ours["id"])
    message = thread(account, theirs["id"], author_handle="patient@elders.example", author_external_id="200")
    reply = send(message, writer)

    assert run_reply(reply.pk) == State.SENT

    [made] = nets.mastodon.replies_to(theirs["id"])
    assert made["account"]["id"] == "109"
    assert made["visibility"] == "public"
    assert made["text"] == "@patient@elders.example Dank u wel voor uw reactie!"
    # The network shows it in the thread.
    context = nets.mastodon.status_context(None, ours["id"])[1]
    assert [s["id"] for s in context["descendants"]] == [theirs["id"], made["id"]]
    [post] = nets.mastodon.requests_to("POST", "/api/v1/statuses")
    assert post.header("Idempotency-Key") == reply.idempotency_key

    reply.refresh_from_db()
    assert reply.remote_id == made["id"] and reply.remote_url == made["url"]
    out = Message.objects.get(direction=Message.Direction.OUT)
    assert (out.external_id, out.sent_by, out.permalink, out.conversation_id) == (
        made["id"],
        writer,
        made["url"],
        message.conversation_id,
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == Conversation.Status.ANSWERED
    assert conversation.first_reply_at is not None
    entry = ActivityEntry.objects.get(action="reply_sent")
    assert entry.actor == writer and "Dank" not in str(entry.data)


def test_mastodon_direct_message_is_answered_directly(nets, net_account, thread, writer):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("@zorg mag ik iets vragen?", visibility="direct")
    message = thread(account, theirs["id"], kind="direct", visibility="direct", author_handle="patient@elders.example")
    reply = send(message, writer, text="Natuurlijk, bel ons gerust.")
    assert reply.visibility == "direct"
    run_reply(reply.pk)
    [made] = nets.mastodon.replies_to(theirs["id"])
    assert made["visibility"] == "direct"
    assert Message.objects.get(direction="out").visibility == "direct"


def test_first_reply_time_is_kept_from_the_first_answer(nets, net_account, thread, writer):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"])
    first = send(message, writer, text="Eerste antwoord")
    run_reply(first.pk)
    first_at = Conversation.objects.get(pk=message.conversation_id).first_reply_at
    second = send(message, writer, text="Tweede antwoord")
    run_reply(second.pk)
    assert Conversation.objects.get(pk=message.conversation_id).first_reply_at == first_at
    assert Message.objects.filter(direction="out").count() == 2


def test_bluesky_reply_to_a_reply_takes_the_root_from_the_parent(nets, net_account, thread, writer):
    account = net_account("bluesky")
    root = nets.bluesky.add_foreign_post("Hallo")
    first = nets.bluesky.add_foreign_post("Eerste reactie", reply_to=root)
    second = nets.bluesky.add_foreign_post("Reactie op de reactie", reply_to=first)
    # The reader stored the strong refs with the message.
    message = thread(
        account,
        second["uri"],
        external_ref={"uri": second["uri"], "cid": second["cid"], "root": {"uri": root["uri"], "cid": root["cid"]}},
    )
    reply = send(message, writer, text="Dank voor het meedenken.")
    assert run_reply(reply.pk) == State.SENT

    [made] = nets.bluesky.our_replies_to(second["uri"])
    assert _same_refs(made["value"]["reply"], root, second)  # root: the thread's, not the parent
    out = Message.objects.get(direction="out")
    assert out.external_id == made["uri"]
    assert out.external_ref["cid"] == made["cid"] and out.external_ref["root"]["uri"] == root["uri"]
    assert out.permalink.startswith("https://bsky.app/profile/")


def _same_refs(reply, root, parent):
    return (
        reply["root"]["uri"] == root["uri"]
        and reply["root"]["cid"] == root["cid"]
        and reply["parent"]["uri"] == parent["uri"]
        and reply["parent"]["cid"] == parent["cid"]
    )


def test_bluesky_fetches_the_parent_when_the_message_lacks_its_refs(nets, net_account, thread, writer):
    account = net_account("bluesky")
    root = nets.bluesky.add_foreign_post("Ons bericht")
    parent = nets.bluesky.add_foreign_post("Een reactie", reply_to=root)
    message = thread(account, parent["uri"])  # no cid, no root: fetched with getPosts
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.SENT
    [made] = nets.bluesky.our_replies_to(parent["uri"])
    assert _same_refs(made["value"]["reply"], root, parent)
    assert nets.bluesky.requests_to("GET", "getPosts")


def test_bluesky_refuses_inconsistent_refs_and_the_reply_fails_with_its_message(nets, net_account, thread, writer):
    account = net_account("bluesky")
    root = nets.bluesky.add_foreign_post("Ons bericht")
    parent = nets.bluesky.add_foreign_post("Een reactie", reply_to=root)
    # A wrong root (the parent itself) is refused by the PDS, as on Bluesky.
    message = thread(
        account,
        parent["uri"],
        external_ref={
            "uri": parent["uri"],
            "cid": parent["cid"],
            "root": {"uri": parent["uri"], "cid": parent["cid"]},
        },
    )
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "root of the parent's thread" in reply.last_error
    assert reply.next_attempt_at is None
    assert not nets.bluesky.our_replies_to(parent["uri"])


def test_facebook_reply_goes_under_the_comment(nets, net_account, thread, writer):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Wat een mooi verhaal")
    message = thread(account, comment["id"])
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.SENT
    [made] = nets.facebook.replies_to(comment["id"])
    assert made["from"]["id"] == nets.facebook.page_id and made["message"] == "Dank u wel voor uw reactie!"
    reply.refresh_from_db()
    assert reply.remote_id == made["id"] and reply.remote_url == made["permalink_url"]


def test_instagram_reply_goes_under_the_top_level_comment(nets, net_account, thread, writer):
    account = net_account("instagram")
    top = nets.instagram.add_comment("17950000000000001", "Prachtig")
    nested = nets.instagram.add_comment("17950000000000001", "Eens!", username="ander", parent_id=top["id"])
    message = thread(account, nested["id"], root_external_id=top["id"], parent_external_id=top["id"])
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.SENT
    mine = [c for c in nets.instagram.replies_to(top["id"]) if c["from"]["id"] == nets.instagram.ig_user_id]
    assert [c["text"] for c in mine] == ["Dank u wel voor uw reactie!"]


def test_linkedin_reply_names_its_parent_comment(nets, net_account, thread, writer):
    account = net_account("linkedin")
    post = "urn:li:activity:7100000000000000001"
    comment = nets.linkedin.add_comment(post, "Goed werk")
    message = thread(account, comment)
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.SENT
    [(urn, made)] = nets.linkedin.replies_to(comment).items()
    assert made["actor"] == f"urn:li:organization:{nets.linkedin.organization_id}"
    assert made["object"] == post and made["message"]["text"] == "Dank u wel voor uw reactie!"
    reply.refresh_from_db()
    assert reply.remote_id == urn and "commentUrn=" in reply.remote_url


# -- at most once ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mastodon", "bluesky", "facebook", "instagram", "linkedin"])
def test_an_error_after_the_network_stored_the_reply_is_reconciled_not_resent(kind, nets, net_account, thread, writer):
    account = net_account(kind)
    fake = getattr(nets, kind)
    message, stored = _incoming(kind, fake, account, thread)
    fake.fail_after(502, match=_create_path(kind))
    reply = send(message, writer)

    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert reply.sending_started_at is not None  # the outcome is unknown
    assert reply.next_attempt_at is not None  # and it is looked at again later
    assert len(stored()) == 1  # the network has it, though it answered 502

    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert run_reply(reply.pk) == State.SENT
    assert len(stored()) == 1  # found in the thread, not sent again
    assert Message.objects.filter(direction="out").count() == 1
    assert ActivityEntry.objects.get(action="reply_sent").data["reconciled"] is True


def test_a_read_timeout_is_reconciled_and_the_reply_found(nets, net_account, thread, writer, monkeypatch):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"])
    monkeypatch.setattr(MastodonAdapter, "timeout", 0.5)
    nets.mastodon.slow_next(1.5, match="POST /api/v1/statuses")
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "may have arrived" in reply.last_error
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert run_reply(reply.pk) == State.SENT
    assert len(nets.mastodon.replies_to(theirs["id"])) == 1


def test_unknown_outcome_not_on_the_network_is_sent_once_with_the_same_key(nets, net_account, thread, writer):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"])
    nets.mastodon.fail_next(504, match="POST /api/v1/statuses")  # not stored: a proxy's timeout before
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    assert nets.mastodon.replies_to(theirs["id"]) == []
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert run_reply(reply.pk) == State.SENT
    keys = [r.header("Idempotency-Key") for r in nets.mastodon.requests_to("POST", "/api/v1/statuses")]
    assert keys == [reply.idempotency_key] * 2
    assert nets.mastodon.requests_to("GET", f"/api/v1/statuses/{theirs['id']}/context")
    assert len(nets.mastodon.replies_to(theirs["id"])) == 1


def test_transient_errors_are_retried_with_back_off(nets, net_account, thread, writer):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Hoi")
    message = thread(account, comment["id"])
    nets.facebook.fail_next(503, match=f"POST /{comment['id']}/comments")
    reply = send(message, writer)
    before = timezone.now()
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert reply.next_attempt_at > before and reply.sending_started_at is None
    assert "Next attempt at" in reply.last_error
    assert run_reply(reply.pk) == "not-due:failed"  # not before its time
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert run_reply(reply.pk) == State.SENT
    assert len(nets.facebook.replies_to(comment["id"])) == 1


def test_a_permanent_refusal_fails_with_the_networks_message(nets, net_account, thread, writer):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Hoi")
    message = thread(account, comment["id"])
    nets.facebook.fail_next(
        400,
        match=f"POST /{comment['id']}/comments",
        body={"error": {"message": "(#100) This comment is no longer available", "code": 100}},
    )
    reply = send(message, writer)
    assert run_reply(reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert "This comment is no longer available" in reply.last_error
    assert reply.next_attempt_at is None
    assert run_reply(reply.pk) == "not-due:failed"
    assert ActivityEntry.objects.filter(action="reply_failed").count() == 1


def test_a_second_worker_leaves_a_reply_another_is_sending(nets, net_account, thread, writer):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"])
    reply = send(message, writer)
    from conversations.respond import responder_for

    responder = responder_for(account)
    original = responder.reply
    seen = []

    def reply_while_another_worker_tries(*args, **kwargs):
        # The claim was committed before this call: a second worker finds the reply taken.
        seen.append(run_reply(reply.pk))
        return original(*args, **kwargs)

    responder.reply = reply_while_another_worker_tries
    assert run_reply(reply.pk, responder=responder) == State.SENT
    assert seen == ["not-due:sending"]
    assert run_reply(reply.pk) == "not-due:sent"
    assert len(nets.mastodon.replies_to(theirs["id"])) == 1


def test_the_sweep_takes_over_a_reply_whose_worker_died(nets, net_account, thread, writer):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"], author_handle="patient@elders.example")
    reply = send(message, writer)
    # A worker claimed it, posted, and died before recording anything.
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Reply.objects.filter(pk=reply.pk).update(state=State.SENDING, sending_started_at=long_ago, attempts=1)
    from conversations.respond import responder_for

    responder = responder_for(account)
    responder.reply(message, responder.compose(message, reply.text), key=reply.idempotency_key)

    assert sweep_replies()["run"] == 1
    reply.refresh_from_db()
    assert reply.state == State.SENT
    assert len(nets.mastodon.replies_to(theirs["id"])) == 1


def test_submitting_queues_the_reply_and_the_worker_sends_it(
    nets, net_account, thread, writer, django_capture_on_commit_callbacks
):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hoi")
    message = thread(account, theirs["id"])
    with django_capture_on_commit_callbacks(execute=True):
        reply = send(message, writer)
    reply.refresh_from_db()
    assert reply.state == State.SENT
    assert len(nets.mastodon.replies_to(theirs["id"])) == 1


# -- helpers ---------------------------------------------------------------------------------------


def _create_path(kind):
    return {
        "mastodon": "POST /api/v1/statuses",
        "bluesky": "POST /xrpc/com.atproto.repo.createRecord",
        "facebook": "/comments",
        "instagram": "/replies",
        "linkedin": "POST /rest/socialActions/",
    }[kind]


def _incoming(kind, fake, account, thread):
    """An incoming message on ``kind`` and a function listing our replies to it on the network."""
    if kind == "mastodon":
        theirs = fake.add_status("Hoi")
        return thread(account, theirs["id"]), lambda: fake.replies_to(theirs["id"])
    if kind == "bluesky":
        root = fake.add_foreign_post("Ons bericht")
        parent = fake.add_foreign_post("Een reactie", reply_to=root)
        ref = {"uri": parent["uri"], "cid": parent["cid"], "root": {"uri": root["uri"], "cid": root["cid"]}}
        return thread(account, parent["uri"], external_ref=ref), lambda: fake.our_replies_to(parent["uri"])
    if kind == "facebook":
        comment = fake.add_comment(f"{fake.page_id}_900000001", "Hoi")
        return thread(account, comment["id"]), lambda: fake.replies_to(comment["id"])
    if kind == "instagram":
        comment = fake.add_comment("17950000000000001", "Hoi")
        return thread(account, comment["id"]), lambda: fake.replies_to(comment["id"])
    comment = fake.add_comment("urn:li:activity:7100000000000000001", "Hoi")
    return thread(account, comment), lambda: list(fake.replies_to(comment))
