"""The contract between controller and host: records survive JSON both ways, decoding is
strict and says where a document is wrong, an older host program meeting a newer manifest
says so, format-1 manifests (older generations) are still read, and errors travel as kinds."""

from __future__ import annotations

import json
import os
import time

import pytest

from lispdeploy.hostside import contract
from lispdeploy.hostside.contract import (Activation, Change, ContractError, EtcFile, Facts,
                                          FileFact, HostSettingsFact, HostSideError, Manifest,
                                          OsRelease, Outcome, PackageFact, ProbeAnswer,
                                          ProbeRequest, Provenance, Unit, UnitFact, User,
                                          UserFact, error_kind)
from lispdeploy.hostside.facts import parse_stanza, parse_unit, package_facts
from lispdeploy.hostside.generations import LockedError
from lispdeploy.hostside.store import StoreError
from lispdeploy.hostside.values import ValueEncodingError

MANIFEST = Manifest(
    host_name="web", timezone="UTC", locale="C.UTF-8",
    etc=[EtcFile("motd", "/var/lib/lispdeploy/store/1-motd", validate=["/bin/true", "{}"])],
    users=[User("ada", "users", supplementary_groups=["wheel"])],
    units=[Unit("ssh.service", watch=["ssh/sshd_config"], packages=["openssh-server"])],
    activation=Activation("/var/lib/lispdeploy/store/2-activate", ["/x/3-page"]))


def test_records_round_trip_through_json_text():
    answer = ProbeAnswer(
        machine="x86_64", os=OsRelease("debian", "12", "Debian"), python=[3, 11, 2],
        provenance=Provenance("0.1", {"path": "/s.hy", "item": None}, None), current=MANIFEST,
        facts=Facts(files={"/etc/motd": FileFact("file", "ab", 0o644, "root", "root", None,
                                                 "hi\n")},
                    users={"ada": UserFact("ada", 1000, "users")},
                    packages={"hello": PackageFact("hello", True, "2.10-3")},
                    units={"ssh.service": UnitFact("ssh.service", "loaded", "active", "enabled")},
                    host=HostSettingsFact("web", ["c.utf8"], {"C.UTF-8": None})),
        state={"originals": {}})
    for record in (MANIFEST, answer, ProbeRequest(items=["/a"], checks={"timezone": "UTC"},
                                                  manifest=MANIFEST),
                   Outcome(contract.FAILED, 1, 1, [{"kind": "file", "action": "add",
                                                    "name": "/etc/motd"}], 2, "units", "boom",
                           contract.KIND_ACTIVATION, True),
                   Change("file", "add", "/etc/motd", "diff", True, {"step": "files"})):
        text = json.dumps(record.to_json())
        assert type(record).from_json(json.loads(text)) == record


def test_decoding_is_strict_and_says_where():
    data = MANIFEST.to_json()
    with pytest.raises(ContractError, match=r"manifest\.units\[0\]: unknown key 'one-shot'"):
        Manifest.from_json({**data, "units": [{**data["units"][0], "one-shot": True}]})
    with pytest.raises(ContractError, match=r"manifest\.etc\[0\]\.mode: expected a string"):
        Manifest.from_json({**data, "etc": [{**data["etc"][0], "mode": 420}]})
    with pytest.raises(ContractError, match=r"manifest: key 'host-name' is missing"):
        Manifest.from_json({k: v for k, v in data.items() if k != "host-name"})
    with pytest.raises(ContractError, match=r"manifest\.users\[0\]\.system: expected a boolean"):
        Manifest.from_json({**data, "users": [{**data["users"][0], "system": 1}]})


def test_an_older_host_program_meeting_a_newer_manifest_says_so():
    with pytest.raises(ContractError) as e:
        Manifest.from_json({**MANIFEST.to_json(), "format": contract.MANIFEST_FORMAT + 1})
    assert str(e.value) == (
        f"manifest has format {contract.MANIFEST_FORMAT + 1}, and this host program reads "
        "formats 1, 2; it was made by a newer lispdeploy: deploy with that version")
    assert e.value.kind == contract.KIND_FORMAT


def test_format_1_manifests_of_older_generations_are_read():
    old = {k: v for k, v in MANIFEST.to_json().items()}
    old.update(format=1, activation="/var/lib/lispdeploy/store/2-activate",
               provenance={"lispdeploy": "0.1", "spec": None, "git": None},
               configuration="abc")
    for unit in old["units"]:
        del unit["packages"]
    upgraded = Manifest.from_json(old)
    assert upgraded.format == 2
    assert upgraded.activation == Activation("/var/lib/lispdeploy/store/2-activate", [])
    assert upgraded.units[0].packages == []
    assert contract.provenance_of_manifest_1(old) == old["provenance"]


def test_host_errors_travel_as_kinds():
    assert error_kind(LockedError("busy")) == contract.KIND_LOCKED
    assert error_kind(StoreError("damaged")) == contract.KIND_STORE
    assert error_kind(ValueEncodingError("x")) == contract.KIND_VALUE_ENCODING
    assert error_kind(NameError("x")) == contract.KIND_UNDEFINED_NAME
    assert error_kind(ZeroDivisionError()) == contract.KIND_PROGRAM
    assert error_kind(HostSideError("no", kind=contract.KIND_NO_GENERATION)) == \
        contract.KIND_NO_GENERATION
    assert set(contract.ERROR_KINDS) >= {LockedError.kind, StoreError.kind}


def test_dpkg_status_and_systemctl_show_are_parsed(tmp_path):
    status = tmp_path / "status"
    status.write_text(
        "Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nDescription: hi\n"
        " more: text\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36\n\n"
        "Package: libc6\nStatus: install ok not-installed\nArchitecture: i386\n\n"
        "Package: held\nStatus: hold ok installed\nVersion: 3\n")
    info = tmp_path / "info"
    info.mkdir()
    for name, when in (("hello.list", 1000.0), ("libc6:amd64.list", 2000.0)):
        (info / name).write_text("")
        os.utime(info / name, (when, when))
    facts = package_facts(["hello", "gone", "libc6", "held", "absent"], str(status), str(info))
    assert facts == {"hello": PackageFact("hello", True, "2.10-3", 1000.0),
                     "gone": PackageFact("gone", False, None),
                     "libc6": PackageFact("libc6", True, "2.36", 2000.0),
                     "held": PackageFact("held", True, "3")}
    assert parse_stanza("Package: x\nStatus: a b c", {"y"}) is None
    skipped = parse_unit("systemd-timesyncd.service",
                         "Id=systemd-timesyncd.service\nLoadState=loaded\nActiveState=inactive\n"
                         "UnitFileState=enabled\nConditionResult=no\n"
                         "ConditionTimestampMonotonic=1093229123")
    assert skipped.skipped and skipped.enablement == "enabled"
    never = parse_unit("cron.service", "LoadState=loaded\nActiveState=inactive\n"
                                       "UnitFileState=disabled\nConditionResult=no\n"
                                       "ConditionTimestampMonotonic=0")
    assert not never.skipped and never.enablement == "disabled"
    assert parse_unit("nope.service", "LoadState=not-found\nUnitFileState=").enablement == \
        "not-found"
    assert parse_unit("getty@tty1.service", "LoadState=masked\nUnitFileState=masked"
                      ).enablement == "masked"
    # When the running process started: systemd's monotonic clock, on the wall clock.
    ago = int((time.monotonic() - 30) * 1e6)
    running = parse_unit("ssh.service", f"LoadState=loaded\nActiveState=active\nMainPID=42\n"
                                        f"ExecMainStartTimestampMonotonic={ago}\n"
                                        "ActiveEnterTimestampMonotonic=1")
    assert abs(running.started - (time.time() - 30)) < 1
    oneshot = parse_unit("x.service", f"ActiveState=active\nMainPID=0\n"
                                      f"ActiveEnterTimestampMonotonic={ago}")
    assert abs(oneshot.started - (time.time() - 30)) < 1
    assert parse_unit("y.service", f"ActiveState=inactive\nMainPID=0\n"
                                   f"ActiveEnterTimestampMonotonic={ago}").started is None
