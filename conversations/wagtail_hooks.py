"""Admin integration of the conversations app (the inbox's own hooks are added here)."""

from . import wagtail_hooks_privacy  # noqa: F401
