"""Fixtures of the adapter tests: one loopback server per network and accounts configured for it.

- ``fake_networks``: the six fakes (``.mastodon``, ``.bluesky``, ``.linkedin``, ``.facebook``,
  ``.instagram``, ``.webhook``), each a :class:`tests.channels.fakes.base.FakeNetwork` on
  127.0.0.1 with a free port. The servers start once per test session; every test gets them
  ``reset()`` (no posts, no recorded requests, no scripted failures, token not revoked), and
  the Bluesky sessions kept in memory are forgotten.
- ``make_account(kind, **overrides)``: an active, saved ``ChannelAccount`` of that kind whose
  settings point at its fake and whose credentials are the fake's valid ones. Overrides whose name
  is one of the adapter's credential fields replace a credential; ``name`` and ``active`` set the
  model fields; anything else is a setting (``config``).
"""

from types import SimpleNamespace

import pytest
from django.utils import translation

from channels.adapters import get_adapter_class
from channels.adapters.bluesky import forget_session
from channels.models import ChannelAccount

from .fakes import bluesky, facebook, instagram, linkedin, mastodon, webhook

FAKES = {
    "mastodon": mastodon.FakeMastodon,
    "bluesky": bluesky.FakeBluesky,
    "linkedin": linkedin.FakeLinkedIn,
    "facebook": facebook.FakeFacebook,
    "instagram": instagram.FakeInstagram,
    "webhook": webhook.FakeWebhook,
}


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Channel tests read messages in English; the Dutch texts are tested by the translation tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def _fake_servers():
    servers = {kind: cls().start() for kind, cls in FAKES.items()}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def fake_networks(_fake_servers):
    for server in _fake_servers.values():
        server.reset()
    forget_session()  # Bluesky sessions kept in memory belong to the previous test's PDS state
    yield SimpleNamespace(**_fake_servers)
    for server in _fake_servers.values():
        server.reset()


def account_settings(kind, fake):
    """``(config, credentials)`` of an account of ``kind`` that talks to ``fake``."""
    if kind == "mastodon":
        return {"instance_url": fake.url}, {"access_token": fake.token}
    if kind == "bluesky":
        return {"handle": fake.handle, "pds_url": fake.url}, {"app_password": fake.app_password}
    if kind == "linkedin":
        return (
            {"organization_id": fake.organization_id, "api_url": fake.url, "api_version": linkedin.active_version()},
            {"access_token": fake.token},
        )
    if kind == "facebook":
        return {"page_id": fake.page_id, "graph_url": fake.url}, {"page_access_token": fake.token}
    if kind == "instagram":
        return {"ig_user_id": fake.ig_user_id, "graph_url": fake.url}, {"access_token": fake.token}
    if kind == "webhook":
        return {"url": f"{fake.url}/hook"}, {"secret": fake.secret}
    raise LookupError(kind)


@pytest.fixture
def make_account(db, fake_networks):
    def _make(kind, **overrides):
        config, credentials = account_settings(kind, getattr(fake_networks, kind))
        secret_names = {f.name for f in get_adapter_class(kind).credential_fields}
        name = overrides.pop("name", f"{kind.title()} account")
        active = overrides.pop("active", True)
        for key, value in overrides.items():
            (credentials if key in secret_names else config)[key] = value
        account = ChannelAccount(name=name, kind=kind, active=active, config=config)
        account.set_credentials(credentials)
        account.save()
        return account

    return _make


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="owner", password="pw", email="owner@example.org")


@pytest.fixture
def patient_story(make_patient_story, owner):
    page = make_patient_story(title="Mijn herstel")
    page.owner = owner
    page.save()
    return page
