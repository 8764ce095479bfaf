"""Swap on a host: what the planner asks for (the fstab line, making a missing file, swapon,
giving it all back), and the parts of the executors this machine can run without turning
swap on: making a swap file (mode, size, mkswap's signature) and reading swap facts.
`swapon` itself needs a real kernel: container hosts refuse it (the deploy's swap check says
so before any change), so it is exercised on servers and VMs only."""

from __future__ import annotations

import os
import stat

import pytest

from lispdeploy.hostside import apply
from lispdeploy.hostside.contract import Facts, Manifest, Swap, SwapFact
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import FSTAB, fstab_text, plan
from lispdeploy.hostside.swap import active_swaps, holds_swap_area, make_file, swap_facts

FILE = Swap("/swapfile", size=1 << 30, priority=5)
PARTITION = Swap("LABEL=swap", discard=True)
BASE = "# /etc/fstab: static file system information.\nUUID=1 / ext4 errors=remount-ro 0 1\n"


def manifest(*swaps):
    return Manifest(host_name="web", timezone="UTC", locale="C.UTF-8", swap=list(swaps))


def swap_changes(m, swaps=None, state=None, current=None):
    facts = Facts(bases={FSTAB: BASE}, swaps=swaps or {})
    changes = plan(m, facts, HostState.of(state or {}), {}, current=current)
    for c in changes:
        assert (c.kind, c.action) in apply.EXECUTORS or \
            (c.kind, c.action, c.name) in apply.EXECUTORS
    return [(c.kind, c.action, c.name, c.detail) for c in changes
            if c.kind == "swap" or c.name == FSTAB], changes


def test_a_fresh_host_gets_the_fstab_lines_the_file_and_swapon():
    shown, changes = swap_changes(manifest(FILE, PARTITION),
                                  {"LABEL=swap": SwapFact("device", False, "/dev/vdb2")})
    assert [s[:3] for s in shown] == [("file", "add", FSTAB), ("swap", "add", "/swapfile"),
                                      ("swap", "add", "LABEL=swap")]
    assert shown[1][3] == "make a 1 GiB swap file, mkswap, swapon"
    assert shown[2][3] == "swapon"
    fstab = next(c for c in changes if c.name == FSTAB).args["text"]
    assert fstab == BASE + "/swapfile\tnone\tswap\tsw,pri=5\t0\t0\n" \
                           "LABEL=swap\tnone\tswap\tsw,discard\t0\t0\n"
    make = next(c for c in changes if c.name == "/swapfile")
    assert make.args["create"] and make.args["size"] == 1 << 30
    # The fstab line is written before swapon; swapoff of a dropped area comes before files.
    steps = [c.args["step"] for c in changes if c.kind == "swap" or c.name == FSTAB]
    assert steps == ["files", "settings", "settings"]


def test_swap_that_is_on_is_left_alone_and_an_existing_area_is_only_swapped_on():
    shown, _ = swap_changes(manifest(FILE), {"/swapfile": SwapFact("swap", True, "/swapfile")})
    assert [s[:2] for s in shown] == [("file", "add")]
    shown, changes = swap_changes(manifest(FILE),
                                  {"/swapfile": SwapFact("swap", False, "/swapfile")})
    assert shown[1][3] == "swapon"
    assert not next(c for c in changes if c.kind == "swap").args["create"]


def test_the_hosts_own_line_for_the_same_area_is_replaced_not_repeated():
    base = BASE + "/swapfile none swap sw 0 0\n"
    assert fstab_text(base, [FILE]).count("/swapfile") == 1
    assert fstab_text(base, [FILE]).endswith("/swapfile\tnone\tswap\tsw,pri=5\t0\t0\n")
    assert fstab_text("", [PARTITION]) == "LABEL=swap\tnone\tswap\tsw,discard\t0\t0\n"


def test_dropped_swap_is_turned_off_and_a_file_lispdeploy_made_deleted():
    state = {"swaps": {"/swapfile": {"created": True}, "/dev/vdb2": {"created": False}},
             "originals": {FSTAB: {"kind": "file", "backup": "/x", "mode": 420, "uid": 0,
                                   "gid": 0}}}
    shown, changes = swap_changes(None, state=state, current=manifest(FILE))
    assert ("swap", "remove", "/swapfile", "swapoff, delete the file lispdeploy made") in shown
    assert ("swap", "remove", "/dev/vdb2", "swapoff") in shown
    assert ("file", "restore", FSTAB) in [s[:3] for s in shown]
    steps = {c.name: c.args["step"] for c in changes}
    assert steps["/swapfile"] == "units-dropped" and steps[FSTAB] == "files"


def test_a_swap_file_is_made_private_allocated_and_marked(tmp_path):
    path = str(tmp_path / "swapfile")
    make_file(path, 1 << 20)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_size == 1 << 20
    assert st.st_blocks * 512 >= 1 << 20  # no holes: swapon refuses sparse files
    assert holds_swap_area(path)
    plain = tmp_path / "data"
    plain.write_bytes(b"\0" * 8192)
    assert not holds_swap_area(str(plain))


def test_swap_facts_say_what_each_target_is(tmp_path):
    made = str(tmp_path / "swapfile")
    make_file(made, 1 << 20)
    other = tmp_path / "notes"
    other.write_text("not swap")
    proc = tmp_path / "swaps"
    proc.write_text("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                    f"{made}                               file\t\t1020\t\t0\t\t-2\n")
    facts = swap_facts([made, str(other), str(tmp_path / "missing"), "LABEL=no-such-label"],
                       str(proc))
    assert facts[made] == SwapFact("swap", True, made)
    assert facts[str(other)].kind == "file" and not facts[str(other)].active
    assert facts[str(tmp_path / "missing")].kind == "absent"
    assert facts["LABEL=no-such-label"].kind == "absent"
    assert active_swaps(str(tmp_path / "no-proc")) == set()


@pytest.mark.parametrize("size", [0, 4096])
def test_mkswap_refuses_what_is_too_small_for_a_swap_area(tmp_path, size):
    from lispdeploy.hostside.commands import CommandError
    with pytest.raises(CommandError):
        make_file(str(tmp_path / "tiny"), max(size, 1))
