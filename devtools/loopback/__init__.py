"""Loopback fakes, built from one kit (``servers``: free port, threaded HTTP server, quiet JSON handler):
a scripted social network ("testnet") with its adapter, the benchmark's networks, and SMTP servers."""
