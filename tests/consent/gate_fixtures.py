"""Helpers of the consent tests (no fixtures; those are in ``tests/consent/conftest.py``).

``build_consent`` lives in ``devtools.consent`` (the channels benchmark uses it too); it is
re-exported here for the test modules that import it from this module.
"""

from devtools.consent import build_consent  # one copy, shared with the benchmarks

__all__ = ["build_consent"]
