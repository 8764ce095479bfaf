"""Helpers of the spec tests: specs written to temporary files (compiled specs go to a
temporary cache, so that every run exercises the compiler), and the command line run as a
user runs it. Loaded by tests/spec/conftest.py; tests import the plain helpers from here."""

import os
import subprocess
import sys
import textwrap

import pytest

from lispdeploy.spec.loader import load_spec


@pytest.fixture(autouse=True)
def _spec_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "spec-cache"))


@pytest.fixture
def write_spec(tmp_path):
    """Write a spec's text (dedented) to spec.hy in a temporary directory; return its path."""
    def write(text, name="spec.hy"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return str(path)
    return write


@pytest.fixture
def load(write_spec):
    """Load a spec given as text; return the Spec."""
    def load_text(text, **kwargs):
        return load_spec(write_spec(text), **kwargs)
    return load_text


MACHINE_TAIL = """
(list (machine
       (operating-system os)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "192.0.2.1")
                       (system "x86_64-linux")))))
"""


def run_cli(*args, cwd=None, env=None):
    """Run the lispdeploy command line as a user would; return the CompletedProcess."""
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    return subprocess.run([script, *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)
