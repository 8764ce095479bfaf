"""Three hosts in parallel, one of them unreachable: the other two deploy, and the report says
exactly which host failed and why."""

import json

from deploy_hosts import container_machine

UNREACHABLE = "127.0.250.78"


def test_one_unreachable_host_does_not_stop_the_others(world):
    first, second = world.host_name(), world.host_name()
    spec = world.write(f"""
(define (web n) (operating-system (host-name (format #f "web-~a" n))))
(list {container_machine('(web 1)', first)}
      {container_machine('(web 2)', second)}
      (machine (operating-system (web 3))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "{UNREACHABLE}")
                               (system "x86_64-linux")
                               (host-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOKhTrvwMmDsbwjJnnJ7pmxK8q8SDCxqfGEvfZJ6QGzZ")))))
""")
    done = world.lispdeploy("deploy", spec, "--jobs", "3")
    assert done.returncode == 1
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert rows[0][:5] == ["web-1", "deployed", "0", "->", "1"]
    assert rows[1][:5] == ["web-2", "deployed", "0", "->", "1"]
    assert rows[2][:4] == ["web-3", "failed", "-", "none"]
    assert (f"web-3: {spec}:11:31: error: cannot connect to {UNREACHABLE}: connection refused\n"
            "hint: is sshd running on the host, listening on port 22?") in done.stderr
    assert done.stderr.rstrip().endswith(
        "error: deploy: 2 of 3 hosts succeeded; failed: web-3")
    for name, host in ((first, "web-1"), (second, "web-2")):
        assert world.sh(name, "hostname; readlink /var/lib/lispdeploy/profiles/system").split() \
            == [host, "system-1-link"]

    again = world.lispdeploy("deploy", spec, "--json", "--on", "web-1,web-2")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert [(h["host"], h["result"]) for h in report["hosts"]] == [
        ("web-1", "unchanged"), ("web-2", "unchanged")]
    assert report["failed"] == []
