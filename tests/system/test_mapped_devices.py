"""mapped-device on Debian: what the manifest says of each mapped device (a LUKS device is an
/etc/crypttab line, RAID arrays and LVM volumes are verified), cryptsetup installed with a
LUKS device, the spec's mistakes as located errors, and the checks' verdicts on what the
host has (a container, a systemd without crypttab support, a missing or unencrypted device,
a device the host opens under another name, a missing key file, missing arrays and
volumes). The host half of the checks runs here on files standing for devices."""

from __future__ import annotations

import shutil

import pytest

from lispdeploy.environments.managed_host import checks
from lispdeploy.errors import LispdeployError
from lispdeploy.hostside import safety
from lispdeploy.hostside.contract import Facts, OsRelease, ProbeAnswer
from lispdeploy.spec.loader import load_spec
from lispdeploy.system.closure import build_system
from systems import fresh_spec_cache, where, write_spec  # noqa: F401

TAIL = """
(list (machine (operating-system os) (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "192.0.2.1")
                                                         (system "x86_64-linux")))))
"""

HOME = """(mapped-device (source (uuid "12345678-1234-1234-1234-123456789ABC"))
                          (target "home") (type luks-device-mapping))"""
DATA = """(mapped-device (source "/dev/vdb1") (target "data")
                          (type (luks-device-mapping-with-options
                                 #:key-file "/root/data.key" #:allow-discards? #t)))"""
LVM = """(mapped-device (source "vg0") (targets (list "vg0-root" "vg0-srv"))
                         (type lvm-device-mapping))"""
RAID = """(mapped-device (source (list "/dev/sda1" "/dev/sdb1")) (target "/dev/md0")
                          (type raid-device-mapping))"""


def load(tmp_path, devices, extra=""):
    path = write_spec(tmp_path, "(use-modules (gnu) (gnu system mapped-devices))\n"
                      "(define os (operating-system\n  (host-name \"h\")\n"
                      f"  (mapped-devices (list {devices})){extra}))\n" + TAIL)
    spec = load_spec(path)
    return path, spec.machines[0], build_system(spec.machines[0], spec_path=path)


def test_mapped_devices_in_the_manifest(tmp_path):
    path, machine, system = load(tmp_path, " ".join((HOME, DATA, LVM, RAID)))
    assert system.manifest["mapped-devices"] == [
        {"kind": "luks", "targets": ["home"],
         "sources": ["UUID=12345678-1234-1234-1234-123456789abc"], "key-file": None,
         "discard": False},
        {"kind": "luks", "targets": ["data"], "sources": ["/dev/vdb1"],
         "key-file": "/root/data.key", "discard": True},
        {"kind": "lvm", "targets": ["vg0-root", "vg0-srv"], "sources": ["vg0"],
         "key-file": None, "discard": False},
        {"kind": "raid", "targets": ["/dev/md0"], "sources": ["/dev/sda1", "/dev/sdb1"],
         "key-file": None, "discard": False}]
    # cryptsetup comes with a LUKS device, once, where the spec maps it.
    names = [p["name"] for p in system.manifest["packages"]]
    assert names.count("cryptsetup") == 1
    assert str(system.package_origins["cryptsetup"].location) == where(path, "(mapped-device (")
    # Guix's accessors, the older one included.
    assert machine.operating_system.mapped_devices[0].target == "home"


def test_newer_guix_gives_the_key_file_as_arguments(tmp_path):
    _, machine, system = load(tmp_path, """(mapped-device
        (source (uuid "becf9b67-d7fc-4e3d-a334-1c684567c98c")) (target "vault")
        (type luks-device-mapping)
        (arguments '(#:key-file "/root/vault.key" #:allow-discards? #t)))""")
    assert system.manifest["mapped-devices"] == [
        {"kind": "luks", "targets": ["vault"],
         "sources": ["UUID=becf9b67-d7fc-4e3d-a334-1c684567c98c"],
         "key-file": "/root/vault.key", "discard": True}]


def test_raid_and_lvm_alone_install_nothing(tmp_path):
    _, _, system = load(tmp_path, LVM + " " + RAID)
    assert "cryptsetup" not in [p["name"] for p in system.manifest["packages"]]


@pytest.mark.parametrize("devices, message", [
    ('(mapped-device (source "/dev/vdb1") (target "my home") (type luks-device-mapping))',
     "'my home' is not a name for /dev/mapper"),
    ('(mapped-device (source "vdb1") (target "home") (type luks-device-mapping))',
     "the source of a LUKS mapping is a device path or its LUKS UUID"),
    ('(mapped-device (source (file-system-label "x")) (target "home") '
     '(type luks-device-mapping))', "the source of a LUKS mapping is a device path"),
    ('(mapped-device (source "/dev/vdb1") (targets (list "a" "b")) (type luks-device-mapping))',
     "a LUKS mapping opens one device as one target, not 2"),
    ('(mapped-device (source "/dev/vdb1") (target "home") (type '
     '(luks-device-mapping-with-options #:key-file "key")))',
     "#:key-file must be the absolute path of a file on the host"),
    ('(mapped-device (source "/dev/vdb1") (target "home") (type "luks"))',
     "field 'type' expects a device mapping such as luks-device-mapping"),
    ('(mapped-device (source "/dev/sda1") (target "/dev/md0") (type raid-device-mapping))',
     "the source of a RAID mapping is the list of its member devices"),
    ('(mapped-device (source (list "/dev/sda1")) (target "md0") (type raid-device-mapping))',
     "a RAID mapping has one target, the array's device"),
    ('(mapped-device (source "/dev/vg0") (target "vg0-root") (type lvm-device-mapping))',
     "the source of an LVM mapping is the volume group's name"),
    (HOME + " " + HOME.replace("12345678", "87654321"), "mapped-device home is declared twice"),
    ('(mapped-device (source "/dev/vdb1") (target "home") (type luks-device-mapping) '
     "(arguments '(#:keyfile \"/k\")))", "unknown argument #:keyfile of luks-device-mapping"),
    ('(mapped-device (source "/dev/vdb1") (target "home") (type luks-device-mapping) '
     "(arguments '(#:key-file)))", "arguments must be keywords and their values"),
    ('(mapped-device (source "vg0") (target "vg0-root") (type lvm-device-mapping) '
     "(arguments '(#:key-file \"/k\")))", "a lvm-device-mapping takes no arguments"),
])
def test_spec_mistakes_are_located(tmp_path, devices, message):
    with pytest.raises(LispdeployError) as raised:
        load(tmp_path, devices)
    assert message in raised.value.message
    assert raised.value.location is not None
    assert raised.value.location.line >= 4


def verdicts(tmp_path, devices, report=None, *, devices_report=None, base="", container=None,
             safety_checks=True):
    path, machine, system = load(tmp_path, devices)
    manifest = system.manifest_record
    context = checks.CheckContext(manifest=manifest, contents=system.contents(),
                                  operating_system=machine.operating_system,
                                  safety_checks=safety_checks)
    requests = checks.probe_requests(context)
    answer = ProbeAnswer(machine="x86_64", os=OsRelease(), python=[3, 11],
                         facts=Facts(bases={"/etc/crypttab": base}),
                         checks={"mapped-devices": {"container": container,
                                                    "crypttab": True, **(report or {})},
                                 "mapped-device-sources": devices_report})
    found = [(str(p.location), p.message, p.hint, p.warning)
             for p in checks.judge(answer, context) if "mapped-device" in p.message]
    return path, requests, found


def device(source, device=None, open_as=(), luks=True, missing=()):
    return {"targets": [], "sources": [{"source": source, "device": device,
                                        "open-as": list(open_as), "luks": luks}],
            "missing": list(missing)}


def test_container_hosts_are_refused_whatever_the_safety_checks(tmp_path):
    for safety_checks in (True, False):
        path, requests, found = verdicts(tmp_path, HOME, container="lxc",
                                         safety_checks=safety_checks)
        assert found == [(where(path, "(mapped-device ("),
                          "mapped-device home: this host is a container (lxc), which has no "
                          "block devices of its own to map (the device mapper is the kernel's "
                          "of the machine it runs on)",
                          "declare mapped-devices for servers and virtual machines only",
                          False)]
        assert requests["mapped-devices"] == ["luks"]
        assert ("mapped-device-sources" in requests) is safety_checks


def test_a_systemd_without_crypttab_support_gets_systemd_cryptsetup_if_apt_has_it(tmp_path):
    report = {"devices": [device("UUID=x", "/dev/vdb1", missing=["/dev/mapper/home"])]}
    # Debian 13: the activation installs systemd-cryptsetup (hostside.plan.implied_packages).
    _, _, found = verdicts(tmp_path, HOME, {"crypttab": False, "systemd-cryptsetup": {
        "lists": "present", "update-error": None, "problems": [], "asked": 1}},
        devices_report=report)
    assert found == []
    _, _, found = verdicts(tmp_path, HOME, {"crypttab": False, "systemd-cryptsetup": {
        "lists": "refreshed", "update-error": None, "asked": 1,
        "problems": [{"name": "systemd-cryptsetup", "kind": "unknown", "close": []}]}},
        devices_report=report)
    assert [f[1:3] for f in found] == [(
        "mapped-device home: this host's systemd does not read /etc/crypttab (it has no "
        "systemd-cryptsetup-generator), and its apt (unknown) offers no systemd-cryptsetup "
        "package, which provides it on Debian 13 and later",
        "install the package of the host's release that provides "
        "systemd-cryptsetup-generator, or check the host's apt sources")]
    # RAID and LVM need no crypttab.
    _, _, found = verdicts(tmp_path, LVM, {"crypttab": False},
                           devices_report={"devices": [device("vg0")]})
    assert found == []


def test_the_devices_on_the_host(tmp_path):
    fresh = {"missing": ["/dev/mapper/home"]}

    def check(report, base="", devices=HOME):
        _, requests, found = verdicts(tmp_path, devices, devices_report=report, base=base)
        return [(f[1], f[2]) if not f[3] else ("warning", f[1]) for f in found]

    ok = device("UUID=12345678-1234-1234-1234-123456789abc", "/dev/vdb1", **fresh)
    assert check({"devices": [ok]}) == []
    gone = device("UUID=12345678-1234-1234-1234-123456789abc", None, luks=None, **fresh)
    assert check({"devices": [gone]}) == [(
        "mapped-device home: device UUID=12345678-1234-1234-1234-123456789abc not found on the "
        "host", "declare the host's real device (lsblk -f, or `cryptsetup luksUUID DEVICE` for "
                "its UUID), or set (safety-checks? #f) in its machine-ssh-configuration")]
    plain = device("UUID=12345678-1234-1234-1234-123456789abc", "/dev/vdb1", luks=False, **fresh)
    assert check({"devices": [plain]})[0][0] == (
        "mapped-device home: UUID=12345678-1234-1234-1234-123456789abc (/dev/vdb1) holds no "
        "LUKS header, so cryptsetup cannot open it")
    # The host's own crypttab opens the same device under its installer's name.
    host_line = {"target": "vdb1_crypt", "source": "/dev/vdb1", "device": "/dev/vdb1"}
    found = check({"devices": [ok], "crypttab": [host_line]},
                  base="vdb1_crypt /dev/vdb1 none luks,discard\n")
    assert found == [("mapped-device home: the host's /etc/crypttab already opens "
                      "UUID=12345678-1234-1234-1234-123456789abc as 'vdb1_crypt'; a second "
                      "line would open it twice at boot",
                      'name it as the host does, (target "vdb1_crypt"), or drop it from the '
                      "spec: the host opens it already")]
    # A line lispdeploy wrote for an earlier generation is not the host's: a rename is fine.
    renamed = dict(ok, sources=[dict(ok["sources"][0], **{"open-as": ["oldhome"]})])
    assert check({"devices": [renamed], "crypttab": [dict(host_line, target="oldhome")]}) == []
    # Opened by hand (or by the initramfs) under another name.
    assert check({"devices": [renamed]})[0][0] == (
        "mapped-device home: UUID=12345678-1234-1234-1234-123456789abc is open already, as "
        "/dev/mapper/oldhome")
    # Already open as itself (deployed and booted): nothing to say.
    opened = dict(ok, sources=[dict(ok["sources"][0], **{"open-as": ["home"]})], missing=[])
    assert check({"devices": [opened]}) == []
    taken = dict(ok, missing=[])
    assert check({"devices": [taken]})[0][0] == (
        "mapped-device home: /dev/mapper/home exists already and maps another device than "
        "UUID=12345678-1234-1234-1234-123456789abc")
    # Key files.
    data = device("/dev/vdb1", "/dev/vdb1", missing=["/dev/mapper/data"])
    assert check({"devices": [data], "key-files": {"/root/data.key": {"exists": False}}},
                 devices=DATA) == [(
        "mapped-device data: key file /root/data.key does not exist on the host",
        "put it there first (mode 0400, root's), or drop #:key-file to be asked for the "
        "passphrase at boot")]
    wrong = dict(data, sources=[dict(data["sources"][0], **{"key-opens": False})])
    assert check({"devices": [wrong], "key-files": {"/root/data.key": {"exists": True,
                                                                       "mode": 0o400}}},
                 devices=DATA) == [(
        "mapped-device data: key file /root/data.key does not open /dev/vdb1 (cryptsetup open "
        "--test-passphrase refused it)",
        "give the key file of that device (`cryptsetup luksAddKey DEVICE KEYFILE` adds one), "
        "or drop #:key-file to be asked for the passphrase at boot")]
    found = check({"devices": [data], "key-files": {"/root/data.key": {"exists": True,
                                                                       "mode": 0o644}}},
                  devices=DATA)
    assert found[0][0] == "warning" and found[0][1].endswith(
        "mapped-device data: key file /root/data.key is readable by others (mode 0644); "
        "`chmod 0400 /root/data.key` on the host")
    # RAID arrays and LVM volumes must be there: lispdeploy makes neither.
    found = check({"devices": [{"targets": [], "sources": [], "missing": ["/dev/mapper/vg0-srv"]},
                               {"targets": [], "sources": [], "missing": ["/dev/md0"]}]},
                  devices=LVM + " " + RAID)
    assert [f[0] for f in found] == [
        "mapped-device vg0-root: logical volume /dev/mapper/vg0-srv not found on the host",
        "mapped-device /dev/md0: RAID array /dev/md0 not found on the host"]
    assert found[1][1].startswith("lispdeploy does not create arrays or volumes: Debian's mdadm")


def test_the_host_half_reads_devices_headers_holders_and_crypttab(tmp_path, monkeypatch):
    luks = tmp_path / "vdb1"
    luks.write_bytes(safety.LUKS_MAGIC + b"\0" * 4090)
    plain = tmp_path / "vdc1"
    plain.write_bytes(b"\0" * 4096)
    key = tmp_path / "data.key"
    key.write_bytes(b"secret")
    key.chmod(0o400)
    crypttab = tmp_path / "crypttab"
    crypttab.write_text(f"# <target> <source> <key> <options>\nold {luks} none luks\n\n")
    monkeypatch.setattr(safety, "_crypttab_lines",
                        lambda path=str(crypttab), f=safety._crypttab_lines: f(path))
    report = safety.report({"mapped-device-sources": [
        {"kind": "luks", "targets": ["data"], "sources": [str(luks)], "key-file": str(key)},
        {"kind": "luks", "targets": ["other"], "sources": [str(plain)], "key-file": None},
        {"kind": "luks", "targets": ["gone"], "sources": ["UUID=no-such-uuid"],
         "key-file": str(tmp_path / "none.key")},
        {"kind": "lvm", "targets": ["vg0-root"], "sources": ["vg0"], "key-file": None}],
        "mapped-devices": ["luks"]})["mapped-device-sources"]
    first, other, gone, lvm = report["devices"]
    # Where cryptsetup is installed, the key is tried (a header of zeros opens with none).
    opens = first["sources"][0].pop("key-opens", None)
    assert opens is (False if shutil.which("cryptsetup") else None)
    assert first == {"targets": ["data"], "missing": ["/dev/mapper/data"], "sources": [
        {"source": str(luks), "device": str(luks), "open-as": [], "luks": True}]}
    assert other["sources"][0]["luks"] is False
    assert gone["sources"] == [{"source": "UUID=no-such-uuid", "device": None, "open-as": [],
                                "luks": None}]
    assert lvm == {"targets": ["vg0-root"], "sources": [], "missing": ["/dev/mapper/vg0-root"]}
    assert report["key-files"] == {str(key): {"exists": True, "mode": 0o400},
                                   str(tmp_path / "none.key"): {"exists": False}}
    assert report["crypttab"] == [{"target": "old", "source": str(luks), "device": str(luks)}]
    assert safety.device_node("UUID=ABC") == "/dev/disk/by-uuid/abc"
    assert safety.device_node("LABEL=Home") == "/dev/disk/by-label/Home"


def test_file_systems_on_a_luks_device_are_verified_through_it(tmp_path):
    """The file system on an encrypted device appears when the device is opened at boot: the
    file-systems check leaves it to the mapped-device checks (by its /dev/mapper path, or by
    Guix's `dependencies`), and checks the others."""
    file_systems = """
  (file-systems (cons* (file-system (device "/dev/mapper/home") (mount-point "/home")
                                    (type "ext4"))
                       (file-system (device (file-system-label "srv")) (mount-point "/srv")
                                    (type "ext4") (dependencies mapped-devices))
                       (file-system (device "/dev/vdz1") (mount-point "/var") (type "ext4"))
                       %base-file-systems))"""
    path, machine, system = load(tmp_path, HOME, file_systems)
    context = checks.CheckContext(manifest=system.manifest_record, contents=system.contents(),
                                  operating_system=machine.operating_system)
    assert checks.probe_requests(context)["file-systems"] == [{"path": "/dev/vdz1"}]


def test_a_dry_run_for_a_container_host_not_created_yet_refuses_too(tmp_path):
    path, machine, system = load(tmp_path, HOME)
    context = checks.CheckContext(manifest=system.manifest_record, contents=system.contents(),
                                  operating_system=machine.operating_system, container=True)
    (problem,) = checks.judge_without_host(context)
    assert problem.message.startswith("mapped-device home: this host is a container "
                                      "(container-environment-type)")
    assert str(problem.location) == where(path, "(mapped-device (")
