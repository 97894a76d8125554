"""The inbox's admin views: the listing (``inbox``), one thread (``thread``) and the thin POST views
over ``conversations.actions`` (``actions``). Sending replies and moderation live in ``replies``.
"""
