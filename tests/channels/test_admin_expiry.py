"""Token expiry: statuses, the daily check with its emails, and the warnings editors see."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from channels.accounts import check_accounts, expiry_status, refresh_statuses
from channels.models import ChannelAccount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]

NOW = timezone.now()


def test_status_follows_the_expiry_date(settings):
    day = datetime.timedelta(days=1)
    assert expiry_status(None, NOW) == ChannelAccount.Status.OK
    assert expiry_status(NOW + 15 * day, NOW) == ChannelAccount.Status.OK
    assert expiry_status(NOW + 14 * day, NOW) == ChannelAccount.Status.EXPIRING
    assert expiry_status(NOW + day, NOW) == ChannelAccount.Status.EXPIRING
    assert expiry_status(NOW, NOW) == ChannelAccount.Status.EXPIRED
    assert expiry_status(NOW - day, NOW) == ChannelAccount.Status.EXPIRED
    settings.VERTEL = {**settings.VERTEL, "CHANNEL_TOKEN_WARNING_DAYS": 30}
    assert expiry_status(NOW + 20 * day, NOW) == ChannelAccount.Status.EXPIRING


def test_refresh_statuses_moves_accounts_along_and_leaves_refused_ones(make_loop_account):
    soon = make_loop_account(name="Soon", status="ok", token_expires_at=NOW + datetime.timedelta(days=3))
    gone = make_loop_account(name="Gone", status="expiring", token_expires_at=NOW - datetime.timedelta(hours=1))
    fine = make_loop_account(name="Fine", status="ok", token_expires_at=None)
    refused = make_loop_account(name="Refused", status="error", token_expires_at=NOW - datetime.timedelta(days=1))
    changed = refresh_statuses(NOW)
    assert {account.name for account in changed} == {"Soon", "Gone"}
    for account, status in ((soon, "expiring"), (gone, "expired"), (fine, "ok"), (refused, "error")):
        account.refresh_from_db()
        assert account.status == status


def test_daily_job_checks_each_account_once_a_day(make_loop_account, loopnet):
    account = make_loop_account()
    check_accounts(NOW)
    assert len(loopnet.requests) == 1
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.OK
    assert account.display_name == "@zorg@loop.example"
    check_accounts(NOW + datetime.timedelta(hours=1))
    assert len(loopnet.requests) == 1
    check_accounts(NOW + datetime.timedelta(hours=25))
    assert len(loopnet.requests) == 2


def test_inactive_accounts_are_not_checked(make_loop_account, loopnet):
    make_loop_account(active=False)
    check_accounts(NOW)
    assert loopnet.requests == []


def test_administrators_are_emailed_once_when_expiring_and_once_when_expired(
    make_loop_account, loopnet, channel_admin, editor
):
    loopnet.expires_in_days = 10
    account = make_loop_account()
    check_accounts(NOW)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.EXPIRING
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [channel_admin.email]
    assert "Loop (@zorg)" in mail.outbox[0].body
    assert reverse("channel_accounts:index") in mail.outbox[0].body

    # Next runs (and the next daily check, which reports the same expiry) send nothing new.
    check_accounts(NOW + datetime.timedelta(minutes=1))
    check_accounts(NOW + datetime.timedelta(hours=25))
    assert len(mail.outbox) == 1

    # The token runs out: one more email, then silence. (The network would now refuse the
    # token; here it keeps answering, so the expiry date alone decides.)
    loopnet.expires_in_days = None
    later = account.token_expires_at + datetime.timedelta(minutes=5)
    check_accounts(later)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.EXPIRED
    assert len(mail.outbox) == 2
    assert "Token expired" in mail.outbox[1].body
    check_accounts(later + datetime.timedelta(minutes=1))
    assert len(mail.outbox) == 2


def test_a_refused_token_during_the_daily_check_is_marked_for_reconnecting(make_loop_account, loopnet):
    account = make_loop_account(status="ok")
    loopnet.refuse = True
    check_accounts(NOW)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.ERROR
    assert "reconnect" in account.status_message


def test_superusers_are_emailed_when_there_is_no_channel_administrator(make_loop_account, loopnet, superuser):
    loopnet.expires_in_days = 2
    make_loop_account()
    check_accounts(NOW)
    assert mail.outbox[0].to == [superuser.email]


def test_groups_are_set_up_after_migrate():
    admins = Group.objects.get(name="Channel administrators")
    codenames = set(admins.permissions.values_list("codename", flat=True))
    assert {"add_channelaccount", "change_channelaccount", "delete_channelaccount", "view_channelaccount"} <= codenames
    assert {"view_dispatch", "change_dispatch", "access_admin"} <= codenames
    for name in ("Editors", "Moderators"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_dispatch", "change_dispatch"} <= codenames
        assert not codenames & {"add_channelaccount", "change_channelaccount", "view_channelaccount"}


def test_the_dashboard_warns_editors_about_expiring_and_expired_accounts(make_loop_account, editor, client_for):
    make_loop_account(name="Mastodon zorg", status="expiring", token_expires_at=NOW + datetime.timedelta(days=5))
    make_loop_account(name="LinkedIn page", status="expired", token_expires_at=NOW - datetime.timedelta(days=1))
    make_loop_account(name="Healthy", status="ok")
    html = client_for(editor).get(reverse("wagtailadmin_home")).content.decode()
    assert "Channel accounts need attention" in html
    assert "Mastodon zorg" in html and "Token expires soon" in html
    assert "LinkedIn page" in html and "Token expired: reconnect" in html
    assert "Healthy" not in html
    assert "Ask a channel administrator" in html


def test_no_dashboard_panel_when_every_account_is_fine(make_loop_account, editor, client_for):
    make_loop_account(status="ok")
    html = client_for(editor).get(reverse("wagtailadmin_home")).content.decode()
    assert "Channel accounts need attention" not in html


def test_the_story_edit_view_warns_about_accounts(make_loop_account, make_org_story, editor, client_for):
    story = make_org_story()
    make_loop_account(name="LinkedIn page", status="expired", token_expires_at=NOW - datetime.timedelta(days=1))
    html = client_for(editor).get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    assert "These channel accounts need reconnecting" in html
    assert "LinkedIn page" in html and "Token expired: reconnect" in html


def test_the_story_edit_view_is_quiet_when_accounts_are_fine(make_loop_account, make_org_story, editor, client_for):
    story = make_org_story()
    make_loop_account(status="ok")
    html = client_for(editor).get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    assert "These channel accounts need reconnecting" not in html
