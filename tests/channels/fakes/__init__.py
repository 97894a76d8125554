"""Loopback servers that answer as each network's API does (see ``base.FakeNetwork``)."""
