"""Fixtures of the reading tests in this folder (``test_ingest*``, ``test_webhooks``, ``test_listening``).

They override the parent folder's ``make_account`` with accounts that point at the reading fakes:

- ``nets``: the five reading fakes (``.mastodon``, ``.bluesky``, ``.facebook``, ``.instagram``,
  ``.linkedin``) on 127.0.0.1, started once per session and reset for every test; Bluesky
  sessions kept in memory are forgotten.
- ``make_account(kind, **overrides)``: an active account of that kind pointed at its fake, with the
  webhook secrets set (credential-field overrides replace a credential, others a setting).
- ``publish(account, text, page=None, sent_at=None)``: our post, made through the account's own
  adapter on the fake (Instagram: put straight into the fake), recorded as a sent ``Dispatch`` with
  the ``remote_id`` the adapter returned. Returns the dispatch.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from channels.adapters.base import Post
from channels.adapters.bluesky import forget_session
from channels.models import Dispatch
from tests.channels.fakes.accounts import account_maker
from tests.conversations.fakes import bluesky, facebook, instagram, linkedin, mastodon

FAKES = {
    "mastodon": mastodon.FakeMastodon,
    "bluesky": bluesky.FakeBluesky,
    "facebook": facebook.FakeFacebook,
    "instagram": instagram.FakeInstagram,
    "linkedin": linkedin.FakeLinkedIn,
}


@pytest.fixture(scope="session")
def reading_servers():
    servers = {kind: cls().start() for kind, cls in FAKES.items()}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def nets(reading_servers):
    for server in reading_servers.values():
        server.reset()
    forget_session()
    yield SimpleNamespace(**reading_servers)
    for server in reading_servers.values():
        server.reset()
    forget_session()


@pytest.fixture
def make_account(db, nets):
    return account_maker(nets)


@pytest.fixture
def publish(nets):
    counter = {"n": 0}

    def _publish(account, text="Ons nieuwe verhaal", page=None, sent_at=None):
        counter["n"] += 1
        if account.kind == "instagram":
            media_id = str(17950000000000000 + nets.instagram.new_id())
            nets.instagram.posts[media_id] = {
                "caption": text,
                "permalink": f"https://www.instagram.com/p/C{media_id[-8:]}/",
            }
            remote_id, remote_url = media_id, nets.instagram.posts[media_id]["permalink"]
        else:
            result = account.adapter().publish(Post(text=text, link=f"https://zorg.example/verhaal/{counter['n']}/"))
            remote_id, remote_url = result.remote_id, result.remote_url
        sent_at = sent_at or timezone.now() - datetime.timedelta(hours=1)
        return Dispatch.objects.create(
            page=page,
            page_title=page.title if page else "Verhaal",
            account=account,
            content_hash=f"{counter['n']:064d}",
            state=Dispatch.State.SENT,
            scheduled_for=sent_at,
            sent_at=sent_at,
            remote_id=remote_id,
            remote_url=remote_url,
        )

    return _publish
