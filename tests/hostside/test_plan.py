"""The planner's table: manifest + facts + lispdeploy's record -> the ordered changes, without
hosts (`lispdeploy.hostside.plan.plan` is pure). Each case names the situation a host can be
in: fresh, up to date, changed by hand, half-way through an interrupted activation, rolled
back to generation 0, with accounts and packages that were there before lispdeploy."""

from __future__ import annotations

import hashlib

import pytest

from lispdeploy.hostside.apply import executor, validations
from lispdeploy.hostside.contract import (Activation, EtcFile, Facts, FileFact, Group,
                                          GroupFact, HostSettingsFact, Manifest, MappedDevice,
                                          Package, PackageFact, SpecialFile, TreeFact, Unit,
                                          UnitFact, User, UserFact)
from lispdeploy.hostside.diffs import MASKED
from lispdeploy.hostside.facts import password_digest
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import (STEP_ACCOUNTS, STEP_UNITS, STEPS, Already, facts_request,
                                      plan, reloads, restarts, settings_files)

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
VENDOR = f"{STORE}/0010-lispdeploy-vendor.sources"
TOOL = f"{STORE}/0011-tool"
TOOL_2 = f"{STORE}/0012-tool"
SITE = f"{STORE}/0013-site"
SITE_2 = f"{STORE}/0014-site"
NGINX_CONF = f"{STORE}/0015-nginx.conf"
ITEMS = {MOTD: b"Welcome.\n", MOTD_2: b"Welcome to generation 2.\n",
         UNIT: b"[Service]\nExecStart=/bin/sleep infinity\n",
         UNIT_2: b"[Service]\nExecStart=/bin/sleep 1000\n",
         PAGE: b"<h1>Hello</h1>\n", PAGE_2: b"<h1>Hello again</h1>\n",
         ACTIVATE: b"#!/usr/bin/env python3\n", ACTIVATE_2: b"#!/usr/bin/env python3\n#2\n",
         SUDOERS: b"root ALL=(ALL) ALL\n",
         VENDOR: b"Types: deb\nURIs: http://127.0.0.1:8080/\nSuites: ./\n",
         TOOL: b"#!/bin/sh\necho 1\n", TOOL_2: b"#!/bin/sh\necho 2\n",
         NGINX_CONF: b"events {}\nhttp {}\n"}
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
         hostname=None, locales=("c.utf8",), supported=None, item_texts=None, bases=None,
         trees=None):
    """Facts of a host that already has the settings of `m` (or of the default manifest)."""
    base = m or manifest()
    all_files = settled_files(base, bases)
    all_files.update(files or {})
    return Facts(files=all_files, users=users or {}, groups=groups or {},
                 packages=packages or {}, units=units or {},
                 host=HostSettingsFact(hostname=hostname or base.host_name,
                                       locales=list(locales), supported=supported or {}),
                 bases=dict(bases or {"/etc/hosts": HOSTS}), item_texts=item_texts or {},
                 trees=trees or {})


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
APT_SOURCE = EtcFile("apt/sources.list.d/lispdeploy-vendor.sources", VENDOR)
APT_PATH = "/etc/apt/sources.list.d/lispdeploy-vendor.sources"
TOOL_FILE = SpecialFile("/usr/local/bin/tool", TOOL, mode="0755")
SITE_DIR = SpecialFile("/srv/site", SITE, directory=True, mode="0755", digest="d1")
SITE_DIR_2 = SpecialFile("/srv/site", SITE_2, directory=True, mode="0755", digest="d2")
NGINX = Unit("nginx.service", reload=["nginx/nginx.conf"], packages=["nginx"])
NGINX_ETC = EtcFile("nginx/nginx.conf", NGINX_CONF, validate=["/usr/sbin/nginx", "-t", "-c",
                                                            "{}"])
OLD_NGINX = {"/etc/nginx/nginx.conf": file_fact(b"events {}\n")}


HOME_LUKS = MappedDevice("luks", ["home"], ["/dev/vdb1"])
DATA_LUKS = MappedDevice("luks", ["data"], ["/dev/vdc1"], key_file="/root/data.key")
HOST_CRYPTTAB = "sda3_crypt UUID=aaaa none luks,discard\n"
CRYPTTAB_BASES = {"/etc/hosts": HOSTS, "/etc/crypttab": HOST_CRYPTTAB}
WITH_HOME = HOST_CRYPTTAB.encode() + b"home\t/dev/vdb1\tnone\tluks\n"
# Debian 12's systemd reads /etc/crypttab itself; Debian 13's needs systemd-cryptsetup.
GENERATOR = {"/usr/lib/systemd/system-generators/systemd-cryptsetup-generator":
             file_fact(b"\x7fELF")}
CRYPTTAB_MANAGED = {"/etc/crypttab": {"kind": "file", "backup": "/b", "mode": 420, "uid": 0,
                                      "gid": 0}}


def tree(digest="d1", differences=()):
    return TreeFact("directory", digest, 3, list(differences))


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
    # Reload instead of restart
    ("a running unit whose reloaded file changed reloads",
     manifest(etc=[NGINX_ETC], units=[NGINX]),
     host(files=OLD_NGINX, units={"nginx.service": active("nginx.service")}), state(), None,
     ["change file /etc/nginx/nginx.conf", "reload unit nginx.service"]),
    ("a restart does all a reload does: when both are due, it restarts",
     manifest(etc=[NGINX_ETC, ETC_MOTD], units=[NGINX.replace(watch=["motd"])]),
     host(files=OLD_NGINX, units={"nginx.service": active("nginx.service")}), state(), None,
     ["add file /etc/motd", "change file /etc/nginx/nginx.conf", "restart unit nginx.service"]),
    ("a reloaded file changed and the unit's package was installed: it restarts",
     manifest(etc=[NGINX_ETC], packages=[Package("nginx")], units=[NGINX]),
     host(files=OLD_NGINX, units={"nginx.service": active("nginx.service")}), state(), None,
     ["add package nginx", "change file /etc/nginx/nginx.conf", "restart unit nginx.service"]),
    ("a stopped unit whose reloaded file changed is started",
     manifest(etc=[NGINX_ETC], units=[NGINX]),
     host(files=OLD_NGINX, units={"nginx.service": inactive("nginx.service", "enabled")}),
     state(), None, ["change file /etc/nginx/nginx.conf", "start unit nginx.service"]),
    ("running units restart and reload before new units start",
     manifest(etc=[NGINX_ETC], units=[TICKER, NGINX]),
     host(files=OLD_NGINX, units={"nginx.service": active("nginx.service")}), state(), None,
     ["change file /etc/nginx/nginx.conf", "add file /etc/systemd/system/ticker.service",
      "enable unit ticker.service", "reload unit nginx.service", "start unit ticker.service"]),
    ("a unit reloads when a directory outside /etc it reloads on changes",
     manifest(files=[SITE_DIR_2], units=[Unit("nginx.service", reload=["/srv/site"])]),
     host(units={"nginx.service": active("nginx.service")}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True}}),
     None, ["change directory /srv/site", "reload unit nginx.service"]),
    # Special files: files anywhere
    ("a special file outside /etc is added", manifest(files=[TOOL_FILE]), host(), state(), None,
     ["add file /usr/local/bin/tool"]),
    ("a special file the host has already", manifest(files=[TOOL_FILE]),
     host(files={"/usr/local/bin/tool": file_fact(ITEMS[TOOL], mode=0o755)}), state(), None,
     []),
    ("a special file of a new generation is changed",
     manifest(files=[TOOL_FILE.replace(item=TOOL_2)]),
     host(files={"/usr/local/bin/tool": file_fact(ITEMS[TOOL], mode=0o755)}),
     state(originals={"/usr/local/bin/tool": {"kind": "absent"}}), None,
     ["change file /usr/local/bin/tool"]),
    ("a special file no generation wants is removed, or given back", manifest(),
     host(files={"/usr/local/bin/tool": file_fact(ITEMS[TOOL], mode=0o755),
                 "/opt/app.conf": file_fact(b"ours\n")}),
     state(originals={"/usr/local/bin/tool": {"kind": "absent"},
                      "/opt/app.conf": {"kind": "file", "backup": "/b", "mode": 420, "uid": 0,
                                        "gid": 0}}), None,
     ["restore file /opt/app.conf", "remove file /usr/local/bin/tool"]),
    # Directories
    ("a directory is added", manifest(files=[SITE_DIR]), host(), state(), None,
     ["add directory /srv/site"]),
    ("a directory whose tree matches the generation's", manifest(files=[SITE_DIR]),
     host(trees={"/srv/site": tree()}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True}}), None, []),
    ("a directory whose tree differs is replaced", manifest(files=[SITE_DIR]),
     host(trees={"/srv/site": tree("d0", ["index.html: content"])}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True}}), None,
     ["change directory /srv/site"]),
    ("a directory the host had before lispdeploy is replaced", manifest(files=[SITE_DIR]),
     host(trees={"/srv/site": tree("d0")}), state(), None, ["change directory /srv/site"]),
    ("a directory where the host has a file", manifest(files=[SITE_DIR]),
     host(trees={"/srv/site": TreeFact("file")}), state(), None,
     ["change directory /srv/site"]),
    ("a tree too large to list is replaced", manifest(files=[SITE_DIR]),
     host(trees={"/srv/site": tree(None)}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True}}), None,
     ["change directory /srv/site"]),
    ("directories no generation wants: removed, given back, or forgotten when gone",
     manifest(),
     host(files={"/srv/site": FileFact("directory", mode=0o755),
                 "/var/www": FileFact("directory", mode=0o755), "/srv/gone": FileFact()}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True},
                      "/var/www": {"kind": "moved", "backup": "/b", "tree": True},
                      "/srv/gone": {"kind": "absent", "tree": True}}), None,
     ["forget directory /srv/gone", "remove directory /srv/site", "restore directory /var/www"]),
    ("a path that was a directory and now is a file: the directory is given back first",
     manifest(files=[SpecialFile("/srv/site", TOOL)]),
     host(files={"/srv/site": FileFact("directory", mode=0o755)}),
     state(originals={"/srv/site": {"kind": "absent", "tree": True}}), None,
     ["remove directory /srv/site", "change file /srv/site"]),
    ("a path that was a file and now is a directory: the file is given back first",
     manifest(files=[SITE_DIR]),
     host(files={"/srv/site": file_fact(ITEMS[TOOL])}, trees={"/srv/site": TreeFact("file")}),
     state(originals={"/srv/site": {"kind": "absent"}}), None,
     ["remove file /srv/site", "change directory /srv/site"]),
    # /etc/crypttab: lispdeploy's lines beside the host's own
    ("a LUKS device: its line is added to the host's crypttab",
     manifest(mapped_devices=[HOME_LUKS]),
     host(files={"/etc/crypttab": file_fact(HOST_CRYPTTAB.encode()), **GENERATOR},
          bases=CRYPTTAB_BASES),
     state(), None, ["change file /etc/crypttab"]),
    ("a host without /etc/crypttab gets one", manifest(mapped_devices=[HOME_LUKS]),
     host(files=GENERATOR), state(), None, ["add file /etc/crypttab"]),
    ("a systemd that does not read crypttab gets systemd-cryptsetup (Debian 13)",
     manifest(mapped_devices=[HOME_LUKS]), host(), state(), None,
     ["add package systemd-cryptsetup", "add file /etc/crypttab"]),
    ("... which stays while a LUKS device is mapped",
     manifest(mapped_devices=[HOME_LUKS]),
     host(files={"/etc/crypttab": file_fact(b"home\t/dev/vdb1\tnone\tluks\n"), **GENERATOR},
          packages={"systemd-cryptsetup": PackageFact("systemd-cryptsetup", True, "257")}),
     state(originals={"/etc/crypttab": {"kind": "absent"}},
           packages={"systemd-cryptsetup": {}}), manifest(mapped_devices=[HOME_LUKS]), []),
    ("... and goes with the last one", manifest(),
     host(files={"/etc/crypttab": file_fact(b"home\t/dev/vdb1\tnone\tluks\n"), **GENERATOR},
          packages={"systemd-cryptsetup": PackageFact("systemd-cryptsetup", True, "257")}),
     state(originals={"/etc/crypttab": {"kind": "absent"}},
           packages={"systemd-cryptsetup": {}}), manifest(mapped_devices=[HOME_LUKS]),
     ["remove file /etc/crypttab", "remove package systemd-cryptsetup"]),
    ("the crypttab line is there already: nothing", manifest(mapped_devices=[HOME_LUKS]),
     host(files={"/etc/crypttab": file_fact(WITH_HOME), **GENERATOR}, bases=CRYPTTAB_BASES),
     state(originals=CRYPTTAB_MANAGED), manifest(mapped_devices=[HOME_LUKS]), []),
    ("a LUKS device is added to a managed crypttab",
     manifest(mapped_devices=[HOME_LUKS, DATA_LUKS]),
     host(files={"/etc/crypttab": file_fact(WITH_HOME), **GENERATOR}, bases=CRYPTTAB_BASES),
     state(originals=CRYPTTAB_MANAGED), manifest(mapped_devices=[HOME_LUKS]),
     ["change file /etc/crypttab", "open mapping data"]),
    ("a line changed by hand is put back, as drift", manifest(mapped_devices=[HOME_LUKS]),
     host(files={"/etc/crypttab": file_fact(WITH_HOME.replace(b"luks\n", b"luks,nofail\n")),
                 **GENERATOR}, bases=CRYPTTAB_BASES),
     state(originals=CRYPTTAB_MANAGED), manifest(mapped_devices=[HOME_LUKS]),
     ["change file /etc/crypttab"]),
    ("the last LUKS device dropped: crypttab given back as the host had it",
     manifest(mapped_devices=[MappedDevice("lvm", ["vg0-root"], ["vg0"])]),
     host(files={"/etc/crypttab": file_fact(WITH_HOME), **GENERATOR}, bases=CRYPTTAB_BASES),
     state(originals=CRYPTTAB_MANAGED), manifest(mapped_devices=[HOME_LUKS]),
     ["restore file /etc/crypttab"]),
    ("a new device with a key file is opened after its line is written",
     manifest(mapped_devices=[DATA_LUKS]), host(files=GENERATOR), state(), None,
     ["add file /etc/crypttab", "open mapping data"]),
    ("a device that is open already is left alone",
     manifest(mapped_devices=[DATA_LUKS]),
     host(files={"/dev/mapper/data": FileFact("symlink", target="../dm-0"), **GENERATOR}),
     state(), None, ["add file /etc/crypttab"]),
    ("generation 0: a crypttab lispdeploy made is removed", None,
     host(files={"/etc/crypttab": file_fact(b"home\t/dev/vdb1\tnone\tluks\n")}),
     state(originals={"/etc/crypttab": {"kind": "absent"}}),
     manifest(mapped_devices=[HOME_LUKS]), ["remove file /etc/crypttab"]),
    # apt's repositories
    ("apt's sources change: written, the package lists updated, then packages installed",
     manifest(etc=[ETC_MOTD, APT_SOURCE], packages=[Package("vendor-agent")]), host(), state(),
     None, [f"add file {APT_PATH}", "update package-lists apt", "add package vendor-agent",
            "add file /etc/motd"]),
    ("apt's sources unchanged: the package lists are not updated",
     manifest(etc=[APT_SOURCE], packages=[Package("vendor-agent")]),
     host(files={APT_PATH: file_fact(ITEMS[VENDOR])}), state(), None,
     ["add package vendor-agent"]),
    ("apt's sources dropped: removed and the package lists updated", manifest(),
     host(files={APT_PATH: file_fact(ITEMS[VENDOR])},
          packages={"vendor-agent": PackageFact("vendor-agent", True, "1.0")}),
     state(originals={APT_PATH: {"kind": "absent"}}, packages={"vendor-agent": {}}), None,
     [f"remove file {APT_PATH}", "update package-lists apt", "remove package vendor-agent"]),
    ("apt's sources changed by hand: put back and the lists updated, as drift",
     manifest(etc=[APT_SOURCE]), host(files={APT_PATH: file_fact(b"edited\n")}),
     state(originals={APT_PATH: {"kind": "absent"}}), manifest(etc=[APT_SOURCE]),
     [f"change file {APT_PATH}", "update package-lists apt"]),
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


def test_reload_and_directory_details():
    m = manifest(etc=[NGINX_ETC], files=[SITE_DIR],
                 units=[Unit("nginx.service", reload=["nginx/nginx.conf", "/srv/site"])])
    changes = plan(m, host(files=OLD_NGINX, units={"nginx.service": active("nginx.service")},
                           trees={"/srv/site": tree("d0", ["index.html: content",
                                                           "old.html: not in the generation"])}),
                   state(originals={"/srv/site": {"kind": "absent", "tree": True}}), ITEMS)
    assert reloads(changes) == ["nginx.service"] and restarts(changes) == []
    assert changes[-1].detail == "/etc/nginx/nginx.conf changed; /srv/site changed"
    directory = [c for c in changes if c.kind == "directory"][0]
    assert directory.detail == "index.html: content; old.html: not in the generation"
    assert directory.args == {"step": "files", "path": "/srv/site", "item": SITE,
                              "mode": 0o755, "user": "root", "group": "root"}
    added = plan(manifest(files=[SITE_DIR]), host(), state(), ITEMS)
    assert added[0].detail == "a copy of site"
    on_file = plan(manifest(files=[SITE_DIR]), host(trees={"/srv/site": TreeFact("file")}),
                   state(), ITEMS)
    assert on_file[0].detail == ("/srv/site is a file on the host: it becomes a copy of site "
                                 "(what the host has there is kept, to be given back)")


def test_directory_drift_is_marked():
    m = manifest(files=[SITE_DIR])
    facts = host(trees={"/srv/site": tree("edited", ["index.html: content"])})
    st = state(originals={"/srv/site": {"kind": "absent", "tree": True}})
    assert [c.drift for c in plan(m, facts, st, ITEMS, current=m)] == [True]
    assert [c.drift for c in plan(manifest(files=[SITE_DIR_2]), facts, st, ITEMS,
                                  current=m)] == [False]


def test_files_the_probe_cannot_validate_are_validated_after_the_activation_program():
    early = EtcFile("sudoers", SUDOERS, mode="0440", validate=["/usr/sbin/visudo", "-c", "-f",
                                                                "{}"])
    late = NGINX_ETC.replace(validate_early=False)
    unchanged = EtcFile("ssh/sshd_config", MOTD, validate=["/usr/sbin/sshd", "-t", "-f", "{}"])
    m = manifest(etc=[early, late, unchanged], activation=Activation(ACTIVATE))
    changes = plan(m, host(files={"/etc/ssh/sshd_config": file_fact(ITEMS[MOTD])}), state(),
                   ITEMS)
    assert lines(changes) == ["add file /etc/nginx/nginx.conf", "add file /etc/sudoers",
                              "run activation activation program"]
    due = validations(m, changes)
    # Before the accounts step: packages are in, no file is written yet. Before the units
    # step: the activation program has run, no daemon has read the file.
    assert [e.path for e in due[STEP_ACCOUNTS]] == ["sudoers"]
    assert [e.path for e in due[STEP_UNITS]] == ["nginx/nginx.conf"]
    assert STEPS.index(STEP_ACCOUNTS) < STEPS.index("files") < STEPS.index("activation") \
        < STEPS.index(STEP_UNITS)
    assert validations(None, changes) == {STEP_ACCOUNTS: [], STEP_UNITS: []}


def test_apt_files_and_the_package_list_update_come_before_packages():
    # A vendor package from a repository the same generation adds: its source must be
    # written and apt's lists updated before apt-get install runs; when the activation
    # re-plans after packages, nothing of it is left to do.
    m = manifest(etc=[APT_SOURCE], packages=[Package("vendor-agent")])
    changes = plan(m, host(), state(), ITEMS)
    assert [c.args["step"] for c in changes] == ["packages"] * 3
    after = host(files={APT_PATH: file_fact(ITEMS[VENDOR])},
                 packages={"vendor-agent": PackageFact("vendor-agent", True, "1.0")})
    assert plan(m, after, state(originals={APT_PATH: {"kind": "absent"}}), ITEMS,
                already=Already(paths=[APT_PATH], packages=["vendor-agent"])) == []


def test_facts_request_asks_for_special_files_and_directories():
    m = manifest(files=[TOOL_FILE, SITE_DIR])
    request = facts_request(m, state(originals={"/var/www": {"kind": "absent",
                                                             "tree": True}}), None)
    assert {"/usr/local/bin/tool", "/var/www"} <= set(request.paths)
    assert "/srv/site" not in request.paths
    assert request.trees == [SITE_DIR]
def test_a_process_older_than_what_it_runs_with_is_restarted():
    # An activation cut short after writing the unit file and the watched configuration,
    # before restarting: the files are as wanted, the process is the old one.
    m = manifest(etc=[EtcFile("ticker.conf", MOTD)], packages=[Package("cron")],
                 units=[TICKER.replace(watch=["ticker.conf"], packages=["cron"])])
    unit_file = file_fact(ITEMS[UNIT]).replace(mtime=2000.0)
    conf = file_fact(ITEMS[MOTD]).replace(mtime=1000.0)
    cron = PackageFact("cron", True, "3.0", changed=500.0)

    def facts(started, unit=unit_file, package=cron):
        return host(files={"/etc/systemd/system/ticker.service": unit, "/etc/ticker.conf": conf},
                    packages={"cron": package},
                    units={"ticker.service": active("ticker.service", started=started)})

    stale = plan(m, facts(1500.0), state(), ITEMS, current=m)
    assert lines(stale) == ["restart unit ticker.service"]
    assert stale[0].detail == ("its process started before /etc/systemd/system/ticker.service "
                               "changed")
    assert stale[0].drift
    older = plan(m, facts(900.0, package=cron.replace(changed=950.0)), state(), ITEMS)
    assert older[0].detail == (
        "its process started before /etc/systemd/system/ticker.service changed; its process "
        "started before /etc/ticker.conf changed; its process started before package cron was "
        "unpacked")
    # A process started after all of them, or a unit without a process, is left alone.
    assert plan(m, facts(2500.0), state(), ITEMS) == []
    assert plan(m, facts(None), state(), ITEMS) == []
    # Facts without times (an image, an older host program) never restart anything.
    assert plan(m, facts(1500.0, unit=unit_file.replace(mtime=None)), state(), ITEMS) == []


def test_facts_request_asks_for_the_watched_files():
    m = manifest(units=[Unit("ssh.service", watch=["ssh/sshd_config"])])
    assert "/etc/ssh/sshd_config" in facts_request(m, state(), None).paths
