"""Moderating someone else's public message, per network: what is possible, doing it, and saying why not."""

import pytest
from django.test import Client

from channels.adapters.base import Post
from channels.adapters.bluesky import BlueskyAdapter
from conversations.models import ActivityEntry, Message
from conversations.moderation import moderate, moderation_options
from conversations.views.replies import moderation_options_with_urls

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reply_urls")]


def options_of(message):
    return {o.action: o for o in moderation_options(message)}


def moderate_url(reply_urls, message, action):
    return reply_urls("conversations_replies:moderate", args=[message.pk, action])


# -- Facebook and Instagram: hide and delete ---------------------------------------------------------


def test_facebook_hide_and_delete_through_the_admin(client, writer, nets, net_account, thread, reply_urls):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Mijn dossiernummer is 123")
    message = thread(account, comment["id"])
    options = options_of(message)
    assert options["hide"].available and options["delete"].available

    client.force_login(writer)
    confirm = client.get(moderate_url(reply_urls, message, "hide"))
    assert confirm.status_code == 200 and "Hide this message on the network?" in confirm.content.decode()
    assert client.post(moderate_url(reply_urls, message, "hide"), {"next": "/admin/"}).status_code == 302
    assert nets.facebook.comments[comment["id"]]["is_hidden"] is True
    message.refresh_from_db()
    assert message.hidden
    assert "unhide" in options_of(message)
    entry = ActivityEntry.objects.get(action="moderation_hide")
    assert entry.actor == writer and "dossier" not in str(entry.data)

    client.post(moderate_url(reply_urls, message, "delete"))
    assert comment["id"] not in nets.facebook.comments
    message.refresh_from_db()
    assert message.deleted and message.text == ""
    assert not options_of(message)["delete"].available


def test_facebook_refusal_is_shown_and_nothing_recorded(client, writer, nets, net_account, thread, reply_urls):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Hoi", can_hide=False)
    message = thread(account, comment["id"])
    client.force_login(writer)
    response = client.post(moderate_url(reply_urls, message, "hide"), follow=True)
    assert "This comment cannot be hidden" in response.content.decode()
    message.refresh_from_db()
    assert not message.hidden
    assert not ActivityEntry.objects.filter(action="moderation_hide").exists()


def test_instagram_hide_unhide_and_delete(writer, nets, net_account, thread):
    account = net_account("instagram")
    comment = nets.instagram.add_comment("17950000000000001", "Hoi")
    message = thread(account, comment["id"])
    moderate(message, "hide", writer)
    assert nets.instagram.comments[comment["id"]]["hidden"] is True
    moderate(message, "unhide", writer)
    assert nets.instagram.comments[comment["id"]]["hidden"] is False
    assert not Message.objects.get(pk=message.pk).hidden
    moderate(message, "delete", writer)
    assert comment["id"] not in nets.instagram.comments
    assert Message.objects.get(pk=message.pk).deleted


# -- Bluesky: hide through the threadgate of our post, mute the thread --------------------------------


@pytest.fixture
def bluesky_reply(nets, net_account, thread):
    account = net_account("bluesky")
    ours = BlueskyAdapter(account).publish(Post(text="Ons verhaal", link=""))
    root = nets.bluesky.post_by_uri(ours.remote_id)
    theirs = nets.bluesky.add_foreign_post("Hier mijn diagnose", reply_to=root)
    ref = {"uri": theirs["uri"], "cid": theirs["cid"], "root": {"uri": root["uri"], "cid": root["cid"]}}
    return thread(account, theirs["uri"], external_ref=ref), root


def test_bluesky_hides_a_reply_in_the_threadgate_of_our_post(writer, nets, bluesky_reply):
    message, root = bluesky_reply
    assert options_of(message)["hide"].available
    assert not options_of(message)["delete"].available
    moderate(message, "hide", writer)
    rkey = root["uri"].split("/")[-1]
    gate = nets.bluesky.threadgate(rkey)
    assert gate["hiddenReplies"] == [message.external_id]
    assert gate["post"] == root["uri"]
    assert "allow" not in gate  # everyone may still reply: absent is not []
    assert Message.objects.get(pk=message.pk).hidden


def test_bluesky_keeps_the_threadgates_rules_and_other_hidden_replies(writer, nets, bluesky_reply):
    message, root = bluesky_reply
    rkey = root["uri"].split("/")[-1]
    rules = [{"$type": "app.bsky.feed.threadgate#followingRule"}]
    other = "at://did:plc:someone/app.bsky.feed.post/3labc"
    nets.bluesky.records[("app.bsky.feed.threadgate", rkey)] = {
        "uri": f"at://{nets.bluesky.did}/app.bsky.feed.threadgate/{rkey}",
        "cid": "bafyold",
        "value": {
            "$type": "app.bsky.feed.threadgate",
            "post": root["uri"],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "allow": rules,
            "hiddenReplies": [other],
        },
    }
    moderate(message, "hide", writer)
    gate = nets.bluesky.threadgate(rkey)
    assert gate["hiddenReplies"] == [other, message.external_id]
    assert [r["$type"] for r in gate["allow"]] == ["app.bsky.feed.threadgate#followingRule"]
    [put] = nets.bluesky.requests_to("POST", "putRecord")
    assert put.json["swapRecord"] == "bafyold"  # read-modify-write, compare-and-swap
    moderate(message, "unhide", writer)
    assert nets.bluesky.threadgate(rkey)["hiddenReplies"] == [other]


def test_bluesky_mutes_the_thread(writer, nets, bluesky_reply):
    message, root = bluesky_reply
    moderate(message, "mute_thread", writer)
    assert nets.bluesky.muted_threads == {root["uri"]}


def test_bluesky_cannot_hide_under_someone_elses_post(writer, nets, net_account, thread):
    account = net_account("bluesky")
    root = nets.bluesky.add_foreign_post("Hun bericht", did="did:plc:other000000000000000000")
    theirs = nets.bluesky.add_foreign_post("Reactie", reply_to=root)
    ref = {"uri": theirs["uri"], "cid": theirs["cid"], "root": {"uri": root["uri"], "cid": root["cid"]}}
    message = thread(account, theirs["uri"], external_ref=ref)
    from conversations.moderation import ModerationRefused

    with pytest.raises(ModerationRefused, match="only in threads under our own posts"):
        moderate(message, "hide", writer)
    assert nets.bluesky.requests_to("POST", "putRecord") == []


# -- Mastodon: no hide or delete, but mute, block, report ---------------------------------------------


def test_mastodon_says_it_cannot_hide_or_delete_and_offers_the_rest(
    client, writer, nets, net_account, thread, reply_urls
):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Vervelende reactie")
    message = thread(account, theirs["id"], author_external_id="200")
    options = options_of(message)
    assert not options["hide"].available and not options["delete"].available
    assert "Mastodon does not let an account hide or delete other people's replies" in options["hide"].explanation
    assert all(options[a].available for a in ("mute_thread", "block_author", "mute_author", "report"))

    client.force_login(writer)
    page = client.get(moderate_url(reply_urls, message, "hide")).content.decode()
    assert "Mastodon does not let an account hide" in page and 'type="submit"' not in page
    for action in ("mute_thread", "block_author", "mute_author"):
        assert client.post(moderate_url(reply_urls, message, action)).status_code == 302
    client.post(moderate_url(reply_urls, message, "report"), {"comment": "Intimidatie"})
    assert nets.mastodon.muted_threads == {theirs["id"]}
    assert nets.mastodon.blocked == {"200"} and "200" in nets.mastodon.muted
    [report] = nets.mastodon.reports
    assert report["status_ids"] == [theirs["id"]] and report["comment"] == "Intimidatie"
    # Hiding through the endpoint anyway changes nothing.
    client.post(moderate_url(reply_urls, message, "hide"))
    assert not Message.objects.get(pk=message.pk).hidden


# -- LinkedIn: a manual step ---------------------------------------------------------------------------


def test_linkedin_explains_and_links_to_the_comment(writer, nets, net_account, thread):
    account = net_account("linkedin")
    comment = nets.linkedin.add_comment("urn:li:activity:7100000000000000001", "Hoi")
    message = thread(account, comment)
    options = options_of(message)
    assert not options["hide"].available and not options["delete"].available
    assert "not available through LinkedIn's API" in options["hide"].explanation
    manual = options["manual"]
    assert manual.available
    assert manual.manual_url.startswith("https://www.linkedin.com/feed/update/urn:li:activity:7100000000000000001/")
    assert "commentUrn=" in manual.manual_url


def test_options_for_templates_carry_the_confirmation_address(nets, net_account, thread, reply_urls):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Hoi")
    message = thread(account, comment["id"])
    options = {o["action"]: o for o in moderation_options_with_urls(message)}
    assert options["hide"]["url"] == moderate_url(reply_urls, message, "hide")


def test_nothing_to_moderate_on_our_own_or_private_messages(nets, net_account, thread):
    account = net_account("facebook")
    message = thread(account, "1_2", visibility="direct")
    assert moderation_options(message) == []


# -- permissions, CSRF, access --------------------------------------------------------------------------


def test_moderation_needs_permission_csrf_and_access(
    client, reader, outsider, writer, readable_by, nets, net_account, thread, reply_urls
):
    account = net_account("facebook")
    comment = nets.facebook.add_comment(f"{nets.facebook.page_id}_900000001", "Hoi")
    message = thread(account, comment["id"])
    target = moderate_url(reply_urls, message, "hide")

    readable_by(account, "Viewers")
    client.force_login(reader)
    assert client.get(target).status_code == 403
    assert client.post(target).status_code == 403

    client.force_login(outsider)
    assert client.get(target, follow=True).status_code == 404

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(writer)
    assert csrf_client.post(target).status_code == 403

    assert nets.facebook.comments[comment["id"]]["is_hidden"] is False
    assert not ActivityEntry.objects.exists()
