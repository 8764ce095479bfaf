"""The deploy's checks refuse, before changing anything, what would break a host: devices
that do not exist, an unknown time zone, the wrong architecture, undeclared groups, another
deploy in progress, and a spec commit that goes back in time."""

import os
import subprocess

from deploy_hosts import container_machine
from lispdeploy.gexp.runtime import runtime_item

# What a refused deploy leaves on a host: nothing but lispdeploy's host runtime (the store item
# the probe asked for, and its compiled code): no generation, no changed file.
LISPDEPLOY_STATE = "cd /var/lib/lispdeploy && ls -A . store"
ONLY_THE_RUNTIME = f".:\nruntime-cache\nstore\n\nstore:\n{os.path.basename(runtime_item().path)}\n"


def managed_machine(host, os_expression, extra=""):
    """A managed-host machine reaching a fleet host (devices are checked on those)."""
    return (f"(machine (operating-system {os_expression})\n"
            f"  (environment managed-host-environment-type)\n"
            f"  (configuration (machine-ssh-configuration (host-name \"{host.address}\")\n"
            f"    (system \"x86_64-linux\") (identity \"{host.identity}\")\n"
            f"    (host-key \"{host.host_key}\") {extra})))")


def never_deployed(world_or_fleet_host_sh):
    return world_or_fleet_host_sh("ls /var/lib/lispdeploy/profiles 2>/dev/null || echo none")


def test_missing_device_is_refused_unless_safety_checks_are_off(world, fleet):
    (host,) = fleet(1)
    os_form = """(operating-system (host-name "checked")
                   (file-systems (cons (file-system (mount-point "/") (device "/dev/sdz9")
                                                    (type "ext4"))
                                       %base-file-systems)))"""
    spec = world.write(f"(list {managed_machine(host, os_form)})")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    # Located at the file system's device in the spec.
    assert (f"checked: {spec}:1:34: error (checks): device /dev/sdz9 of file system / not "
            "found\nhint: declare the host's real device (see lsblk -f on the host), or set "
            "(safety-checks? #f) in its machine-ssh-configuration") in done.stderr
    world.engine = fleet.engine
    assert _sh(world, host, LISPDEPLOY_STATE) == ONLY_THE_RUNTIME

    spec = world.write(f"(list {managed_machine(host, os_form, '(safety-checks? #f)')})")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 0, done.stderr


def _sh(world, host, script):
    from lispdeploy.remote.ssh import SshTransport
    with SshTransport.connect(host.address, identity=host.identity, host_key=host.host_key,
                              name=host.name) as t:
        return t.execute(["sh", "-c", script]).stdout.decode()


def test_unknown_time_zone_and_wrong_architecture(world):
    name = world.host_name()
    spec = world.write(f"""
(list {container_machine('(operating-system (host-name "tz") (timezone "Mars/Olympus"))', name)})
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert (f"tz: {spec}:2:34: error (checks): time zone 'Mars/Olympus' is not in "
            "/usr/share/zoneinfo\n"
            'hint: use a name such as "Europe/Paris" (timedatectl list-timezones)') in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE) == ONLY_THE_RUNTIME

    spec = world.write(f"""
(list (machine (operating-system (operating-system (host-name "tz")))
        (environment container-environment-type)
        (configuration (container-configuration (name "{name}") (system "aarch64-linux")))))
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert ("tz: error (checks): incorrect target system ('aarch64-linux' was given, while the "
            "host reports 'x86_64')") in done.stderr


def test_undeclared_group_is_a_spec_error(world):
    name = world.host_name()
    spec = world.write(f"""
(define os
  (operating-system
    (host-name "groups")
    (users (cons (user-account (name "ada") (supplementary-groups '("wheel" "dba")))
                 %base-user-accounts))))
(list {container_machine('os', name)})
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert (f"{spec}:5:18: error: user 'ada' refers to group 'dba', which the operating system "
            "does not declare") in done.stderr


def test_a_deploy_in_progress_holds_the_lock(world):
    name = world.host_name()
    locked = '(operating-system (host-name "locked"))'
    spec = world.write(f"(list {container_machine(locked, name)})")
    assert world.lispdeploy("container", "start", spec).returncode == 0
    world.sh(name, "mkdir -p /var/lib/lispdeploy && systemd-run --unit=hold-lock "
                   "flock /var/lib/lispdeploy/lock sleep 120 >/dev/null 2>&1")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert ("locked: error (lock): another deploy is changing this host: unknown\n"
            "hint: wait for it to end, or let the deploy wait for the host: --wait-lock "
            "SECONDS") in done.stderr
    world.sh(name, "systemctl stop hold-lock")
    assert world.lispdeploy("deploy", spec).returncode == 0


def git(directory, *args):
    subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "HOME": "/tmp",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                        "PATH": "/usr/bin:/bin"})


def test_downgrade_is_refused_unless_allowed(world):
    name = world.host_name()
    repo = world.tmp_path / "repo"
    repo.mkdir()
    spec = repo / "spec.hy"

    def write(timezone, allow=False):
        allow_clause = " (allow-downgrades? #t)" if allow else ""
        spec.write_text(f"""
(list (machine (operating-system (operating-system (host-name "versioned") (timezone "{timezone}")))
        (environment container-environment-type)
        (configuration (container-configuration (name "{name}"){allow_clause}))))
""")

    git(repo, "init", "-q")
    write("Europe/Paris")
    git(repo, "add", "spec.hy")
    git(repo, "commit", "-qm", "paris")
    write("Europe/Berlin")
    git(repo, "commit", "-qam", "berlin")
    assert world.lispdeploy("deploy", str(spec)).returncode == 0

    git(repo, "checkout", "-q", "HEAD~1")
    done = world.lispdeploy("deploy", str(spec))
    assert done.returncode == 1
    assert "versioned: error (checks): commit " in done.stderr
    assert "being deployed is not a descendant of commit" in done.stderr
    assert "hint: deploy a descendant of the host's commit, or set (allow-downgrades? #t)" in \
        done.stderr
    assert world.sh(name, "cat /etc/timezone") == "Europe/Berlin\n"

    write("Europe/Paris", allow=True)
    done = world.lispdeploy("deploy", str(spec))
    assert done.returncode == 0, done.stderr
    assert "warning: cannot determine" not in done.stderr
    assert "going on because (allow-downgrades? #t)" in done.stderr
    assert world.sh(name, "cat /etc/timezone") == "Europe/Paris\n"


def test_a_system_that_would_lock_root_out_is_refused(world):
    name = world.host_name()
    spec = world.write(f"""
(use-service-modules ssh)
(define os (operating-system (host-name "lockout")
             (services (cons (service openssh-service-type) %base-services))))
(list {container_machine('os', name)})
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert ("lockout: error (checks): the new system's sshd refuses root logins "
            "(openssh-configuration permit-root-login is #f, Guix's default), and lispdeploy "
            "reaches this host as root: the deploy would cut itself off\n"
            "hint: add (permit-root-login 'prohibit-password) to the openssh-configuration, or "
            'deploy as another user with sudo: (user "deploy") in machine-ssh-configuration'
            ) in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE) == ONLY_THE_RUNTIME


def test_packages_apt_does_not_know_are_refused_before_any_change(world):
    """On a fresh minimal Debian 12 host (no package lists, no sudo): the probe fetches the
    lists, asks apt about each declared package, and refuses the names it cannot install with
    where the spec names them; nothing is installed or written."""
    name = world.host_name()
    spec = world.write(f"""
(use-modules (gnu))
(define os
  (operating-system
    (host-name "pkgs")
    (packages (cons* "htpo" (specification->package "nss-certs")
                     %base-packages))))
(list {container_machine('os', name)})
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1, done.stdout
    field = f"{spec}:6:5"
    assert (f"pkgs: {field}: error (checks): package 'htpo' is not known to the host's apt "
            "(Debian GNU/Linux 12 (bookworm))\nhint: close names apt knows: ") in done.stderr
    assert "'htop'" in done.stderr.split("hint: ")[1].splitlines()[0]
    assert "Traceback" not in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE + "; dpkg-query -W -f='${Package} "
                          "${db:Status-Abbrev}\\n' sudo locales htop ca-certificates "
                          "2>/dev/null | grep ii || true") == ONLY_THE_RUNTIME

    # A dry run is judged by the same check: a virtual package and a pin apt does not offer.
    spec = world.write(open(spec).read().replace(
        '"htpo" (specification->package "nss-certs")', '"awk" "htop@0.1-1"'))
    done = world.lispdeploy("deploy", "--dry-run", spec)
    assert done.returncode == 1, done.stdout
    assert (f"pkgs: {field}: error (checks): 2 packages cannot be installed as declared:\n"
            f"  {field}: package 'awk' is a virtual package on this host, provided by ") \
        in done.stderr
    assert f"  {field}: package htop: version 0.1-1 is not available; apt offers " \
        in done.stderr
    assert 'htop: pin one of them, e.g. "htop@' in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE) == ONLY_THE_RUNTIME


def test_swap_is_refused_on_a_container_host_before_any_change(world):
    """Only a real kernel turns swap on: a container host is told so at the swap-space,
    before a swap file or an fstab line is written."""
    name = world.host_name()
    spec = world.write(f"""
(use-modules (gnu))
(define os
  (operating-system
    (host-name "swapper")
    (swap-devices (list (swap-space (target "/swapfile") (size "64M"))))))
(list {container_machine('os', name)})
""")
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1, done.stdout
    assert (f"swapper: {spec}:6:25: error (checks): swap /swapfile: this host is a container "
            "(systemd-nspawn), and only the kernel of the machine it runs on can turn swap on "
            "(swapon is refused in containers)\n"
            "hint: declare swap-devices for servers and virtual machines only") in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE + "; test ! -e /swapfile && "
                          "grep -c swap /etc/fstab || true") == ONLY_THE_RUNTIME + "0\n"


def test_mapped_devices_are_refused_on_a_container_host_before_any_change(world):
    """A container has no block devices of its own to map: the deploy says so at the
    mapped-device, before cryptsetup is installed or an /etc/crypttab line written."""
    name = world.host_name()
    spec = world.write(f"""
(use-modules (gnu) (gnu system mapped-devices))
(define os
  (operating-system
    (host-name "vault")
    (mapped-devices (list (mapped-device (source "/dev/vdb1") (target "home")
                                         (type luks-device-mapping))))))
(list {container_machine('os', name)})
""")
    # A dry run for the host that does not exist yet says so too, creating nothing.
    done = world.lispdeploy("deploy", "--dry-run", spec)
    assert done.returncode == 1, done.stdout
    assert (f"vault: {spec}:6:27: error (checks): mapped-device home: this host is a container "
            "(container-environment-type), which has no block devices") in done.stderr
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1, done.stdout
    assert (f"vault: {spec}:6:27: error (checks): mapped-device home: this host is a container "
            "(systemd-nspawn), which has no block devices of its own to map (the device mapper "
            "is the kernel's of the machine it runs on)\n"
            "hint: declare mapped-devices for servers and virtual machines only") in done.stderr
    assert "Traceback" not in done.stderr
    assert world.sh(name, LISPDEPLOY_STATE + "; test ! -e /etc/crypttab && echo no-crypttab; "
                          "dpkg-query -W -f='${db:Status-Abbrev}\\n' cryptsetup 2>/dev/null "
                          "| grep ii || true") == ONLY_THE_RUNTIME + "no-crypttab\n"
