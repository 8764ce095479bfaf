"""Helpers for tests that talk to container hosts the way lispdeploy does: specs whose
machines point at fleet hosts, SSH transports to them, and running the command line.

Imported by the conftest.py of tests/remote, tests/gexp and tests/cli (tests/ is on sys.path).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Dict, Optional, Sequence

import pytest

from lispdeploy.remote.ssh import SshTransport

# Within 127.0.0.0/8 but outside what the container engine allocates (127.0.10.x up):
# nothing listens there, so connecting is refused at once.
UNREACHABLE_ADDRESS = "127.0.250.77"

OPERATING_SYSTEM = """
(define (os-named name)
  (operating-system
    (host-name name)
    (bootloader (bootloader-configuration (bootloader grub-bootloader)))
    (file-systems %base-file-systems)))
"""


def machine_form(name: str, host, *, address: Optional[str] = None, user: Optional[str] = None,
                 identity: Optional[str] = None, host_key: Optional[str] = "from-host") -> str:
    """A `(machine ...)` form reaching container host `host` (a ContainerInfo)."""
    clauses = [f'(host-name "{address or host.address}")', '(system "x86_64-linux")',
               f'(identity "{identity or host.identity}")']
    if host_key == "from-host":
        clauses.append(f'(host-key "{host.host_key}")')
    elif host_key is not None:
        clauses.append(f'(host-key "{host_key}")')
    if user:
        clauses.append(f'(user "{user}")')
    return (f'(machine (operating-system (os-named "{name}"))\n'
            f'         (environment managed-host-environment-type)\n'
            f'         (configuration (machine-ssh-configuration {" ".join(clauses)})))')


def spec_text(machines: Dict[str, str], prelude: str = "") -> str:
    """A spec: the prelude (definitions), then each machine bound to its name and listed."""
    defines = "\n".join(f"(define {name} {form})" for name, form in machines.items())
    return (OPERATING_SYSTEM + textwrap.dedent(prelude) + "\n" + defines + "\n"
            + f"(list {' '.join(machines)})\n")


@pytest.fixture(autouse=True)
def _spec_cache(tmp_path, monkeypatch):
    """Compiled specs go to a per-test cache, so that every test exercises the compiler."""
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "spec-cache"))


@pytest.fixture
def write_spec(tmp_path):
    """`write_spec(machines, prelude="")`: a spec file whose machines reach fleet hosts."""
    def write(machines: Dict[str, str], prelude: str = "", name: str = "spec.hy") -> str:
        path = tmp_path / name
        path.write_text(spec_text(machines, prelude))
        return str(path)
    return write


@pytest.fixture
def connect():
    """`connect(host, **options)`: an SshTransport to a fleet host, closed after the test."""
    opened = []

    def open_transport(host, **options) -> SshTransport:
        options.setdefault("identity", host.identity)
        options.setdefault("host_key", host.host_key)
        options.setdefault("name", host.host_name)
        transport = SshTransport.connect(host.address, port=host.port, **options)
        opened.append(transport)
        return transport

    yield open_transport
    for transport in opened:
        transport.close()


def run_cli(*args: str, env: Optional[Dict[str, str]] = None,
            timeout: float = 180) -> subprocess.CompletedProcess:
    """Run the `lispdeploy` command as a user would; the CompletedProcess (text)."""
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def host_run(transport, argv: Sequence[str]) -> str:
    """Run argv on a host over the transport (no runner) and return its stdout; it must
    succeed."""
    completed = transport.execute(list(argv))
    assert completed.exit_status == 0, completed.stderr.decode(errors="replace")
    return completed.stdout.decode()
