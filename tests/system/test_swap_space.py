"""swap-space on Debian: what the manifest says of each swap area, the spec's mistakes as
located errors, and the swap check's verdicts on what the host has (a missing file without
a size, a file that holds no swap area, a missing device, a container)."""

from __future__ import annotations

import pytest

from lispdeploy.environments.managed_host import checks
from lispdeploy.errors import LispdeployError
from lispdeploy.hostside.contract import Facts, OsRelease, ProbeAnswer, SwapFact
from lispdeploy.spec.loader import load_spec
from lispdeploy.system.closure import build_system
from systems import fresh_spec_cache, where, write_spec  # noqa: F401

TAIL = """
(list (machine (operating-system os) (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "192.0.2.1")
                                                         (system "x86_64-linux")))))
"""


def load(tmp_path, swaps):
    path = write_spec(tmp_path, "(use-modules (gnu))\n(define os (operating-system\n"
                      f"  (host-name \"h\")\n  (swap-devices {swaps})))\n" + TAIL)
    spec = load_spec(path)
    return path, spec.machines[0], build_system(spec.machines[0], spec_path=path)


def test_swap_areas_in_the_manifest(tmp_path):
    _, _, system = load(tmp_path, """(list (swap-space (target "/swapfile") (size "2G")
                                                       (priority 10))
                                           (swap-space (target (uuid "4DB0-B7C4")) (discard? #t))
                                           (swap-space (target (file-system-label "swap")))
                                           "/dev/vdb2")""")
    assert system.manifest["swap"] == [
        {"target": "/swapfile", "size": 2 << 30, "priority": 10, "discard": False},
        {"target": "UUID=4db0-b7c4", "size": None, "priority": None, "discard": True},
        {"target": "LABEL=swap", "size": None, "priority": None, "discard": False},
        {"target": "/dev/vdb2", "size": None, "priority": None, "discard": False}]


@pytest.mark.parametrize("swaps, message", [
    ('(list (swap-space (target "/swapfile") (size "lots")))',
     "field 'size' expects a size such as \"2G\""),
    ('(list (swap-space (target "/swapfile") (size 4096)))', "at least 40 KiB"),
    ('(list (swap-space (target "swapfile")))', "is not a swap file or device"),
    ('(list (swap-space (target "/dev/vdb2") (size "1G")))', "size is for swap files"),
])
def test_spec_mistakes_are_located(tmp_path, swaps, message):
    with pytest.raises(LispdeployError) as raised:
        load(tmp_path, swaps)
    assert message in raised.value.message
    assert raised.value.location is not None


def verdicts(tmp_path, swaps, facts, container=None, made=None):
    path, machine, system = load(tmp_path, swaps)
    context = checks.CheckContext(manifest=system.manifest_record, contents=system.contents(),
                                  operating_system=machine.operating_system)
    answer = ProbeAnswer(machine="x86_64", os=OsRelease(), python=[3, 11],
                         facts=Facts(swaps=facts), state={"swaps": made or {}},
                         checks={"swap": {"container": container}})
    return path, [(str(p.location), p.message, p.hint)
                  for p in checks.judge(answer, context) if "swap" in p.message]


def test_the_swap_check_on_what_the_host_has(tmp_path):
    swaps = '(list (swap-space (target "/swapfile")))'
    path, found = verdicts(tmp_path, swaps, {"/swapfile": SwapFact("absent")})
    assert found == [(where(path, "(swap-space"), "swap file /swapfile does not exist on the host",
                      'add (size "2G") to the swap-space, and lispdeploy makes it (mode 0600, '
                      "mkswap), or make it yourself")]
    _, found = verdicts(tmp_path, swaps, {"/swapfile": SwapFact("file", False, "/swapfile")})
    assert found[0][1].startswith("swap file /swapfile exists but holds no swap area")
    # One lispdeploy was making when it was interrupted is its own to finish.
    _, found = verdicts(tmp_path, swaps, {"/swapfile": SwapFact("file", False, "/swapfile")},
                        made={"/swapfile": {"created": True}})
    assert found == []
    _, found = verdicts(tmp_path, swaps, {"/swapfile": SwapFact("swap", False, "/swapfile")})
    assert found == []
    _, found = verdicts(tmp_path, '(list (swap-space (target (file-system-label "swap"))))',
                        {"LABEL=swap": SwapFact("absent")})
    assert [f[1] for f in found] == ["swap device LABEL=swap not found"]
    _, found = verdicts(tmp_path, swaps, {"/swapfile": SwapFact("swap", False, "/swapfile")},
                        container="lxc")
    assert found[0][1].startswith("swap /swapfile: this host is a container (lxc)")
