"""/etc/crypttab, partly managed: lispdeploy's line for each LUKS device beside the host's own
lines, which are never changed; a host line for the same name replaced (or kept when it says
the same); the file given back as it was when no generation maps a device. The planner's
text, then a whole round on this machine's disk in a temporary directory: facts gathered
from the file, planned, written by the file executor, planned again (nothing to do), given
back."""

from __future__ import annotations

import os
import stat

import pytest

from lispdeploy.hostside import plan as planning
from lispdeploy.hostside.apply import Context, executor
from lispdeploy.hostside.contract import Facts, FileFact, Manifest, MappedDevice
from lispdeploy.hostside.facts import gather
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import CRYPTTAB, crypttab_text, facts_request, plan

HOME = MappedDevice("luks", ["home"], ["UUID=12345678-1234-1234-1234-123456789abc"])
DATA = MappedDevice("luks", ["data"], ["/dev/vdb1"], key_file="/root/data.key", discard=True)
LVM = MappedDevice("lvm", ["vg0-root"], ["vg0"])
BASE = ("# <target name> <source device> <key file> <options>\n"
        "sda3_crypt UUID=0d9a5b2c-0000-4000-8000-00000000aaaa none luks,discard\n")


def manifest(*devices):
    return Manifest(host_name="web", timezone="UTC", locale="C.UTF-8",
                    mapped_devices=list(devices))


def crypttab_changes(m, base=BASE, fact=None, state=None, current=None):
    facts = Facts(bases={CRYPTTAB: base},
                  files={CRYPTTAB: fact or FileFact("file", sha256="0", mode=0o644,
                                                    user="root", group="root")})
    changes = plan(m, facts, state or HostState.of({}), {}, current=current)
    return [c for c in changes if c.name == CRYPTTAB]


def test_lines_beside_the_hosts_own():
    (change,) = crypttab_changes(manifest(HOME, DATA, LVM))
    assert (change.action, change.args["step"], change.args["mode"]) == ("change", "files", 0o644)
    assert change.args["text"] == BASE + (
        "home\tUUID=12345678-1234-1234-1234-123456789abc\tnone\tluks\n"
        "data\t/dev/vdb1\t/root/data.key\tluks,discard\n")
    # The diff a dry run shows is of those lines only.
    assert "+home\tUUID=" in change.detail and "-sda3_crypt" not in change.detail


def test_a_host_without_crypttab_gets_one_and_raid_or_lvm_need_none():
    (change,) = crypttab_changes(manifest(HOME), base="", fact=FileFact("absent"))
    assert change.action == "add"
    assert change.args["text"] == "home\tUUID=12345678-1234-1234-1234-123456789abc\tnone\tluks\n"
    assert crypttab_changes(manifest(LVM), base="", fact=FileFact("absent")) == []
    assert CRYPTTAB not in facts_request(manifest(LVM), HostState.of({})).paths
    assert CRYPTTAB in facts_request(manifest(HOME), HostState.of({})).paths


def test_a_host_line_for_the_same_name_is_replaced_or_kept_when_it_says_the_same():
    base = "home /dev/sdb1 none luks\n# mine\nswap /dev/sdc1 /dev/urandom swap\n"
    assert crypttab_text(base, [HOME]) == (
        "# mine\nswap /dev/sdc1 /dev/urandom swap\n"
        "home\tUUID=12345678-1234-1234-1234-123456789abc\tnone\tluks\n")
    same = "data  /dev/vdb1  /root/data.key  discard,luks\n"
    assert crypttab_text(same, [DATA]) == same
    # "-", "none" and no key field all mean: ask at boot.
    assert crypttab_text("home UUID=12345678-1234-1234-1234-123456789abc - luks\n", [HOME]) == \
        "home UUID=12345678-1234-1234-1234-123456789abc - luks\n"


def test_the_hosts_mode_is_kept():
    (change,) = crypttab_changes(manifest(HOME), fact=FileFact(
        "file", sha256="0", mode=0o600, user="root", group="root"))
    assert change.args["mode"] == 0o600


def test_a_file_that_already_has_the_lines_is_left_alone():
    text = crypttab_text(BASE, [HOME])
    import hashlib
    fact = FileFact("file", sha256=hashlib.sha256(text.encode()).hexdigest(), mode=0o644,
                    user="root", group="root")
    assert crypttab_changes(manifest(HOME), fact=fact,
                            state=HostState.of({"originals": {CRYPTTAB: {
                                "kind": "file", "backup": "/b", "mode": 420, "uid": 0,
                                "gid": 0}}})) == []


@pytest.mark.parametrize("original, action", [({"kind": "absent"}, "remove"),
                                              ({"kind": "file", "backup": "/b", "mode": 420,
                                                "uid": 0, "gid": 0}, "restore")])
def test_no_mapping_left_gives_the_file_back(original, action):
    (change,) = crypttab_changes(manifest(), state=HostState.of({"originals": {CRYPTTAB: original}}),
                                 current=manifest(HOME))
    assert (change.action, change.args["step"]) == (action, "files")


def test_written_and_given_back_on_disk(tmp_path, monkeypatch):
    path = str(tmp_path / "etc" / "crypttab")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(BASE)
    os.chmod(path, 0o600)
    monkeypatch.setattr(planning, "CRYPTTAB", path)
    monkeypatch.setattr(planning, "PARTLY_MANAGED", (path,))
    state = HostState(root=str(tmp_path / "state"))

    def changes(m, current=None):
        facts = gather(facts_request(m, state, current), state)
        return [c for c in plan(m, facts, state, {}, current=current) if c.name == path]

    def make(planned):
        for change in planned:
            executor(change)(change.args, Context(state))
        return [c.action for c in planned]

    assert make(changes(manifest(HOME, DATA))) == ["change"]
    with open(path) as f:
        assert f.read() == crypttab_text(BASE, [HOME, DATA])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert changes(manifest(HOME, DATA)) == []
    # The next generation drops one device; the host's line is still the host's.
    assert make(changes(manifest(HOME), current=manifest(HOME, DATA))) == ["change"]
    with open(path) as f:
        assert f.read() == crypttab_text(BASE, [HOME])
    # Generation 0: the file as the host had it, mode included.
    assert make(changes(None, current=manifest(HOME))) == ["restore"]
    with open(path) as f:
        assert f.read() == BASE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert state.originals == {}


def test_a_device_with_a_key_file_is_opened_now_through_its_systemd_unit():
    generator = {"/usr/lib/systemd/system-generators/systemd-cryptsetup-generator":
                 FileFact("file", sha256="0", mode=0o755, user="root", group="root")}
    facts = Facts(bases={CRYPTTAB: BASE}, files=generator)
    changes = plan(manifest(HOME, DATA), facts, HostState.of({}), {})
    (opened,) = [c for c in changes if c.kind == "mapping"]
    assert (opened.action, opened.name, opened.args["step"]) == ("open", "data", "settings")
    assert opened.args["unit"] == "systemd-cryptsetup@data.service"
    assert opened.detail == ("open /dev/vdb1 with key file /root/data.key "
                             "(systemctl start systemd-cryptsetup@data.service)")
    # After the crypttab line is written (files come before settings).
    assert [c.kind for c in changes if c.kind in ("file", "mapping")][-1] == "mapping"


@pytest.mark.parametrize("name", ["home", "vg0-home", "data.crypt", "a+b", "a_b:c", "x-y-z"])
def test_unit_names_are_escaped_as_systemd_escape_does(name):
    import subprocess
    escaped = subprocess.run(["systemd-escape", name], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert planning.cryptsetup_unit(name) == f"systemd-cryptsetup@{escaped}.service"


def test_opening_a_device_that_is_open_already_does_nothing(tmp_path, monkeypatch):
    """Run again after an interruption, the executor leaves an open device alone (opening
    one needs a real device mapper: container hosts have none)."""
    from lispdeploy.hostside import mapping
    (tmp_path / "data").write_text("")  # stands for the node
    monkeypatch.setattr(mapping, "MAPPER_DIR", str(tmp_path))
    monkeypatch.setattr(mapping, "daemon_reload", None)   # would fail if called
    mapping.open_device({"target": "data", "unit": "systemd-cryptsetup@data.service"}, None)
