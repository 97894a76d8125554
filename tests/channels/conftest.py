"""Fixtures of the channel tests. pytest finds them here; the test modules import none of them.

Adapter tests: one loopback server per network and accounts configured for it.

- ``fake_networks``: the six fakes (``.mastodon``, ``.bluesky``, ``.linkedin``, ``.facebook``,
  ``.instagram``, ``.webhook``), each a :class:`tests.channels.fakes.base.FakeNetwork` on
  127.0.0.1 with a free port. The servers start once per test session; every test gets them
  ``reset()`` (no posts, no recorded requests, no scripted failures, token not revoked), and
  the Bluesky sessions kept in memory are forgotten.
- ``make_account(kind, **overrides)``: an active, saved ``ChannelAccount`` of that kind whose
  settings point at its fake and whose credentials are the fake's valid ones. Overrides whose name
  is one of the adapter's credential fields replace a credential; ``name`` and ``active`` set the
  model fields; anything else is a setting (``config``).

Admin tests (``test_admin_*``; they ask for ``admin_in_english`` in ``pytestmark``): ``loopnet``
(the loopback network of ``admin_fixtures``, started per test), ``make_loop_account`` and
``account`` (accounts on it), users (``superuser`` from the root conftest, ``channel_admin``,
``editor`` with the "Editors" group only (the root conftest's ``editor`` also moderates),
``moderator``, ``nobody``), ``client_for``, ``make_dispatch`` and ``engine`` (spies).

Plan and reach tests (they ask for ``networks`` in ``pytestmark``): ``networks`` (the registry
with Bluesky, Mastodon and Instagram, see ``plan_fixtures``) and ``accounts``.

Dispatch tests: ``testnet`` (the scripted loopback network of ``devtools.loopback.testnet``,
registered and started per test) and ``testnet_account``.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation

from channels import adapters as adapters_module
from channels.adapters.bluesky import forget_session
from channels.models import Dispatch
from devtools.loopback.testnet import ScriptedNetwork, register_testnet, serve
from tests.factories import ChannelAccountFactory

from .admin_fixtures import GOOD_TOKEN, OTHER_SECRET, use_loopnet
from .fakes import bluesky, facebook, instagram, linkedin, mastodon, webhook
from .fakes.accounts import account_maker
from .plan_fixtures import ACCOUNT_CONFIG, use_networks

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


@pytest.fixture
def make_account(db, fake_networks):
    return account_maker(fake_networks)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="owner", password="pw", email="owner@example.org")


@pytest.fixture
def patient_story(make_patient_story, owner):
    page = make_patient_story(title="Mijn herstel")
    page.owner = owner
    page.save()
    return page


# -- admin tests ----------------------------------------------------------------------------------


@pytest.fixture
def admin_in_english(settings):
    """The assertions read the English source strings; Dutch catalogues may come later."""
    settings.LANGUAGE_CODE = "en"
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English")]


@pytest.fixture
def loopnet(monkeypatch):
    """Register the loopback adapters (only they exist during the test) and start the server.

    Per test, not per session: a test stops it to see the network unreachable.
    """
    server = use_loopnet(monkeypatch)
    yield server
    server.stop()


@pytest.fixture
def make_loop_account(db, loopnet):
    def _make(name="Loop (@zorg)", token=GOOD_TOKEN, **fields):
        return ChannelAccountFactory(
            name=name,
            kind="loopnet",
            config={"api_base": loopnet.url, "handle": "zorg"},
            credentials={"access_token": token, "client_secret": OTHER_SECRET},
            **fields,
        )

    return _make


@pytest.fixture
def account(make_loop_account):
    return make_loop_account()


def _user(django_user_model, username, groups=(), **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw", email=f"{username}@example.org", **extra
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def channel_admin(django_user_model):
    return _user(django_user_model, "chanadmin", ["Channel administrators"])


@pytest.fixture
def editor(django_user_model):
    return _user(django_user_model, "editor", ["Editors"])


@pytest.fixture
def moderator(django_user_model):
    return _user(django_user_model, "moderator", ["Moderators"])


@pytest.fixture
def nobody(django_user_model):
    """Admin access, but no channel permission at all."""
    user = _user(django_user_model, "nobody")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def client_for(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def make_dispatch(account):
    counter = {"n": 0}

    def _make(page, state=Dispatch.State.SENT, target=None, **fields):
        counter["n"] += 1
        fields.setdefault("scheduled_for", timezone.now())
        if state == Dispatch.State.SENT:
            fields.setdefault("sent_at", fields["scheduled_for"])
            fields.setdefault("remote_id", f"post-{counter['n']}")
            fields.setdefault("remote_url", f"https://loop.example/@zorg/{counter['n']}")
        return Dispatch.objects.create(
            page=page,
            page_title=page.title if page else "Deleted story",
            account=target or account,
            content_hash=f"{counter['n']:064d}",
            state=state,
            **fields,
        )

    return _make


@pytest.fixture
def engine(monkeypatch):
    """The engine's ``retry`` and ``retract_story``, spied on (the admin's side is under test here;
    the engine's own tests cover what they do on the networks). The spies do what the engine
    promises the admin: re-queue, and remove every sent post (or flag it for manual removal).
    """
    import channels.dispatch
    import channels.retraction

    calls = {"retry": [], "retract_story": []}

    def retry(dispatch, user):
        calls["retry"].append((dispatch.pk, user.pk))
        Dispatch.objects.filter(pk=dispatch.pk).update(state=Dispatch.State.QUEUED, next_attempt_at=None)

    def retract_story(page, reason="editor", actor=None):
        calls["retract_story"].append((page.pk, reason, actor.pk if actor else None))
        sent = Dispatch.objects.filter(page=page, state=Dispatch.State.SENT)
        sent.filter(account__kind="loopnet").update(
            retraction=Dispatch.Retraction.RETRACTED, retracted_at=timezone.now(), retraction_reason=reason
        )
        sent.exclude(account__kind="loopnet").update(
            retraction=Dispatch.Retraction.MANUAL,
            retraction_reason=reason,
            manual_removal_url="https://plain.example/x",
        )

    monkeypatch.setattr(channels.dispatch, "retry", retry)
    monkeypatch.setattr(channels.retraction, "retract_story", retract_story)
    return calls


# -- plan and reach tests -------------------------------------------------------------------------


@pytest.fixture
def networks(monkeypatch):
    """The adapter registry with Bluesky, Mastodon and Instagram present."""
    return use_networks(monkeypatch)


@pytest.fixture
def accounts(db, networks):
    return {
        kind: ChannelAccountFactory(
            name=f"Ons {networks[kind].label}", kind=kind, status="ok", config=ACCOUNT_CONFIG[kind]
        )
        for kind in ("bluesky", "mastodon", "instagram")
    }


# -- dispatch tests -------------------------------------------------------------------------------


@pytest.fixture
def testnet_registered():
    original = register_testnet()
    yield
    adapters_module.adapter_classes = original


@pytest.fixture
def testnet(testnet_registered):
    network = ScriptedNetwork()
    server = serve(network)
    network.url = server.url
    yield network
    if network.hang is not None:
        network.hang.set()
    server.stop()


@pytest.fixture
def testnet_account(testnet, db):
    def _make(name="Testnet", token="good-token", **config):  # noqa: S107
        return ChannelAccountFactory(
            name=name, kind="testnet", config={"base_url": testnet.url, **config}, credentials={"token": token}
        )

    return _make
