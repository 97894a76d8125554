"""Admin integration of the consent app. The publishing gate's hooks live in ``gate_hooks``."""

from . import gate_hooks  # noqa: F401
