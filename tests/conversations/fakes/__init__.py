"""Loopback networks that also answer the read side of each API (the inbox's readers)."""
