"""Fixtures of the spec tests (see tests/spec_helpers.py)."""

from spec_helpers import _spec_cache, load, write_spec  # noqa: F401
