"""Loopback fakes: a scripted social network ("testnet") with its adapter, and SMTP servers."""
