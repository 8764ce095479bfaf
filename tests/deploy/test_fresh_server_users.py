"""Fresh servers reached the way cloud servers often are: as a non-root user with sudo
(Guix's `(user "deploy")`), and packages pinned to versions.

The hosts are minimal-image container hosts (`fleet`), prepared as their administrator would
prepare a new server; the spec reaches them as managed hosts, over SSH, like any server.
"""

import json

import pytest

ADMIN_SETUP = """
set -e
apt-get update -q >/dev/null
apt-get install -y -q sudo >/dev/null
useradd --create-home --shell /bin/bash deploy
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/
echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-deploy
chmod 440 /etc/sudoers.d/90-deploy
"""

OS = """
(use-service-modules ssh)
(define os
  (operating-system
    (host-name "{name}")
    (timezone "Europe/Paris")
    (users (cons (user-account (name "alyssa") (group "users")
                               (supplementary-groups '("sudo")))
                 %base-user-accounts))
    (packages (cons {packages} %base-packages))
    (services (cons (service openssh-service-type
                             (openssh-configuration (permit-root-login #f)))
                    %base-services))))
"""


def managed_spec(world, host, *, packages='"hello"', name="fresh-vps"):
    """A spec deploying to `host` as user deploy, with Guix's root-less sshd."""
    machine = (f'(machine (operating-system os) (environment managed-host-environment-type)\n'
               f' (configuration (machine-ssh-configuration (host-name "{host.address}")'
               f' (system "x86_64-linux") (user "deploy") (identity "{host.identity}")'
               f' (host-key "{host.host_key}"))))')
    return world.write(OS.format(name=name, packages=packages) + f"(list {machine})\n",
                       f"{name}.hy")


def ssh_as(world, host, user, script):
    from lispdeploy.remote.ssh import SshTransport
    with SshTransport.connect(host.address, port=host.port, identity=host.identity,
                              host_key=host.host_key, user=user, name=host.name) as t:
        done = t.execute(["sh", "-c", script])
    return done.exit_status, done.stdout.decode(), done.stderr.decode()


@pytest.mark.parametrize("image", ["debian-13"])
def test_a_fresh_server_deployed_to_as_a_user_with_sudo(fleet, world, image):
    (host,) = fleet(1, image=image)
    assert ssh_as(world, host, "root", ADMIN_SETUP)[0] == 0
    spec = managed_spec(world, host)
    done = world.lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["hosts"][0]
    assert (report["result"], report["generation"]) == ("deployed", 1)
    # The system's sudoers (Guix's default, with Debian's @includedir and %sudo) kept the
    # administrator's rule: the next deploy still gets root.
    status, out, _ = ssh_as(world, host, "deploy", "sudo -n id -u; hello; "
                                                    "sudo -n grep -c includedir /etc/sudoers")
    assert (status, out) == (0, "0\nHello, world!\n1\n")
    again = world.lispdeploy("deploy", spec, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["hosts"][0]["result"] == "unchanged"
    # Root can no longer log in (permit-root-login #f): the deploy user is the way in.
    with pytest.raises(Exception):
        ssh_as(world, host, "root", "true")

    back = world.lispdeploy("switch-generation", spec, "0")
    assert back.returncode == 0, back.stderr
    status, out, _ = ssh_as(world, host, "deploy", "sudo -n true && echo still-root; "
                                                    "command -v hello || echo no-hello")
    # sudo was the administrator's, not lispdeploy's: it stays, with the rule.
    assert out == "still-root\nno-hello\n"


def managed_root_spec(world, host, package, file="pins.hy"):
    """A spec deploying `package` (a package expression) to `host` as root."""
    machine = (f'(machine (operating-system os) (environment managed-host-environment-type)\n'
               f' (configuration (machine-ssh-configuration (host-name "{host.address}")'
               f' (system "x86_64-linux") (identity "{host.identity}")'
               f' (host-key "{host.host_key}"))))')
    text = ('(define os (operating-system (host-name "pinned")\n'
            f'  (packages (cons {package} %base-packages))))\n'
            f"(list {machine})\n")
    return world.write(text, file)


def tzdata_version(world, host):
    return ssh_as(world, host, "root", "dpkg-query -W -f='${Version}' tzdata")[1]


def test_a_pin_that_changes_is_applied_and_one_apt_cannot_satisfy_is_named(fleet, world):
    # Debian 12 offers tzdata from bookworm and from bookworm-updates: the image has the newer
    # one, and a pin to the other moves an installed package (down, here).
    (host,) = fleet(1, image="debian-12")
    status, out, err = ssh_as(world, host, "root",
                              "apt-get update -q >/dev/null && apt-cache madison tzdata")
    assert status == 0, err
    offered = [line.split("|")[1].strip() for line in out.splitlines()]
    older = [v for v in offered if v != tzdata_version(world, host)]
    assert older, f"the archive offers only tzdata {offered}"
    spec = managed_root_spec(world, host, f'(specification->package "tzdata@{older[0]}")')
    done = world.lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    assert tzdata_version(world, host) == older[0]

    bad = managed_root_spec(world, host, '(specification->package "tzdata@0.0-nope")',
                            file="bad.hy")
    failed = world.lispdeploy("deploy", bad)
    assert failed.returncode == 1
    assert (f"package tzdata: version 0.0-nope is not available; apt offers "
            f"{', '.join(offered)}") in failed.stderr, failed.stderr
    # Rolled back: generation 1's pinned version is still there.
    assert tzdata_version(world, host) == older[0]
