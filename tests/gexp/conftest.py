"""Fixtures for tests that reach container hosts as lispdeploy does (see tests/remote_hosts.py)."""

from remote_hosts import _spec_cache, connect, write_spec  # noqa: F401
