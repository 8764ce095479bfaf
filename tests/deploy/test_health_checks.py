"""Health checks of a machine run after its new generation is activated and before it is
confirmed: a URL fetched from the controller and commands run on the host. A failing check
switches the host back to its previous generation, and the report shows what the check saw."""

import json
import os

from deploy_hosts import container_machine

PORT = 20000 + os.getpid() % 20000

SPEC = """
(use-modules (gnu))

(define (server status extra-checks)
  (operating-system
    (host-name "healthy")
    (services (append (list (simple-service 'status etc-service-type
                              (list (list "lispdeploy-health/status"
                                          (plain-file "status" status))))
                            (simple-service 'status-page shepherd-root-service-type
                              (list (shepherd-service
                                      (provision '(status-page))
                                      (start '("/usr/bin/python3" "-m" "http.server" "PORT"
                                               "--bind" "0.0.0.0"
                                               "--directory" "/etc/lispdeploy-health"))))))
                      %base-services))))

(define (checks extra)
  (append (list (health-check (name "status page") (url "http://{address}:PORT/status")
                              (body "ok") (retries 3) (interval 1) (timeout 5))
                (health-check (command '("test" "-s" "/etc/lispdeploy-health/status"))))
          extra))
""".replace("PORT", str(PORT))


def spec(world, name, status, extra_checks, file):
    """The spec of one machine serving `status`, with the checks and `extra_checks`."""
    form = container_machine(f'(server "{status}\\n" #f)', name)
    form = form[:-1] + f"\n         (health-checks (checks {extra_checks})))"
    return world.write(SPEC + f"(list {form})", file)


def test_a_failing_health_check_sends_the_host_back(world):
    name = world.host_name()
    good = spec(world, name, "ok", "(list)", "good/spec.hy")
    done = world.lispdeploy("deploy", good, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    (report,) = json.loads(done.stdout)["hosts"]
    assert (report["result"], report["generation"], report["confirmed"]) == ("deployed", 1, True)
    assert [(c["check"], c["ok"]) for c in report["health-checks"]] == [
        ("status page", True), ("test -s /etc/lispdeploy-health/status", True)]
    assert report["health-checks"][0]["detail"].endswith(f":{PORT}/status: status 200")

    failing = ('(list (health-check (name "database") (retries 0)\n'
               '        (command \'("sh" "-c" "echo db is down; exit 3"))))')
    bad = spec(world, name, "down", failing, "bad/spec.hy")
    done = world.lispdeploy("deploy", bad, "--json")
    assert done.returncode == 1
    (report,) = json.loads(done.stdout)["hosts"]
    assert (report["result"], report["rolled-back"], report["generation"]) == ("failed", True, 1)
    assert report["failed-generation"] == 2
    assert report["error"]["step"] == "health-checks"
    message = report["error"]["message"]
    address = world.engine.get(name).address
    assert message == (
        f"health check 'status page' failed (4 attempts): GET http://{address}:{PORT}/status: "
        "status 200, but the body lacks 'ok'\n"
        "  down\n"
        "health check 'database' failed: exit status 3\n"
        "  db is down\n"
        "rolled back to generation 1")
    assert [(c["check"], c["ok"], c["attempts"]) for c in report["health-checks"]] == [
        ("status page", False, 4), ("test -s /etc/lispdeploy-health/status", True, 1),
        ("database", False, 1)]
    assert world.sh(name, "readlink /var/lib/lispdeploy/profiles/system; "
                          "cat /etc/lispdeploy-health/status") == "system-1-link\nok\n"

    # The table's view of it, for a person.
    done = world.lispdeploy("deploy", bad)
    assert done.returncode == 1
    assert "healthy: error (health-checks): health check 'status page' failed" in done.stderr
    assert "rolled back to generation 1" in done.stderr
