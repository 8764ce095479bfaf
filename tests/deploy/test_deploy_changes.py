"""A change deploys as generation 2 and restarts (or reloads) exactly what changed;
--roll-back restores generation 1 completely, including a file lispdeploy found on the host;
roll-forward works. An activation that fails midway leaves the host on its previous
generation."""

import json

from deploy_hosts import container_machine

BASE = """
(use-modules (gnu))
(use-service-modules ssh)

(define ticker
  (simple-service 'ticker shepherd-root-service-type
    (list (shepherd-service
            (provision '(ticker))
            (documentation "Ticks.")
            (start '("/bin/sleep" "infinity"))))))

(define (server extra-users ssh-config extra-services packages motd)
  (operating-system
    (host-name "changing-host")
    (users (append (list (user-account (name "ada") (group "users"))) extra-users
                   %base-user-accounts))
    (packages (append packages %base-packages))
    (services (append (list (service openssh-service-type ssh-config)) extra-services
                      (modify-services %base-services
                        (login-service-type config =>
                          (if motd (login-configuration (inherit config) (motd motd))
                              config)))))))

(define generation-1
  (server '() (openssh-configuration (permit-root-login 'prohibit-password))
          (list ticker) '() #f))

(define generation-2
  (server (list (user-account (name "bob") (group "users")))
          (openssh-configuration (permit-root-login 'prohibit-password)
                                 (x11-forwarding? #t))
          '() (list "hello") (plain-file "motd" "Welcome to generation 2.\\n")))
"""


def spec(world, name, generation, extra=""):
    return world.write(BASE + extra + f"(list {container_machine(generation, name)})\n",
                       f"{generation}/spec.hy")


def deploy(world, path, *args):
    done = world.lispdeploy("deploy", path, "--json", *args)
    return done, json.loads(done.stdout)["hosts"][0] if done.stdout else None


STATE = """
getent passwd bob >/dev/null && echo bob || echo no-bob
dpkg-query -W -f='${Status}\\n' hello 2>/dev/null | grep -q 'install ok installed' && echo hello || echo no-hello
systemctl is-active ticker.service || true
test -e /etc/systemd/system/ticker.service && echo ticker-unit || echo no-ticker-unit
sshd -T | grep -i "^x11forwarding"
systemctl is-active ssh
readlink /var/lib/lispdeploy/profiles/system
"""


def test_change_roll_back_and_forward(world):
    name = world.host_name()
    gen1, gen2 = spec(world, name, "generation-1"), spec(world, name, "generation-2")
    done, report = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    original_motd = world.sh(name, "cat /etc/motd")
    assert "Welcome to generation 2" not in original_motd
    assert world.sh(name, STATE).split() == [
        "no-bob", "no-hello", "active", "ticker-unit", "x11forwarding", "no",
        "active", "system-1-link"]
    ssh_pid = world.sh(name, "systemctl show -p MainPID --value ssh").strip()

    done, report = deploy(world, gen2)
    assert done.returncode == 0, done.stderr
    assert (report["result"], report["generation"], report["previous-generation"]) == (
        "deployed", 2, 1)
    # sshd reads a changed sshd_config on SIGHUP, in place: a reload, not a restart.
    assert (report["restarted"], report["reloaded"]) == ([], ["ssh.service"])
    assert world.sh(name, STATE).split() == [
        "bob", "hello", "inactive", "no-ticker-unit", "x11forwarding", "yes",
        "active", "system-2-link"]
    assert world.sh(name, "cat /etc/motd") == "Welcome to generation 2.\n"
    assert world.sh(name, "systemctl show -p MainPID --value ssh").strip() == ssh_pid
    assert "Received SIGHUP" in world.sh(name, "journalctl -u ssh.service -o cat --no-pager")

    done, report = deploy(world, gen2, "--roll-back")
    assert done.returncode == 0, done.stderr
    assert (report["result"], report["generation"]) == ("switched", 1)
    assert world.sh(name, STATE).split() == [
        "no-bob", "no-hello", "active", "ticker-unit", "x11forwarding", "no",
        "active", "system-1-link"]
    assert world.sh(name, "cat /etc/motd") == original_motd

    done, report = deploy(world, gen2)
    assert done.returncode == 0, done.stderr
    assert (report["result"], report["generation"], report["previous-generation"]) == (
        "deployed", 3, 1)
    assert world.sh(name, STATE).split()[:2] == ["bob", "hello"]

    listing = world.lispdeploy("generations", gen2)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0] == "changing-host:"
    assert [l.split()[0] for l in lines[1:]] == ["1", "2", "3"]
    assert lines[3].endswith("(current)")


BROKEN = """
(define broken
  (simple-service 'broken shepherd-root-service-type
    (list (shepherd-service
            (provision '(broken))
            (respawn? #f)
            (start '("/bin/sh" "-c" "echo boom-marker >&2; exit 3"))))))
(define generation-broken
  (server '() (openssh-configuration (permit-root-login 'prohibit-password))
          (list ticker broken) '() #f))
"""


def test_failed_activation_leaves_the_previous_generation_running(world):
    name = world.host_name()
    gen1 = spec(world, name, "generation-1")
    done, _ = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    before = world.sh(name, "cat /etc/ssh/sshd_config; ls /etc/systemd/system")

    broken = spec(world, name, "generation-broken", BROKEN)
    done = world.lispdeploy("deploy", broken)
    assert done.returncode == 1
    assert "changing-host: error (units): units failed: unit broken.service is failed" in done.stderr
    assert "boom-marker" in done.stderr
    assert "rolled back to generation 1" in done.stderr
    assert "failed" in done.stdout.splitlines()[1]

    assert world.sh(name, STATE).split()[-2:] == ["active", "system-1-link"]
    assert world.sh(name, "systemctl is-active ticker.service").strip() == "active"
    assert world.sh(name, "cat /etc/ssh/sshd_config; ls /etc/systemd/system") == before
    assert world.sh(name, "ls /var/lib/lispdeploy/profiles").split() == [
        "system", "system-1-link", "system-1-provenance.json"]


PACKAGED = """
(define (packaged-ticker packages)
  (simple-service 'packaged-ticker shepherd-root-service-type
    (list (systemd-unit
            (name "packaged-ticker.service")
            (file (plain-file "packaged-ticker.service"
                              "[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n"))
            (packages packages)))))
(define generation-unpackaged
  (server '() (openssh-configuration (permit-root-login 'prohibit-password))
          (list (packaged-ticker '())) '() #f))
(define generation-packaged
  (server '() (openssh-configuration (permit-root-login 'prohibit-password))
          (list (packaged-ticker '("hello"))) (list "hello") #f))
"""


def test_a_unit_restarts_when_its_package_is_installed(world):
    name = world.host_name()
    first = spec(world, name, "generation-unpackaged", PACKAGED)
    done, report = deploy(world, first)
    assert done.returncode == 0, done.stderr
    pid = world.sh(name, "systemctl show -p MainPID --value packaged-ticker").strip()
    assert pid != "0"

    second = spec(world, name, "generation-packaged", PACKAGED)
    done, report = deploy(world, second)
    assert done.returncode == 0, done.stderr
    assert report["restarted"] == ["packaged-ticker.service"]
    restart = [c for c in report["changes"] if c["action"] == "restart"][0]
    assert restart["detail"] == "package hello changed"
    assert world.sh(name, "systemctl show -p MainPID --value packaged-ticker").strip() not in (
        pid, "0")
    assert world.sh(name, "dpkg-query -W -f='${Status}' hello") == "install ok installed"
