"""Channel accounts in the admin: who may manage them, secrets never shown back, checks, deletion."""

import logging

import pytest
from django.db import connection
from django.urls import reverse
from wagtail.models import ModelLogEntry

from channels import crypto
from channels.models import ChannelAccount

from .admin_fixtures import GOOD_TOKEN, OTHER_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]

INDEX = "channel_accounts:index"


def _form_data(loopnet, **overrides):
    data = {
        "name": "Loop (@zorg)",
        "active": "on",
        "token_expires_at": "",
        "config__api_base": loopnet.url,
        "config__handle": "zorg",
        "secret__access_token": GOOD_TOKEN,
        "secret__client_secret": OTHER_SECRET,
    }
    data.update(overrides)
    return data


def _assert_no_secret(html):
    text = html.decode() if isinstance(html, bytes) else html
    for secret in (GOOD_TOKEN, OTHER_SECRET, GOOD_TOKEN[:-4], OTHER_SECRET[:-4]):
        assert secret not in text


@pytest.mark.parametrize("who", ["editor", "moderator", "nobody"])
def test_editors_and_moderators_cannot_see_or_change_accounts(who, request, account, client_for):
    client = client_for(request.getfixturevalue(who))
    urls = [
        reverse(INDEX),
        reverse("channel_accounts:add") + "?kind=loopnet",
        reverse("channel_accounts:edit", args=[account.pk]),
        reverse("channel_accounts:delete", args=[account.pk]),
        reverse("channel_accounts:history", args=[account.pk]),
    ]
    for url in urls:
        response = client.get(url)
        # Wagtail answers a permission refusal with a redirect to the dashboard and a message.
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    response = client.post(reverse("channel_accounts:check", args=[account.pk]))
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    response = client.post(reverse("channel_accounts:add") + "?kind=loopnet", _form_data(_Url(account)))
    assert ChannelAccount.objects.count() == 1
    # Nor in the menu.
    assert reverse(INDEX) not in client.get(reverse("wagtailadmin_home")).content.decode()


class _Url:
    def __init__(self, account):
        self.url = account.config["api_base"]


@pytest.mark.parametrize("who", ["superuser", "channel_admin"])
def test_admins_list_accounts_and_see_them_in_the_channels_menu(who, request, account, client_for):
    client = client_for(request.getfixturevalue(who))
    response = client.get(reverse(INDEX))
    assert response.status_code == 200
    assert "Loop (@zorg)" in response.content.decode()
    _assert_no_secret(response.content)
    assert reverse(INDEX) in client.get(reverse("wagtailadmin_home")).content.decode()


def test_adding_starts_by_choosing_the_network(channel_admin, loopnet, client_for):
    client = client_for(channel_admin)
    response = client.get(reverse("channel_accounts:add"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "?kind=loopnet" in html and "?kind=plainnet" in html
    # An unknown kind goes back to the choice instead of failing.
    assert "?kind=plainnet" in client.get(reverse("channel_accounts:add") + "?kind=nope").content.decode()
    form = client.get(reverse("channel_accounts:add") + "?kind=loopnet").content.decode()
    assert 'name="config__api_base"' in form and 'name="secret__access_token"' in form
    assert 'type="password"' in form
    plain = client.get(reverse("channel_accounts:add") + "?kind=plainnet").content.decode()
    assert 'name="config__address"' in plain and "secret__" not in plain


def test_create_encrypts_secrets_and_never_shows_or_logs_them(channel_admin, loopnet, client_for, caplog):
    client = client_for(channel_admin)
    caplog.set_level(logging.DEBUG)
    response = client.post(reverse("channel_accounts:add") + "?kind=loopnet", _form_data(loopnet))
    account = ChannelAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("channel_accounts:edit", args=[account.pk])
    assert account.kind == "loopnet"
    assert account.config == {"api_base": loopnet.url, "handle": "zorg"}
    assert account.get_credentials() == {"access_token": GOOD_TOKEN, "client_secret": OTHER_SECRET}

    # Encrypted at rest: the raw column holds neither secret.
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted, config FROM vertel_channels_channelaccount")
        raw = " ".join(str(value) for value in cursor.fetchone())
    _assert_no_secret(raw)

    # The edit form shows the secret fields empty, with a masked hint of the last four characters.
    edit = client.get(reverse("channel_accounts:edit", args=[account.pk]))
    _assert_no_secret(edit.content)
    assert crypto.mask(GOOD_TOKEN) in edit.content.decode()

    # Listing, history and the audit log: nothing secret either.
    _assert_no_secret(client.get(reverse(INDEX)).content)
    export = client.get(reverse(INDEX), {"export": "csv"})
    _assert_no_secret(b"".join(export.streaming_content) if export.streaming else export.content)
    _assert_no_secret(client.get(reverse("channel_accounts:history", args=[account.pk])).content)
    entries = ModelLogEntry.objects.filter(object_id=str(account.pk))
    assert entries.filter(action="wagtail.create").exists()
    for entry in entries:
        _assert_no_secret(f"{entry.label} {entry.data}")
    for record in caplog.records:
        _assert_no_secret(record.getMessage())


def test_an_empty_secret_field_keeps_the_stored_value(channel_admin, account, client_for):
    client = client_for(channel_admin)
    data = _form_data(_Url(account), name="Renamed", secret__access_token="", secret__client_secret="")
    response = client.post(reverse("channel_accounts:edit", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.get_credentials() == {"access_token": GOOD_TOKEN, "client_secret": OTHER_SECRET}
    assert ModelLogEntry.objects.filter(object_id=str(account.pk), action="wagtail.edit").exists()

    # A new value replaces it, and the account must be checked again.
    account.status = ChannelAccount.Status.OK
    account.save()
    data["secret__access_token"] = "new-token-0000111122223333"
    client.post(reverse("channel_accounts:edit", args=[account.pk]), data)
    account.refresh_from_db()
    assert account.get_credentials()["access_token"] == "new-token-0000111122223333"
    assert account.get_credentials()["client_secret"] == OTHER_SECRET
    assert account.status == ChannelAccount.Status.UNCHECKED


def test_an_invalid_form_does_not_echo_the_secret(channel_admin, loopnet, client_for):
    client = client_for(channel_admin)
    response = client.post(
        reverse("channel_accounts:add") + "?kind=loopnet", _form_data(loopnet, name="", config__api_base="")
    )
    assert response.status_code == 200
    assert ChannelAccount.objects.count() == 0
    _assert_no_secret(response.content)
    assert "This field is required" in response.content.decode() or "verplicht" in response.content.decode()


def test_a_required_secret_must_be_given_on_create(channel_admin, loopnet, client_for):
    client = client_for(channel_admin)
    response = client.post(
        reverse("channel_accounts:add") + "?kind=loopnet", _form_data(loopnet, secret__access_token="")
    )
    assert response.status_code == 200
    assert ChannelAccount.objects.count() == 0


def test_check_connection_stores_what_the_network_says(channel_admin, account, loopnet, client_for):
    client = client_for(channel_admin)
    response = client.post(reverse("channel_accounts:check", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.OK
    assert account.display_name == "@zorg@loop.example"
    assert account.profile_url == "https://loop.example/@zorg"
    assert account.token_expires_at is not None and account.last_checked_at is not None
    assert loopnet.requests[-1] == {"path": "/verify", "auth": f"Bearer {GOOD_TOKEN}"}
    html = response.content.decode()
    assert "Connected to Loop (@zorg)" in html
    _assert_no_secret(html)


def test_check_connection_refused_says_reconnect(channel_admin, make_loop_account, loopnet, client_for):
    account = make_loop_account(token="revoked-token-0000000000000")
    client = client_for(channel_admin)
    response = client.post(reverse("channel_accounts:check", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.ERROR
    assert "reconnect" in account.status_message
    html = response.content.decode()
    assert "Refused: reconnect" in html or "reconnect the account" in html
    assert "revoked-token" not in html


def test_an_unreachable_network_does_not_disconnect_the_account(channel_admin, account, loopnet, client_for):
    account.status = ChannelAccount.Status.OK
    account.save()
    loopnet.stop()
    client = client_for(channel_admin)
    response = client.post(reverse("channel_accounts:check", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.OK
    assert "could not be reached" in response.content.decode()
    loopnet.httpd = type("Stopped", (), {"shutdown": lambda self: None, "server_close": lambda self: None})()


def test_check_connection_refuses_get(channel_admin, account, client_for):
    response = client_for(channel_admin).get(reverse("channel_accounts:check", args=[account.pk]))
    assert response.status_code == 405


def test_check_connection_needs_csrf(channel_admin, account, loopnet):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(channel_admin)
    assert client.post(reverse("channel_accounts:check", args=[account.pk])).status_code == 403
    assert loopnet.requests == []


def test_an_account_with_dispatches_cannot_be_deleted(
    channel_admin, account, make_dispatch, make_org_story, client_for
):
    make_dispatch(make_org_story())
    client = client_for(channel_admin)
    confirm = client.get(reverse("channel_accounts:delete", args=[account.pk])).content.decode()
    assert "cannot be deleted" in confirm and "Deactivate" in confirm
    response = client.post(reverse("channel_accounts:delete", args=[account.pk]), follow=True)
    assert ChannelAccount.objects.filter(pk=account.pk).exists()
    assert "Deactivate it instead" in response.content.decode()


def test_an_account_without_dispatches_is_deleted_and_logged(channel_admin, account, client_for):
    client = client_for(channel_admin)
    response = client.post(reverse("channel_accounts:delete", args=[account.pk]))
    assert response.status_code == 302
    assert not ChannelAccount.objects.filter(pk=account.pk).exists()
    entry = ModelLogEntry.objects.get(object_id=str(account.pk), action="wagtail.delete")
    _assert_no_secret(f"{entry.label} {entry.data}")
