"""A corpus of Guix-style configurations (tests/spec/corpus), written in the styles Guix users
publish: each builds, or fails with the located error that names what lispdeploy lacks and
what to do instead. Never a Python traceback."""

import json
import os

import pytest

from spec_helpers import run_cli

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")

# file -> the host names it builds, or the start of its error (file:line:col: error: ...).
EXPECTED = {
    "01-vps-nginx.scm": ["vps"],
    "02-vps-certbot.scm": ["www"],
    "03-home-server.scm": ["nas"],
    "04-ci-worker.scm": ["ci-1", "ci-2", "ci-3"],
    "05-mail-server.scm": "05-mail-server.scm:9:31: error: 'dovecot-service-type' comes from "
                          "Guix's (gnu services mail), which lispdeploy does not provide\n"
                          "hint: on Debian: Debian's dovecot-imapd",
    "06-own-modules.scm": ["web-1", "web-2"],
    "07-laptop-system.scm": ["tower"],
    "08-load-system.scm": ["tower"],
    "09-desktop-leftovers.scm": "09-desktop-leftovers.scm:7:28: error: "
                                "'gnome-desktop-service-type' comes from Guix's (gnu services "
                                "desktop), which lispdeploy does not provide\nhint: it is part of "
                                "Guix System",
    "10-generated-fleet.scm": ["web-01", "web-02", "web-03", "db-01"],
    "11-digital-ocean.scm": ["droplet"],
    "12-channels-and-inherit.scm": ["alpha", "beta"],
    "13-httpd.scm": ["apache"],
    "14-database.scm": ["db"],
    "15-typo-package.scm": "15-typo-package.scm:7:19: error: unknown name 'openssh-sans-xx'\n"
                           "hint: did you mean 'openssh-sans-x'?",
    "16-explicit-base-services.scm": ["classic"],
    "17-wireguard.scm": "17-wireguard.scm:8:19: error: 'wireguard-service-type' comes from "
                        "Guix's (gnu services vpn), which lispdeploy does not provide",
}


def test_the_corpus_is_complete():
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".scm"))
    assert files == sorted(EXPECTED) and len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name):
    result = run_cli("build", "--json", name, cwd=CORPUS)
    expected = EXPECTED[name]
    assert "Traceback" not in result.stderr
    if isinstance(expected, str):
        assert result.returncode == 1, result.stdout
        assert result.stderr.startswith(expected), result.stderr
        return
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)["machines"]
    assert [m["host-name"] for m in built] == expected


def manifest_of(name):
    result = run_cli("build", "--json", name, cwd=CORPUS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["machines"][0]["manifest"]


def test_guix_packages_become_debian_packages():
    vps = manifest_of("01-vps-nginx.scm")
    names = [p["name"] for p in vps["packages"]]
    assert "ca-certificates" in names and "openssh-server" in names and "nss-certs" not in names
    home = manifest_of("03-home-server.scm")
    names = [p["name"] for p in home["packages"]]
    # htop and git by their variables; zsh because alice's shell is (file-append zsh ...).
    assert {"htop", "git", "ca-certificates", "zsh"} <= set(names)
    alice = next(u for u in home["users"] if u["name"] == "alice")
    assert alice["shell"] == "/usr/bin/zsh"
    ci = manifest_of("04-ci-worker.scm")
    assert {"git", "make", "python3", "coreutils"} <= {p["name"] for p in ci["packages"]}


def test_quasiquoted_keys_and_dotted_sysctl_settings():
    home = manifest_of("03-home-server.scm")
    sysctl = next(e for e in home["etc"] if e["path"] == "sysctl.d/90-lispdeploy.conf")
    assert sysctl is not None
    result = run_cli("describe", "--json", "03-home-server.scm", cwd=CORPUS)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert '"net.ipv4.ip_forward"' in text and '"alice"' in text and "alice.pub" in text


def test_guix_system_parts_are_warned_about_once_each():
    result = run_cli("describe", "07-laptop-system.scm", cwd=CORPUS)
    assert result.returncode == 0, result.stderr
    warnings = [line.strip() for line in result.stdout.splitlines() if "warning:" in line]
    assert any("'kernel-arguments' has no effect on Debian" in w for w in warnings)
    assert any("'initrd-modules' has no effect" in w for w in warnings)
    # The encrypted root is an /etc/crypttab line on Debian (the host's own line for it is
    # kept: the deploy's check refuses a second name for one device); without a key file the
    # passphrase is asked at boot, which the warning says.
    assert any(w.startswith("warning: mapped-device cryptroot: no key file, so the host asks "
                            "for its passphrase") for w in warnings)
    assert not any("not applied" in w for w in warnings)
    assert manifest_of("07-laptop-system.scm")["mapped-devices"] == [
        {"kind": "luks", "targets": ["cryptroot"],
         "sources": ["UUID=12345678-1234-1234-1234-123456789abc"], "key-file": None,
         "discard": False}]
    # Swap is applied on Debian (a file lispdeploy can make, its fstab line, swapon): no
    # warning, a manifest entry.
    assert not any("swap" in w for w in warnings)
    assert manifest_of("07-laptop-system.scm")["swap"] == [
        {"target": "/swapfile", "size": None, "priority": None, "discard": False}]
    result = run_cli("describe", "16-explicit-base-services.scm", cwd=CORPUS)
    assert result.returncode == 0, result.stderr
    warnings = [line.strip() for line in result.stdout.splitlines() if "warning:" in line]
    kinds = [w.split()[1] for w in warnings]
    assert kinds == sorted(set(kinds), key=kinds.index)  # once each
    for kind in ("console-font-service-type", "mingetty-service-type", "agetty-service-type",
                 "urandom-seed-service-type", "nscd-service-type",
                 "udev-service-type", "special-files-service-type", "log-cleanup-service-type",
                 "elogind-service-type", "guix-service-type"):
        assert kind in kinds, (kind, warnings)
    # The base services Guix's %base-services has are not reported unless changed.
    result = run_cli("describe", "01-vps-nginx.scm", cwd=CORPUS)
    assert "warning:" not in result.stdout
    result = run_cli("describe", "03-home-server.scm", cwd=CORPUS)
    warnings = [line for line in result.stdout.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "guix-service-type has no effect" in warnings[0]


def test_an_operating_system_file_is_not_deployed_but_says_how():
    result = run_cli("deploy", "07-laptop-system.scm", cwd=CORPUS)
    assert result.returncode == 1
    assert result.stderr.startswith("07-laptop-system.scm:6:1: error: this file gives an "
                                    "operating-system, not machines to deploy it to\nhint: end "
                                    "the file with (list (machine (operating-system os)")
    result = run_cli("describe", "-e", """
        (list (machine (operating-system (load "07-laptop-system.scm"))
                       (environment managed-host-environment-type)
                       (configuration (machine-ssh-configuration (host-name "192.0.2.1")
                                                                 (system "x86_64-linux")))))""",
                     cwd=CORPUS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine tower")
