"""The planner's table: manifest + facts + lispdeploy's record -> the ordered changes, without
hosts (`lispdeploy.hostside.plan.plan` is pure). Each case names the situation a host can be
in: fresh, up to date, changed by hand, half-way through an interrupted activation, rolled
back to generation 0, with accounts and packages that were there before lispdeploy."""

from __future__ import annotations

import hashlib

import pytest

from lispdeploy.hostside.apply import executor
from lispdeploy.hostside.contract import (Activation, EtcFile, Facts, FileFact, Group,
                                          GroupFact, HostSettingsFact, Manifest, Package,
                                          PackageFact, Unit, UnitFact, User, UserFact)
from lispdeploy.hostside.diffs import MASKED
from lispdeploy.hostside.facts import password_digest
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import (STEPS, Already, facts_request, plan, restarts,
                                      settings_files)

STORE = "/var/lib/lispdeploy/store"
MOTD = f"{STORE}/0001-motd"
MOTD_2 = f"{STORE}/0002-motd"
UNIT = f"{STORE}/0003-ticker.service"
UNIT_2 = f"{STORE}/0004-ticker.service"
PAGE = f"{STORE}/0005-index.html"
PAGE_2 = f"{STORE}/0006-index.html"
ACTIVATE = f"{STORE}/0007-activate"
ACTIVATE_2 = f"{STORE}/0008-activate"
SUDOERS = f"{STORE}/0009-sudoers"
ITEMS = {MOTD: b"Welcome.\n", MOTD_2: b"Welcome to generation 2.\n",
         UNIT: b"[Service]\nExecStart=/bin/sleep infinity\n",
         UNIT_2: b"[Service]\nExecStart=/bin/sleep 1000\n",
         PAGE: b"<h1>Hello</h1>\n", PAGE_2: b"<h1>Hello again</h1>\n",
         ACTIVATE: b"#!/usr/bin/env python3\n", ACTIVATE_2: b"#!/usr/bin/env python3\n#2\n",
         SUDOERS: b"root ALL=(ALL) ALL\n"}
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
HOSTS_WANTED = "127.0.0.1\tlocalhost\n127.0.1.1\tweb\n::1\tlocalhost\n"


def manifest(**fields) -> Manifest:
    return Manifest(**{"host_name": "web", "timezone": "UTC", "locale": "C.UTF-8", **fields})


def file_fact(content: bytes, mode: int = 0o644, user: str = "root", group: str = "root"):
    return FileFact("file", sha256=hashlib.sha256(content).hexdigest(), mode=mode, user=user,
                    group=group, text=content.decode() if mode & 0o004 else None)


def settled_files(m: Manifest, bases=None) -> dict:
    """The facts of a host whose host-setting files already are what `m` wants."""
    facts = Facts(host=HostSettingsFact(hostname=m.host_name, locales=["c.utf8"]),
                  bases=dict(bases or {"/etc/hosts": HOSTS}))
    files = {}
    for path, wanted in settings_files(m, facts, HostState.of({})).items():
        files[path] = FileFact("symlink", target=wanted.target) if wanted.target else \
            file_fact(wanted.content)
    return files


def host(m=None, *, files=None, users=None, groups=None, packages=None, units=None,
         hostname=None, locales=("c.utf8",), supported=None, item_texts=None, bases=None):
    """Facts of a host that already has the settings of `m` (or of the default manifest)."""
    base = m or manifest()
    all_files = settled_files(base, bases)
    all_files.update(files or {})
    return Facts(files=all_files, users=users or {}, groups=groups or {},
                 packages=packages or {}, units=units or {},
                 host=HostSettingsFact(hostname=hostname or base.host_name,
                                       locales=list(locales), supported=supported or {}),
                 bases=dict(bases or {"/etc/hosts": HOSTS}), item_texts=item_texts or {})


def state(**tables) -> HostState:
    return HostState.of(tables)


def lines(changes) -> list:
    return [f"{c.action} {c.kind} {c.name}" for c in changes]


def active(name, **kw):
    return UnitFact(name, load="loaded", active="active", file_state="enabled", **kw)


def inactive(name, file_state="disabled", **kw):
    return UnitFact(name, load="loaded", active="inactive", file_state=file_state, **kw)


ETC_MOTD = EtcFile(path="motd", item=MOTD)
TICKER = Unit(name="ticker.service", item=UNIT)
ROOT = UserFact(name="root", uid=0, group="root", home="/root", shell="/bin/bash",
                home_exists=True)
ADA = User(name="ada", group="users", home="/home/ada", shell="/bin/bash", comment="Ada",
           create_home=True)
ADA_FACT = UserFact(name="ada", uid=1000, group="users", comment="Ada", home="/home/ada",
                    shell="/bin/bash", home_exists=True)
USERS = GroupFact("users", 100)


# Each case: name, manifest, facts, state, current manifest (or None), expected changes.
CASES = [
    ("a fresh host: the file is added", manifest(etc=[ETC_MOTD]), host(), state(), None,
     ["add file /etc/motd"]),
    ("the host already has it", manifest(etc=[ETC_MOTD]),
     host(files={"/etc/motd": file_fact(ITEMS[MOTD])}), state(), None, []),
    ("a file that was there before lispdeploy is changed", manifest(etc=[ETC_MOTD]),
     host(files={"/etc/motd": file_fact(b"Debian\n")}), state(), None,
     ["change file /etc/motd"]),
    ("a managed file the host lacks is added back as a change", manifest(etc=[ETC_MOTD]),
     host(), state(originals={"/etc/motd": {"kind": "absent"}}), None,
     ["change file /etc/motd"]),
    ("mode only", manifest(etc=[ETC_MOTD]),
     host(files={"/etc/motd": file_fact(ITEMS[MOTD], mode=0o600)}), state(), None,
     ["change file /etc/motd"]),
    ("owner only", manifest(etc=[ETC_MOTD]),
     host(files={"/etc/motd": file_fact(ITEMS[MOTD], user="ada")}), state(), None,
     ["change file /etc/motd"]),
    ("a time zone change relinks /etc/localtime and rewrites /etc/timezone",
     manifest(timezone="Europe/Paris"), host(), state(), None,
     ["change file /etc/localtime", "change file /etc/timezone"]),
    ("the running host name differs", manifest(), host(hostname="debian"), state(), None,
     ["change setting host-name"]),
    ("a locale that is not compiled is added to locale.gen and generated",
     manifest(locale="fr_FR.UTF-8"),
     host(supported={"fr_FR.UTF-8": "fr_FR.UTF-8 UTF-8"},
          bases={"/etc/hosts": HOSTS, "/etc/locale.gen": "# locales\n"}), state(), None,
     ["change file /etc/default/locale", "add file /etc/locale.gen", "add setting locale"]),
    ("generation 0: lispdeploy's files are given back", None,
     host(files={"/etc/motd": file_fact(ITEMS[MOTD]), "/etc/issue": file_fact(b"mine\n"),
                 "/etc/gone": FileFact("absent")}),
     state(originals={"/etc/motd": {"kind": "file", "backup": "/x", "mode": 420, "uid": 0,
                                    "gid": 0},
                      "/etc/issue": {"kind": "absent"}, "/etc/gone": {"kind": "absent"}}),
     manifest(etc=[ETC_MOTD]),
     ["forget file /etc/gone", "remove file /etc/issue", "restore file /etc/motd"]),
    ("generation 0: accounts lispdeploy created go, those it modified get their fields back",
     None, host(users={"ada": ADA_FACT, "bob": ADA_FACT.replace(name="bob")},
                groups={"devs": GroupFact("devs", 1001)}),
     state(users={"ada": {"created": True}, "bob": {"created": False, "original": {}},
                  "carol": {"created": True}},
           groups={"devs": {"created": True}, "ghosts": {"created": True}}),
     manifest(),
     ["remove user ada", "restore user bob", "forget user carol", "remove group devs",
      "forget group ghosts"]),
    ("generation 0: packages and units lispdeploy changed are given back", None,
     host(packages={"hello": PackageFact("hello", True, "2.10-3")},
          units={"ticker.service": active("ticker.service")}),
     state(packages={"hello": {"installed": True}, "gone": {"installed": True}},
           units={"ticker.service": {"enabled": "not-found", "active": False}}),
     manifest(),
     ["stop unit ticker.service", "forget package gone", "remove package hello"]),
    ("generation 0 gives the running host name back", None,
     host(hostname="web", bases={"/etc/hosts": HOSTS, "/etc/hostname": "debian\n"},
          files={"/etc/hostname": file_fact(b"debian\n")}),
     state(originals={"/etc/hostname": {"kind": "file", "backup": "/b", "mode": 420, "uid": 0,
                                        "gid": 0}}), manifest(),
     ["restore file /etc/hostname", "change setting host-name"]),
    ("accounts that existed before lispdeploy are left alone when not declared", manifest(),
     host(users={"root": ROOT, "ada": ADA_FACT}), state(), None, []),
    ("a new user and its group", manifest(groups=[Group("users", 100), Group("devs")],
                                          users=[ADA]),
     host(groups={"users": USERS}), state(), None, ["add group devs", "add user ada"]),
    ("an account that existed before is brought in line", manifest(users=[ADA]),
     host(users={"ada": ADA_FACT.replace(shell="/bin/sh")}, groups={"users": USERS}),
     state(), None, ["change user ada"]),
    ("a password that differs", manifest(users=[ADA.replace(password="$6$new")]),
     host(users={"ada": ADA_FACT.replace(password=password_digest("$6$old"))}), state(), None,
     ["change user ada"]),
    ("the same password", manifest(users=[ADA.replace(password="$6$same")]),
     host(users={"ada": ADA_FACT.replace(password=password_digest("$6$same"))}), state(),
     None, []),
    ("a missing home directory", manifest(users=[ADA]),
     host(users={"ada": ADA_FACT.replace(home_exists=False)}), state(), None,
     ["change user ada"]),
    ("a package to install", manifest(packages=[Package("hello")]), host(), state(), None,
     ["add package hello"]),
    ("an installed package", manifest(packages=[Package("hello")]),
     host(packages={"hello": PackageFact("hello", True, "2.10-3")}), state(), None, []),
    ("a package known to dpkg but not installed (config files remain)",
     manifest(packages=[Package("hello")]),
     host(packages={"hello": PackageFact("hello", False)}), state(), None,
     ["add package hello"]),
    ("a pinned package at another version", manifest(packages=[Package("hello", "2.10-2")]),
     host(packages={"hello": PackageFact("hello", True, "2.10-3")}), state(), None,
     ["change package hello"]),
    ("a pin given as a glob that matches", manifest(packages=[Package("hello", "2.10-*")]),
     host(packages={"hello": PackageFact("hello", True, "2.10-3")}), state(), None, []),
    ("a package lispdeploy installed and no generation wants", manifest(),
     host(packages={"hello": PackageFact("hello", True, "2.10-3")}),
     state(packages={"hello": {"installed": True}}), None, ["remove package hello"]),
    ("a package installed before lispdeploy is never removed", manifest(),
     host(packages={"vim": PackageFact("vim", True, "9.0")}), state(), None, []),
    ("a new unit file: written, then enabled and started", manifest(units=[TICKER]), host(),
     state(), None,
     ["add file /etc/systemd/system/ticker.service", "enable unit ticker.service",
      "start unit ticker.service"]),
    ("a running unit whose unit file changed restarts",
     manifest(units=[TICKER.replace(item=UNIT_2)]),
     host(files={"/etc/systemd/system/ticker.service": file_fact(ITEMS[UNIT])},
          units={"ticker.service": active("ticker.service")}),
     state(originals={"/etc/systemd/system/ticker.service": {"kind": "absent"}}), None,
     ["change file /etc/systemd/system/ticker.service", "restart unit ticker.service"]),
    ("a running unit whose watched file changed restarts",
     manifest(etc=[EtcFile("ssh/sshd_config", MOTD_2)],
              units=[Unit("ssh.service", watch=["ssh/sshd_config"])]),
     host(files={"/etc/ssh/sshd_config": file_fact(b"Port 22\n")},
          units={"ssh.service": active("ssh.service")}), state(), None,
     ["change file /etc/ssh/sshd_config", "restart unit ssh.service"]),
    ("a running unit whose package is installed restarts",
     manifest(packages=[Package("hello")], units=[TICKER.replace(packages=["hello"])]),
     host(files={"/etc/systemd/system/ticker.service": file_fact(ITEMS[UNIT])},
          units={"ticker.service": active("ticker.service")}), state(), None,
     ["add package hello", "restart unit ticker.service"]),
    ("a running unit whose package is upgraded to its pin restarts",
     manifest(packages=[Package("nginx", "1.22.1-9")],
              units=[Unit("nginx.service", packages=["nginx"])]),
     host(packages={"nginx": PackageFact("nginx", True, "1.22.1-8")},
          units={"nginx.service": active("nginx.service")}), state(), None,
     ["change package nginx", "restart unit nginx.service"]),
    ("a stopped unit whose package is installed is started, not restarted",
     manifest(packages=[Package("nginx")], units=[Unit("nginx.service", packages=["nginx"])]),
     host(), state(), None,
     ["add package nginx", "enable unit nginx.service", "start unit nginx.service"]),
    ("a masked unit is unmasked", manifest(units=[Unit("cron.service")]),
     host(units={"cron.service": UnitFact("cron.service", "masked", "inactive", "masked")}),
     state(), None,
     ["unmask unit cron.service", "enable unit cron.service", "start unit cron.service"]),
    ("a unit that must not be enabled is disabled",
     manifest(units=[Unit("systemd-sysctl.service", enable=False)]),
     host(units={"systemd-sysctl.service": active("systemd-sysctl.service")}), state(), None,
     ["disable unit systemd-sysctl.service"]),
    ("a unit systemd skipped for an unmet condition is not started again",
     manifest(units=[Unit("systemd-timesyncd.service")]),
     host(units={"systemd-timesyncd.service": inactive("systemd-timesyncd.service",
                                                       "enabled", skipped=True)}),
     state(), None, []),
    ("... unless its configuration changed",
     manifest(etc=[EtcFile("systemd/timesyncd.conf", MOTD)],
              units=[Unit("systemd-timesyncd.service", watch=["systemd/timesyncd.conf"])]),
     host(units={"systemd-timesyncd.service": inactive("systemd-timesyncd.service",
                                                       "enabled", skipped=True)}),
     state(), None,
     ["add file /etc/systemd/timesyncd.conf", "start unit systemd-timesyncd.service"]),
    ("a unit no generation wants is stopped and its file given back", manifest(),
     host(files={"/etc/systemd/system/ticker.service": file_fact(ITEMS[UNIT])},
          units={"ticker.service": active("ticker.service")}),
     state(originals={"/etc/systemd/system/ticker.service": {"kind": "absent"}},
           units={"ticker.service": {"enabled": "not-found", "active": False}}), None,
     ["stop unit ticker.service", "remove file /etc/systemd/system/ticker.service"]),
    ("after a crash mid-activation: what was done is not done again",
     manifest(etc=[ETC_MOTD], users=[ADA], units=[TICKER]),
     host(files={"/etc/motd": file_fact(ITEMS[MOTD]),
                 "/etc/systemd/system/ticker.service": file_fact(ITEMS[UNIT])},
          users={"ada": ADA_FACT}, units={"ticker.service": inactive("ticker.service")}),
     state(users={"ada": {"created": True}},
           originals={"/etc/motd": {"kind": "absent"},
                      "/etc/systemd/system/ticker.service": {"kind": "absent"}}), None,
     ["enable unit ticker.service", "start unit ticker.service"]),
    ("after a crash mid-roll-back to generation 0: only what is left",
     None, host(files={"/etc/motd": FileFact("absent")}, users={}),
     state(originals={"/etc/motd": {"kind": "absent"}}, users={"ada": {"created": True}}),
     manifest(etc=[ETC_MOTD], users=[ADA]), ["forget file /etc/motd", "forget user ada"]),
    ("the current generation, and the host matches it: nothing, not even the activation",
     manifest(etc=[ETC_MOTD], activation=Activation(ACTIVATE, [PAGE])),
     host(files={"/etc/motd": file_fact(ITEMS[MOTD])}), state(),
     manifest(etc=[ETC_MOTD], activation=Activation(ACTIVATE, [PAGE])), []),
    ("a new generation runs its activation program", manifest(activation=Activation(ACTIVATE)),
     host(), state(), manifest(), ["run activation activation program"]),
    ("an item the activation uses changed: a change with its diff, then the activation",
     manifest(activation=Activation(ACTIVATE_2, [PAGE_2])),
     host(item_texts={PAGE: ITEMS[PAGE].decode()}), state(),
     manifest(activation=Activation(ACTIVATE, [PAGE])),
     ["change item index.html", "run activation activation program"]),
    ("files in a directory lispdeploy does not own are reported, not replaced silently",
     manifest(etc=[ETC_MOTD]), host(files={"/etc/motd": FileFact("directory", mode=0o755)}),
     state(), None, ["change file /etc/motd"]),
]


@pytest.mark.parametrize("name, m, facts, st, current, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_plan(name, m, facts, st, current, expected):
    changes = plan(m, facts, st, ITEMS, current=current)
    assert lines(changes) == expected
    # Steps come in order, every change can be made, and plans are plain data.
    steps = [c.args["step"] for c in changes]
    assert steps == sorted(steps, key=STEPS.index)
    for change in changes:
        executor(change)
        assert type(change).from_json(change.to_json()) == change


def test_diffs_and_details():
    changed = plan(manifest(etc=[ETC_MOTD]), host(files={"/etc/motd": file_fact(b"Debian\n")}),
                   state(), ITEMS)[0]
    assert changed.detail == ("--- /etc/motd\n+++ /etc/motd\n@@ -1 +1 @@\n-Debian\n"
                              "+Welcome.\n")
    mode = plan(manifest(etc=[ETC_MOTD]),
                host(files={"/etc/motd": file_fact(ITEMS[MOTD], mode=0o600)}), state(), ITEMS)
    assert mode[0].detail == "mode 0600 -> 0644"
    owner = plan(manifest(etc=[ETC_MOTD]),
                 host(files={"/etc/motd": file_fact(ITEMS[MOTD], user="ada")}), state(), ITEMS)
    assert owner[0].detail == "owner ada:root -> root:root"
    secret = plan(manifest(etc=[EtcFile("sudoers", SUDOERS, mode="0440")]),
                  host(files={"/etc/sudoers": file_fact(b"old\n", mode=0o440)}), state(), ITEMS)
    assert secret[0].detail == MASKED and "ALL" not in secret[0].detail
    user = plan(manifest(users=[ADA]), host(users={"ada": ADA_FACT.replace(shell="/bin/sh")}),
                state(), ITEMS)[0]
    assert user.detail == "shell: '/bin/sh' -> '/bin/bash'"
    assert "$6$" not in plan(manifest(users=[ADA.replace(password="$6$x")]),
                             host(users={"ada": ADA_FACT}), state(), ITEMS)[0].detail
    pinned = plan(manifest(packages=[Package("hello", "2.10-2")]),
                  host(packages={"hello": PackageFact("hello", True, "2.10-3")}), state(), ITEMS)
    assert pinned[0].detail == "version 2.10-3 -> 2.10-2"
    assert pinned[0].args["version"] == "2.10-2"


def test_restart_reasons():
    m = manifest(etc=[EtcFile("ssh/sshd_config", MOTD_2)], packages=[Package("openssh-server")],
                 units=[Unit("ssh.service", watch=["ssh/sshd_config"],
                             packages=["openssh-server"])])
    changes = plan(m, host(units={"ssh.service": active("ssh.service")}), state(), ITEMS)
    assert restarts(changes) == ["ssh.service"]
    assert changes[-1].detail == ("/etc/ssh/sshd_config changed; package openssh-server "
                                  "changed")


def test_packages_installed_earlier_in_the_activation_still_restart_their_units():
    # After the packages step the host re-plans from new facts: the package is installed,
    # and `already` says this activation installed it.
    m = manifest(packages=[Package("nginx")], units=[Unit("nginx.service", packages=["nginx"])])
    facts = host(packages={"nginx": PackageFact("nginx", True, "1.22")},
                 units={"nginx.service": active("nginx.service")})
    assert plan(m, facts, state(), ITEMS) == []
    assert lines(plan(m, facts, state(), ITEMS, already=Already(packages=["nginx"]))) == [
        "restart unit nginx.service"]


def test_drift_is_marked():
    m = manifest(etc=[ETC_MOTD], users=[ADA], units=[Unit("ssh.service")])
    facts = host(files={"/etc/motd": file_fact(b"edited by hand\n")},
                 users={"ada": ADA_FACT.replace(shell="/bin/sh")},
                 units={"ssh.service": inactive("ssh.service", "enabled")})
    changes = plan(m, facts, state(originals={"/etc/motd": {"kind": "absent"}}), ITEMS,
                   current=m)
    assert lines(changes) == ["change user ada", "change file /etc/motd",
                              "start unit ssh.service"]
    assert all(c.drift for c in changes)
    assert "-edited by hand\n+Welcome.\n" in changes[1].detail
    # A new generation changing the same file is not drift.
    new = plan(manifest(etc=[EtcFile("motd", MOTD_2)]), facts, state(), ITEMS, current=m)
    assert [c.drift for c in new if c.kind == "file"] == [False]


def test_activation_items_are_shown():
    changes = plan(manifest(activation=Activation(ACTIVATE_2, [PAGE_2])),
                   host(item_texts={PAGE: "<h1>Hello</h1>\n"}), state(), ITEMS,
                   current=manifest(activation=Activation(ACTIVATE, [PAGE])))
    assert changes[0].detail == ("--- index.html\n+++ index.html\n@@ -1 +1 @@\n-<h1>Hello</h1>\n"
                                 "+<h1>Hello again</h1>\n")
    assert changes[1].detail == "changed since the current generation, uses index.html"
    first = plan(manifest(activation=Activation(ACTIVATE, [PAGE])), host(), state(), ITEMS)
    assert lines(first) == ["add item index.html", "run activation activation program"]


def test_hosts_file_keeps_what_the_host_had():
    m = manifest()
    changes = plan(m, host(files={"/etc/hosts": file_fact(HOSTS.encode())}), state(), ITEMS)
    assert lines(changes) == ["change file /etc/hosts"]
    assert changes[0].args["text"] == HOSTS_WANTED


def test_facts_request_covers_the_manifest_and_the_record():
    m = manifest(etc=[ETC_MOTD], users=[ADA], groups=[Group("users")],
                 packages=[Package("hello")], units=[TICKER.replace(packages=["cron"])])
    request = facts_request(m, state(originals={"/etc/issue": {"kind": "absent"}},
                                     users={"bob": {"created": True}},
                                     units={"old.service": {}},
                                     packages={"vim": {}}), None)
    assert {"/etc/motd", "/etc/issue", "/etc/systemd/system/ticker.service", "/etc/hostname",
            "/etc/localtime"} <= set(request.paths)
    assert request.users == ["ada", "bob"] and request.groups == ["users"]
    assert request.packages == ["cron", "hello", "vim"]
    assert request.units == ["old.service", "ticker.service"]
    assert request.locales == ["C.UTF-8"]
    assert facts_request(None, state(), None).paths == []
