"""A deploy that cuts the host off: the controller cannot reach it again to confirm, so the
host goes back to its previous generation by itself, and the deploy says so."""

import json
import time

from deploy_hosts import container_machine

from lispdeploy.errors import LispdeployError

SPEC = """
(use-service-modules ssh)
(define (server lock?)
  (operating-system
    (host-name "guarded")
    (services (append (list (service openssh-service-type
                                     (openssh-configuration
                                      (permit-root-login 'prohibit-password)
                                      (x11-forwarding? lock?))))
                      ;; A drop-in nothing in the spec's openssh settings reveals: it locks
                      ;; root out once sshd restarts.
                      (if lock?
                          (list (simple-service 'lock etc-service-type
                                  (list (list "ssh/sshd_config.d/99-lock.conf"
                                              (plain-file "lock.conf" "DenyUsers root\n")))))
                          '())
                      %base-services))))
"""


def test_a_generation_that_locks_root_out_is_reverted_by_the_host(world):
    name = world.host_name()
    good = world.write(SPEC + f"(list {container_machine('(server #f)', name)})", "good/spec.hy")
    locked = world.write(SPEC + f"(list {container_machine('(server #t)', name)})", "locked/spec.hy")
    done = world.lispdeploy("deploy", good, "--confirm-timeout", "10")
    assert done.returncode == 0, done.stderr

    started = time.monotonic()
    done = world.lispdeploy("deploy", locked, "--confirm-timeout", "10", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)["hosts"][0]
    assert report["result"] == "failed" and report["confirmed"] is False
    assert report["error"]["step"] == "confirm"
    assert report["error"]["message"].startswith(
        "cannot reach the host again after activating generation 2 (")
    assert report["error"]["message"].endswith(
        "it goes back to generation 1 by itself within 10 s of the activation")

    # The host's watchdog switches back at its deadline; root can log in again.
    while time.monotonic() - started < 40:
        try:
            if world.sh(name, "readlink /var/lib/lispdeploy/profiles/system").strip() == \
                    "system-1-link":
                break
        except LispdeployError:
            pass  # root cannot log in until the host has gone back
        time.sleep(1)
    assert world.sh(name, "readlink /var/lib/lispdeploy/profiles/system; "
                          "ls /etc/ssh/sshd_config.d; sshd -T | grep -ci ^denyusers || true"
                          ).split() == ["system-1-link", "00-lispdeploy-container.conf", "0"]
    listing = world.lispdeploy("generations", good, "--json")
    assert [g["number"] for g in json.loads(listing.stdout)["hosts"][0]["generations"]] == [1, 2]
