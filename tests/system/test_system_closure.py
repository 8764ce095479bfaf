"""Building a machine's system: the manifest (golden), sudoers checked by visudo, accounts,
packages, provenance, reproducibility, and the system's errors."""

import json
import os
import shutil
import subprocess
import sys

from systems import (SPECS_DIR, assert_golden, build, build_path, etc_entry, etc_text,
                     fresh_spec_cache, items_by_path, os_spec, require, run, save,  # noqa: F401
                     where, write_spec)

import pytest

from lispdeploy.errors import LispdeployError
from lispdeploy.store import STORE_DIR

HOME_SERVER = os.path.join(SPECS_DIR, "home-server.hy")


def visudo(tmp_path, text):
    return run([require("/usr/sbin/visudo"), "-c", "-f", save(tmp_path, "sudoers", text)])


def test_home_server_manifest_golden():
    system = build_path(HOME_SERVER, listen_address="127.0.10.7")
    assert system.provenance["spec"]["path"] == HOME_SERVER
    assert "provenance" not in system.manifest
    assert_golden("home-server.manifest.json", json.dumps(system.manifest, indent=1,
                                                          sort_keys=True) + "\n")
    assert system.item.name == "system" and system.item.path.startswith(STORE_DIR + "/")
    assert json.loads(system.item.text()) == system.manifest
    assert system.items[-1] == system.item
    assert [i.path for i in system.items[:-1]] == system.manifest["items"]


def test_home_server_sudoers_is_the_spec_s_and_visudo_accepts_it(tmp_path):
    system = build_path(HOME_SERVER)
    assert etc_text(system, "sudoers") == "root ALL=(ALL) ALL\n%wheel ALL=NOPASSWD: ALL\n"
    assert etc_entry(system, "sudoers")["mode"] == "0440"
    assert etc_entry(system, "sudoers")["validate"] == ["/usr/sbin/visudo", "-c", "-f", "{}"]
    result = visudo(tmp_path, etc_text(system, "sudoers"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_default_sudoers_passes_visudo_and_a_broken_one_does_not(tmp_path):
    system = build(tmp_path, os_spec("%base-services"))
    assert visudo(tmp_path, etc_text(system, "sudoers")).returncode == 0
    broken = build(tmp_path, os_spec(
        "%base-services", fields='(sudoers-file (plain-file "sudoers" "%wheel ALL\\n"))'))
    assert visudo(tmp_path, etc_text(broken, "sudoers")).returncode != 0


def test_home_server_accounts():
    manifest = build_path(HOME_SERVER).manifest
    alyssa = [u for u in manifest["users"] if u["name"] == "alyssa"][0]
    assert alyssa == {"name": "alyssa", "uid": None, "group": "users",
                      "supplementary-groups": ["wheel", "netdev", "audio", "video"],
                      "comment": "Alyssa", "home": "/home/alyssa", "create-home": True,
                      "home-permissions": "0700", "shell": "/bin/bash", "system": False,
                      "password": None}
    groups = {g["name"]: g for g in manifest["groups"]}
    assert {"wheel", "netdev", "audio", "video", "users"} <= set(groups)
    assert groups["root"]["gid"] == 0
    assert [u["uid"] for u in manifest["users"] if u["name"] == "root"] == [0]


def test_a_group_no_one_declared(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec("%base-services", fields="""
            (users (list (user-account (name "bob") (group "users")
                                       (supplementary-groups '("developers")))))"""))
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(user-account')}: error: user-account 'bob': group 'developers' is not "
        "declared\nhint: add it to the operating-system's groups: (groups (cons (user-group "
        "(name \"developers\")) %base-groups))")


def test_packages_once_each_and_versions_that_disagree(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service openssh-service-type)
              (simple-service 'tools profile-service-type
                              (list "openssh-server" (specification->package "htop@3.2.2-2"))))""",
                                     preamble="(use-service-modules ssh)",
                                     fields='(packages (cons "htop" %base-packages))'))
    assert system.manifest["packages"] == [
        {"name": "htop", "version": "3.2.2-2"}, {"name": "sudo", "version": None},
        {"name": "locales", "version": None}, {"name": "tzdata", "version": None},
        {"name": "openssh-server", "version": None}]
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec("""
            (list (simple-service 'a profile-service-type (list "vim@2:9.0"))
                  (simple-service 'b profile-service-type (list "vim@2:8.2")))"""))
    path = str(tmp_path / "spec.hy")
    a, b = where(path, "(simple-service"), where(path, "(simple-service", 2)
    assert e.value.render() == (
        f"{b}: error: package 'vim' is wanted at version 2:9.0 by 'a' ({a}) and at 2:8.2 by "
        f"'b' ({b})\nhint: ask for one version")


def test_the_same_spec_builds_the_same_system(tmp_path):
    first = build_path(HOME_SERVER, listen_address="127.0.10.7")
    second = build_path(HOME_SERVER, listen_address="127.0.10.7")
    assert [i.path for i in first.items] == [i.path for i in second.items]
    heartbeat = os.path.join(SPECS_DIR, "heartbeat.hy")
    modules = [os.path.join(SPECS_DIR, "modules")]
    assert (build_path(heartbeat, load_path=modules).item.path
            == build_path(heartbeat, load_path=modules).item.path)
    # And in another process, from another directory, through the command line.
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    outputs = [subprocess.run([script, "build", HOME_SERVER], capture_output=True, text=True,
                              cwd=cwd, timeout=120).stdout for cwd in (str(tmp_path), "/")]
    expected = build_path(HOME_SERVER).item.path
    assert outputs[0] == outputs[1] == f"alyssas-home-server  {expected}\n"


def test_only_the_provenance_differs_for_a_copy_of_the_spec(tmp_path):
    copy = tmp_path / "elsewhere.hy"
    shutil.copy(HOME_SERVER, copy)
    original, copied = build_path(HOME_SERVER), build_path(str(copy))
    assert original.item.path == copied.item.path
    assert [i.path for i in original.items] == [i.path for i in copied.items]
    assert copied.provenance["spec"]["path"] == str(copy)
    assert original.provenance["spec"]["path"] == HOME_SERVER


def test_the_listen_address_changes_the_system():
    assert (build_path(HOME_SERVER, listen_address="127.0.10.7").item.path
            != build_path(HOME_SERVER, listen_address="127.0.10.8").item.path)


def git(directory, *args):
    subprocess.run(["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


def test_provenance_from_git(tmp_path):
    path = write_spec(tmp_path, os_spec("%base-services"))
    outside = build_path(path).provenance
    assert outside["git"] is None
    built = build_path(path)
    spec_item = {i.path: i for i in built.provenance_items}[outside["spec"]["item"]]
    assert spec_item.path not in {i.path for i in built.items}      # not part of the system
    assert spec_item.text() == open(path).read() and spec_item.name == "spec.hy"

    git(tmp_path, "init", "-q")
    assert build_path(path).provenance["git"] is None      # no commit yet
    save(tmp_path, "README", "x")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "readme")
    untracked = build_path(path).provenance["git"]
    assert untracked["dirty"] is True                                   # the spec is not in it
    git(tmp_path, "add", "spec.hy")
    git(tmp_path, "commit", "-q", "-m", "spec")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert build_path(path).provenance["git"] == {"commit": head, "dirty": False}
    save(tmp_path, "README", "changed")
    assert build_path(path).provenance["git"] == {"commit": head, "dirty": True}


def test_an_etc_file_declared_twice_or_inside_another(tmp_path):
    for services, message in (
            ("""(list (simple-service 'a etc-service-type
                                      (list (list "motd" (plain-file "m" "1"))))
                      (simple-service 'b etc-service-type
                                      (list (list "motd" (plain-file "m" "2")))))""",
             "/etc/motd is declared twice: by 'a' ({a}) and by 'b' ({b})"),
            ("""(list (simple-service 'a etc-service-type
                                      (list (list "app" (plain-file "m" "1"))))
                      (simple-service 'b etc-service-type
                                      (list (list "app/x" (plain-file "m" "2")))))""",
             "/etc/app/x and /etc/app cannot both exist (one is inside the other): declared by "
             "'b' ({b}) and 'a' ({a})")):
        with pytest.raises(LispdeployError) as e:
            build(tmp_path, os_spec(services))
        path = str(tmp_path / "spec.hy")
        a, b = where(path, "(simple-service"), where(path, "(simple-service", 2)
        assert e.value.render().startswith(f"{b}: error: " + message.format(a=a, b=b))


def test_an_etc_contribution_of_the_wrong_shape(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(
            "(list (simple-service 'a etc-service-type (list (plain-file \"motd\" \"hi\"))))"))
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(simple-service')}: error: etc-service-type expects (PATH FILE-LIKE) "
        "pairs or etc-file records, got a plain-file record\n"
        "hint: e.g. (list \"motd\" (plain-file \"motd\" \"Welcome!\\n\"))")


def test_etc_file_records_and_a_unit_watching_an_undeclared_file(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'secrets etc-service-type
                (list (etc-file (path "/etc/app/token") (file (plain-file "token" "s3cret"))
                                (mode 0o600) (user "nobody") (group "nogroup")))))"""))
    assert etc_entry(system, "app/token") == {
        "path": "app/token", "item": etc_entry(system, "app/token")["item"], "mode": "0600",
        "user": "nobody", "group": "nogroup", "validate": None,
        "validate-early": True}
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec("""
            (list (simple-service 'u shepherd-root-service-type
                    (list (systemd-unit (name "app.service") (watch '("app.conf"))))))"""))
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(systemd-unit')}: error: unit app.service watches /etc/app.conf, which "
        "no service declares\nhint: watch only files given to etc-service-type or "
        "special-files-service-type")


def test_a_unit_file_of_the_user_s_own(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'timer shepherd-root-service-type
                (list (systemd-unit
                        (name "cleanup.timer")
                        (file (plain-file
                                "cleanup.timer"
                                "[Timer]\\nOnCalendar=daily\\n[Install]\\nWantedBy=timers.target\\n"))))))"""))
    entry = [u for u in system.manifest["units"] if u["name"] == "cleanup.timer"][0]
    assert items_by_path(system)[entry["item"]].text().startswith("[Timer]\nOnCalendar=daily")
    assert entry["enable"] and entry["start"]


def test_files_of_the_host_settings_are_not_etc_files(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(
            "(list (simple-service 'tz etc-service-type "
            "(list (list \"timezone\" (plain-file \"timezone\" \"UTC\\n\")))))"))
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(simple-service')}: error: /etc/timezone is written from the "
        f"operating-system's timezone field; 'tz' ({where(path, '(simple-service')}) cannot "
        "declare it too\nhint: set (timezone ...) in the operating-system instead")
