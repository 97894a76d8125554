"""Support of the dispatch tests: fixtures around the loopback network ("testnet").

The network and its adapter live in ``devtools.loopback.testnet`` (the channels benchmark runs
against them too). Imported by the dispatch test modules: ``from .dispatch_support import *``.
"""

import pytest

from channels import adapters as adapters_module
from channels.models import ChannelAccount, PostPlan
from devtools.consent import build_consent
from devtools.loopback.testnet import ScriptedNetwork, register_testnet, serve


@pytest.fixture
def testnet_registered():
    original = register_testnet()
    yield
    adapters_module.adapter_classes = original


@pytest.fixture
def testnet(testnet_registered):
    network = ScriptedNetwork()
    server = serve(network)
    network.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield network
    if network.hang is not None:
        network.hang.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def testnet_account(testnet, db):
    def _make(name="Testnet", token="good-token", **config):  # noqa: S107
        account = ChannelAccount(name=name, kind="testnet", config={"base_url": testnet.url, **config})
        account.set_credentials({"token": token})
        account.save()
        return account

    return _make


def add_plan(page, account, **fields):
    return PostPlan.objects.create(page=page, account=account, **fields)


def publish(page):
    """Publish the page's latest revision (plans included), as the admin's Publish button would."""
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    return page


def publish_with_consent(page, channels, **consent_fields):
    """Sign the latest revision (its plans included) and publish it; the post waits in the queue."""
    revision = page.save_revision()
    consent = build_consent(page, revision=revision, channels=channels, **consent_fields)
    revision.publish()
    page.refresh_from_db()
    return consent
