"""Loopback networks for ``manage.py channels_benchmark``: started in the benchmark's process,
reached by its worker processes over HTTP through the adapters."""

from dataclasses import dataclass, field

from .testnet import ScriptedNetwork, register_testnet, serve


@dataclass
class RunningNetwork:
    account: dict
    stop: object
    count_posts: object
    count_made: object


@dataclass
class Networks:
    networks: list = field(default_factory=list)

    def stop(self):
        for network in self.networks:
            network.stop()

    def posts_left(self):
        return sum(network.count_posts() for network in self.networks)

    def posts_made(self):
        return sum(network.count_made() for network in self.networks)


def _scripted(number):
    network = ScriptedNetwork()
    network.honour_keys = True
    server = serve(network)
    url = server.url

    return RunningNetwork(
        account={
            "name": f"Loopback {number + 1}",
            "kind": "testnet",
            "config": {"base_url": url, "reconcile": True},
            "credentials": {"token": "good-token"},
        },
        stop=server.stop,
        count_posts=lambda: len(network.posts),
        count_made=lambda: network.next_id - 1,
    )


def start(channels):
    """Start ``channels`` loopback networks; return them with the account each needs."""
    return Networks([_scripted(number) for number in range(channels)])


def register_adapters():
    """Make the adapters of these networks known in a child process."""
    register_testnet()
