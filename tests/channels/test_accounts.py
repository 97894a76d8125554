"""The daily account check: an expired token is always reported once, whoever noticed it first.

A network that refuses an expired token (Facebook's debug_token says "Session has expired"), or an
adapter that knows the expiry date has passed (LinkedIn), used to mark the account "Refused" and
skip the "token expired" email; now the account is "Token expired" and the administrators hear it
once.
"""

import datetime
import time

import pytest
from django.core import mail
from django.utils import timezone

from channels.accounts import check_accounts
from channels.models import ChannelAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")


def test_an_expired_linkedin_token_is_reported_once(make_account, fake_networks, administrator):
    expired = timezone.now() - datetime.timedelta(days=1)
    account = make_account("linkedin", name="LinkedIn (Zorg Utrecht)", expires_at=expired.isoformat())
    ChannelAccount.objects.filter(pk=account.pk).update(status=ChannelAccount.Status.OK)
    check_accounts()
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.EXPIRED
    assert abs((account.token_expires_at - expired).total_seconds()) < 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [administrator.email]
    assert "LinkedIn (Zorg Utrecht)" in mail.outbox[0].body
    # The next day's check says the same: no second email.
    check_accounts(timezone.now() + datetime.timedelta(hours=25))
    assert len(mail.outbox) == 1


def test_a_token_facebook_calls_expired_is_reported_once(make_account, fake_networks, administrator):
    fake_networks.facebook.expires_at = int(time.time()) - 3600
    account = make_account("facebook", name="Facebook (Zorg Utrecht)")
    check_accounts()
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.EXPIRED
    assert account.token_expires_at is not None and account.token_expires_at < timezone.now()
    assert len(mail.outbox) == 1 and "Facebook (Zorg Utrecht)" in mail.outbox[0].body
    check_accounts(timezone.now() + datetime.timedelta(hours=25))
    assert len(mail.outbox) == 1


def test_a_revoked_token_is_still_refused_not_expired(make_account, fake_networks, administrator):
    fake_networks.facebook.revoke()
    account = make_account("facebook")
    check_accounts()
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.ERROR


def test_the_account_form_says_posts_stay_where_they_were_made(make_account, fake_networks, make_org_story):
    from channels.forms import CONFIG_PREFIX, ChannelAccountForm
    from channels.models import Dispatch

    account = make_account("mastodon")
    field = CONFIG_PREFIX + "instance_url"
    assert "of this account" not in str(ChannelAccountForm(instance=account)[field].help_text)
    story = make_org_story()
    Dispatch.objects.create(page=story, account=account, content_hash="v1", state=Dispatch.State.SENT, remote_id="1")
    help_text = str(ChannelAccountForm(instance=account)[field].help_text)
    assert "1 post of this account is on the network" in help_text
    assert "still removed where it was made" in help_text
