"""Helpers for tests that load specs and build their systems (tests/services, tests/system):
writing a spec, building it, finding a generated file, running a host's validators, and
golden files.

Golden files live in tests/golden/; run the tests with LISPDEPLOY_REGENERATE_GOLDEN=1 to
write them again from what the code produces now (then review the diff).
"""

import os
import shutil
import subprocess
import textwrap

import pytest

from lispdeploy.spec.loader import load_spec
from spec_helpers import MACHINE_TAIL  # noqa: F401  (re-exported to the service tests)
from lispdeploy.system.closure import build_system

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
REGENERATE = os.environ.get("LISPDEPLOY_REGENERATE_GOLDEN") == "1"
SPECS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")



@pytest.fixture(autouse=True)
def fresh_spec_cache(tmp_path_factory, monkeypatch):
    """Compiled specs go to a cache of this test run (import this fixture into a test module):
    a spec compiled by an older lispdeploy must not be reused."""
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "specs"))


def write_spec(directory, text, name="spec.hy"):
    """Write a spec's text (dedented) into `directory`; return its path."""
    path = os.path.join(str(directory), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    return path


def os_spec(services, *, preamble="", fields=""):
    """A spec with one machine whose operating system has `services` (Hy text) and more
    `fields`; `preamble` comes first (modules, definitions)."""
    return (textwrap.dedent(preamble) + "\n(define os (operating-system (host-name \"test-host\")\n"
            + textwrap.dedent(fields) + f"\n(services {services})))\n" + MACHINE_TAIL)


def build(directory, text, *, listen_address=None, load_path=(), name="spec.hy"):
    """Write, load and build a spec; the system of its first machine."""
    path = write_spec(directory, text, name)
    spec = load_spec(path, load_path=load_path)
    return checked(build_system(spec.machines[0], spec_path=spec.path, spec_text=spec.text,
                                listen_address=listen_address))


def build_path(path, *, listen_address=None, load_path=(), index=0):
    """Load and build the spec at `path`; the system of machine number `index`."""
    spec = load_spec(path, load_path=load_path)
    return checked(build_system(spec.machines[index], spec_path=spec.path, spec_text=spec.text,
                                listen_address=listen_address))


def checked(system):
    """`system`, once its manifest is checked to be exactly the JSON form of the contract's
    record (the system item is written from it without decoding it: every service the tests
    build goes through this)."""
    from lispdeploy.hostside.contract import Manifest, canonical_json
    assert Manifest.from_json(system.manifest).to_json() == system.manifest
    assert system.item.content == canonical_json(system.manifest).encode()
    return system


def items_by_path(system):
    """Every store item of a system, by its store path."""
    return {item.path: item for item in system.items}


def etc_entry(system, path):
    """The manifest entry of /etc/`path`."""
    for entry in system.manifest["etc"]:
        if entry["path"] == path:
            return entry
    raise AssertionError(f"/etc/{path} is not in the manifest: "
                         + ", ".join(e["path"] for e in system.manifest["etc"]))


def etc_text(system, path):
    """The text of the store item installed as /etc/`path`."""
    return items_by_path(system)[etc_entry(system, path)["item"]].text()


def unit_entry(system, name):
    """The manifest entry of unit `name`."""
    for entry in system.manifest["units"]:
        if entry["name"] == name:
            return entry
    raise AssertionError(f"unit {name} is not in the manifest: "
                         + ", ".join(u["name"] for u in system.manifest["units"]))


def unit_text(system, name):
    """The text of the unit file lispdeploy writes for `name`."""
    return items_by_path(system)[unit_entry(system, name)["item"]].text()


def assert_golden(name, text):
    """`text` equals tests/golden/`name` (or becomes it when regenerating)."""
    path = os.path.join(GOLDEN_DIR, name)
    if REGENERATE or not os.path.exists(path):
        if not REGENERATE:
            raise AssertionError(f"no golden file {path}; run with "
                                 "LISPDEPLOY_REGENERATE_GOLDEN=1 to write it")
        os.makedirs(GOLDEN_DIR, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return
    with open(path) as f:
        expected = f.read()
    assert text == expected, f"{name} differs from its golden file {path}"


def save(directory, name, content):
    """Write `content` (str or bytes) to `directory`/`name`; return the path."""
    path = os.path.join(str(directory), name)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    return path


def install_runtime_here():
    """Put the host runtime programs name into this machine's store, as a deploy sends it to
    a host: for tests that run a built program here as a plain script."""
    from lispdeploy.gexp.runtime import runtime_item
    from lispdeploy.hostside.store import add_runtime
    runtime = runtime_item()
    add_runtime(runtime.path, {path: data for path, data, _ in runtime.entries})


def run(argv, **kwargs):
    """Run a command; the CompletedProcess (text)."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)


def host_key(directory):
    """A fresh ed25519 host key in `directory`, for `sshd -t` (and sshd's privilege
    separation directory, which `sshd -t` insists on and Debian's ssh.service creates)."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    key = os.path.join(str(directory), "ssh_host_ed25519_key")
    if not os.path.exists(key):
        result = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        assert result.returncode == 0, result.stderr
    return key


def require(program):
    """The path of `program`; the test fails (not skips) when the machine lacks it: the
    Makefile installs every Debian package the tests need."""
    path = shutil.which(program) or (program if os.path.exists(program) else None)
    assert path, f"{program} is missing: run `make deps`"
    return path


def where(path, needle, nth=1):
    """`path:line:column` of the `nth` occurrence of `needle` in the file (1-based, as
    lispdeploy reports locations)."""
    with open(path) as f:
        text = f.read()
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{path}:{line}:{column}"
