"""Every network module implements the whole adapter interface (adding a network is adding one module)."""

import pytest

from channels import adapters
from channels.adapters.base import Adapter

REQUIRED = ("check", "publish", "retract")
NETWORKS = {"mastodon", "bluesky", "linkedin", "facebook", "instagram", "webhook"}


def test_the_registry_finds_every_network_module():
    assert set(adapters.adapter_classes()) == NETWORKS


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_each_adapter_implements_the_network_calls(kind):
    adapter_class = adapters.adapter_classes()[kind]
    missing = [name for name in REQUIRED if getattr(adapter_class, name) is getattr(Adapter, name)]
    assert not missing, f"{adapter_class.__name__} does not implement {', '.join(missing)}"
    assert adapter_class.label and adapter_class.limits.max_chars > 0
