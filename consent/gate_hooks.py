"""Wagtail hooks of the publishing gate (friendly messages before publishing)."""
