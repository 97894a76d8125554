"""The reply admin views: the form (errors keep the text), approval, permissions, CSRF, and the reply box."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from conversations.models import Reply, SavedReply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reply_urls")]


@pytest.fixture
def message(nets, net_account, thread):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Hallo")
    return thread(account, theirs["id"], author_name="Piet")


@pytest.fixture
def flagged(nets, net_account, thread):
    account = net_account("mastodon")
    theirs = nets.mastodon.add_status("Welke dosis?")
    return thread(account, theirs["id"], labels=["medical_question"], text="Welke dosis moet ik nemen?")


def url(reply_urls, name, *args):
    return reply_urls(f"conversations_replies:{name}", args=args)


def post_reply(client, reply_urls, message, **data):
    return client.post(
        url(reply_urls, "new", message.conversation_id), {"in_reply_to": message.pk, "text": "", **data}
    )


def test_the_reply_form_page_shows_the_thread_and_the_form(client, writer, message, reply_urls):
    client.force_login(writer)
    response = client.get(url(reply_urls, "new", message.conversation_id))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="text"' in html and "Dank voor het verhaal!" in html  # the message answered
    assert f'value="{message.pk}"' in html


def test_an_account_the_user_cannot_read_is_not_found(client, outsider, message, reply_urls):
    client.force_login(outsider)
    # (LocaleMiddleware sends a 404 on to the language-prefixed address, which is a 404 too.)
    assert client.get(url(reply_urls, "new", message.conversation_id), follow=True).status_code == 404
    assert client.post(url(reply_urls, "new", message.conversation_id), {"text": "Hoi"}).status_code in (302, 404)
    assert not Reply.objects.exists()


def test_without_the_reply_permission_it_is_forbidden(client, reader, readable_by, message, reply_urls):
    readable_by(message.account, "Viewers")
    client.force_login(reader)
    assert client.get(url(reply_urls, "new", message.conversation_id)).status_code == 403
    assert post_reply(client, reply_urls, message, text="Hoi").status_code == 403


def test_posting_needs_the_csrf_token(writer, message, reply_urls):
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer)
    assert post_reply(client, reply_urls, message, text="Hoi").status_code == 403
    assert not Reply.objects.exists()


def test_a_reply_is_made_and_the_writer_sent_back(client, writer, message, reply_urls):
    client.force_login(writer)
    response = post_reply(client, reply_urls, message, text="Dank u wel!", next="/admin/somewhere/")
    assert response.status_code == 302 and response["Location"] == "/admin/somewhere/"
    reply = Reply.objects.get()
    assert (reply.text, reply.state, reply.created_by) == ("Dank u wel!", Reply.State.APPROVED, writer)


def test_a_blocked_reply_comes_back_with_the_reasons_and_the_text_kept(
    client, writer, message, guard_says, reply_urls
):
    guard_says(blocks=["names a medicine"])
    client.force_login(writer)
    response = post_reply(client, reply_urls, message, text="Neem paracetamol & rust.")
    assert response.status_code == 200
    html = response.content.decode()
    assert "names a medicine" in html
    assert "Neem paracetamol &amp; rust.</textarea>" in html
    assert not Reply.objects.exists()


def test_warnings_are_shown_and_confirmed(client, writer, message, guard_says, reply_urls):
    guard_says(warnings=["mentions a date"])
    client.force_login(writer)
    response = post_reply(client, reply_urls, message, text="Tot dinsdag!")
    html = response.content.decode()
    assert response.status_code == 200 and "mentions a date" in html and 'name="confirm_warnings"' in html
    assert "Tot dinsdag!</textarea>" in html
    response = post_reply(client, reply_urls, message, text="Tot dinsdag!", confirm_warnings="on")
    assert response.status_code == 302
    assert Reply.objects.get().warnings == ["mentions a date"]


def test_under_a_health_flag_the_form_offers_only_neutral_saved_replies(
    client, writer, flagged, neutral_reply, chatty_reply, reply_urls
):
    client.force_login(writer)
    html = client.get(url(reply_urls, "new", flagged.conversation_id)).content.decode()
    assert neutral_reply.title in html and chatty_reply.title not in html
    response = post_reply(client, reply_urls, flagged, text="Neem er twee.")
    assert response.status_code == 200
    assert "only with a neutral saved reply" in response.content.decode()
    assert "Neem er twee.</textarea>" in response.content.decode()
    response = post_reply(client, reply_urls, flagged, saved_reply=neutral_reply.pk)
    assert response.status_code == 302
    assert Reply.objects.get().text == neutral_reply.text


def test_the_approval_page_is_for_a_second_person_only(
    client, writer, lead, second_lead, flagged, neutral_reply, reply_urls
):
    client.force_login(lead)
    post_reply(client, reply_urls, flagged, saved_reply=neutral_reply.pk)
    reply = Reply.objects.get()
    assert reply.state == Reply.State.AWAITING_APPROVAL
    # The writer cannot approve their own reply.
    assert client.get(url(reply_urls, "approve", reply.pk)).status_code == 403
    assert client.post(url(reply_urls, "approve", reply.pk)).status_code == 403
    # Nor can someone without the approve permission.
    client.force_login(writer)
    assert client.get(url(reply_urls, "approve", reply.pk)).status_code == 403
    assert client.get(url(reply_urls, "approvals")).status_code == 403
    client.force_login(second_lead)
    listing = client.get(url(reply_urls, "approvals"))
    assert listing.status_code == 200 and url(reply_urls, "approve", reply.pk) in listing.content.decode()
    page = client.get(url(reply_urls, "approve", reply.pk))
    assert page.status_code == 200 and "Welke dosis moet ik nemen?" in page.content.decode()
    assert client.post(url(reply_urls, "approve", reply.pk)).status_code == 302
    reply.refresh_from_db()
    assert (reply.state, reply.approved_by) == (Reply.State.APPROVED, second_lead)


def test_rejecting_from_the_reply_page(client, lead, second_lead, flagged, neutral_reply, reply_urls):
    client.force_login(lead)
    post_reply(client, reply_urls, flagged, saved_reply=neutral_reply.pk)
    reply = Reply.objects.get()
    client.force_login(second_lead)
    detail = client.get(url(reply_urls, "detail", reply.pk)).content.decode()
    assert url(reply_urls, "reject", reply.pk) in detail
    assert client.get(url(reply_urls, "reject", reply.pk)).status_code == 405
    assert client.post(url(reply_urls, "reject", reply.pk)).status_code == 302
    reply.refresh_from_db()
    assert reply.state == Reply.State.REJECTED


def test_a_reply_of_an_account_the_user_cannot_read_is_not_found(client, writer, outsider, message, reply_urls):
    client.force_login(writer)
    post_reply(client, reply_urls, message, text="Dank u")
    reply = Reply.objects.get()
    client.force_login(outsider)
    assert client.get(url(reply_urls, "detail", reply.pk), follow=True).status_code == 404
    assert client.post(url(reply_urls, "cancel", reply.pk)).status_code in (302, 404)
    reply.refresh_from_db()
    assert reply.state == Reply.State.APPROVED


def test_the_reply_box_renders_the_real_form(writer, flagged, neutral_reply, chatty_reply, reply_urls):
    request = RequestFactory().get("/admin/conversations/1/")
    request.user = writer
    html = render_to_string(
        "conversations/admin/includes/reply_box.html",
        {"conversation": flagged.conversation, "message": flagged, "saved_replies": SavedReply.objects.all()},
        request=request,
    )
    assert f'action="{url(reply_urls, "new", flagged.conversation_id)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="in_reply_to" value="{flagged.pk}"' in html
    assert neutral_reply.title in html and chatty_reply.title not in html
    assert "neutral saved reply" in html


def test_the_approval_list_costs_the_same_for_many_replies(
    client, lead, second_lead, nets, net_account, thread, neutral_reply, reply_urls
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conversations.replies import submit_reply

    account = net_account("mastodon")

    def add_replies(count, start):
        for number in range(start, start + count):
            theirs = nets.mastodon.add_status(f"Vraag {number}")
            message = thread(account, theirs["id"], labels=["medical_question"])
            submit_reply(message.conversation, message, "", lead, saved_reply=neutral_reply)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(reply_urls, "approvals"))
        return len(captured), response

    add_replies(1, 0)
    client.force_login(second_lead)
    client.get(url(reply_urls, "approvals"))  # warm the session and the admin's caches
    one, _response = queries()
    add_replies(5, 1)
    six, response = queries()
    assert six == one
    assert response.content.decode().count("/approve/") == 6


def test_an_approver_finds_the_reply_in_the_menu_the_dashboard_and_the_thread(
    client, writer, lead, second_lead, flagged, neutral_reply
):
    from django.urls import reverse
    from wagtail.admin.menu import admin_menu

    from conversations.replies import submit_reply

    reply = submit_reply(flagged.conversation, flagged, "", writer, saved_reply=neutral_reply)
    approvals = reverse("conversations_replies:approvals")

    client.force_login(lead)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "One reply waits for your approval." in home and approvals in home
    page = client.get(reverse("conversations:thread", args=[flagged.conversation_id])).content.decode()
    assert "Our replies not on the network yet" in page
    assert reverse("conversations_replies:approve", args=[reply.pk]) in page
    request = RequestFactory().get("/")
    request.user = lead
    urls = [item.url for item in _all_menu_items(request, admin_menu.menu_items_for_request(request))]
    assert approvals in urls

    # The writer sees their reply waiting, but is not offered to approve it, and has no such menu item.
    client.force_login(writer)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "waits for your approval" not in home
    page = client.get(reverse("conversations:thread", args=[flagged.conversation_id])).content.decode()
    assert reverse("conversations_replies:detail", args=[reply.pk]) in page
    assert reverse("conversations_replies:approve", args=[reply.pk]) not in page
    request.user = writer
    urls = [item.url for item in _all_menu_items(request, admin_menu.menu_items_for_request(request))]
    assert approvals not in urls


def _all_menu_items(request, items):
    for item in items:
        yield item
        submenu = getattr(item, "menu", None)
        if submenu is not None:
            yield from _all_menu_items(request, submenu.menu_items_for_request(request))
