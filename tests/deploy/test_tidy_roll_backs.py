"""A generation that fails leaves nothing behind once the host is back: `systemctl --failed`
lists what it listed before the deploy, and the directories the generation created (the
parents of its files, its new accounts' homes, what its activation snippets made) are gone,
whether the activation failed or a health check did."""

import json

from deploy_hosts import container_machine

SPEC = """
(use-modules (gnu))

(define (server broken-unit? check)
  (operating-system
    (host-name "tidy")
    (users (if check
               (cons (user-account (name "carol") (group "users") (create-home-directory? #t))
                     %base-user-accounts)
               %base-user-accounts))
    (services
     (append
      (if check
          (list (simple-service 'conf etc-service-type
                  (list (list "tidy-app/conf.d/app.conf" (plain-file "app.conf" "x = 1\\n"))))
                (simple-service 'data activation-service-type
                  #~(begin (mkdir-p "/srv/tidy-data/cache")
                           (call-with-output-file "/srv/tidy-data/cache/warm"
                             (lambda (port) (display "warm" port)))))
                (simple-service 'app shepherd-root-service-type
                  (list (shepherd-service
                          (provision '(tidy-app))
                          (start (if broken-unit?
                                     '("/bin/sh" "-c" "echo cannot start; exit 3")
                                     '("/bin/sleep" "infinity")))))))
          '())
      %base-services))))
"""

HEALTH = """(health-checks (list (health-check (retries 0) (command '("false")))))"""

STATE = """
systemctl list-units --state=failed --all --plain --no-legend --no-pager | awk '{print $1}'
echo --
for p in /etc/tidy-app /srv/tidy-data /home/carol; do test -e $p && echo "$p"; done
getent passwd carol >/dev/null && echo carol || true
ls /var/lib/lispdeploy/created 2>/dev/null || true
readlink /var/lib/lispdeploy/profiles/system
"""


def spec(world, name, directory, os_form, extra=""):
    form = container_machine(os_form, name)
    if extra:
        form = form[:-1] + f" {extra})"
    return world.write(SPEC + f"(list {form})", f"{directory}/spec.hy")


def test_a_failed_generation_leaves_nothing_behind(world):
    name = world.host_name()
    base = spec(world, name, "base", "(server #f #f)")
    assert world.lispdeploy("deploy", base).returncode == 0
    before = world.sh(name, STATE)
    assert before.endswith("--\nsystem-1-link\n"), before

    # The activation fails (a unit that cannot start): rolled back, and tidied.
    broken = spec(world, name, "broken", "(server #t #t)")
    done = world.lispdeploy("deploy", broken, "--json")
    assert done.returncode == 1
    (report,) = json.loads(done.stdout)["hosts"]
    assert report["rolled-back"] is True and report["error"]["step"] == "units"
    assert world.sh(name, STATE) == before

    # The activation works, but a health check fails: sent back, and tidied too.
    unhealthy = spec(world, name, "unhealthy", "(server #f #t)", HEALTH)
    done = world.lispdeploy("deploy", unhealthy, "--json")
    assert done.returncode == 1
    (report,) = json.loads(done.stdout)["hosts"]
    assert (report["error"]["step"], report["rolled-back"]) == ("health-checks", True)
    assert world.sh(name, STATE) == before

    # A generation that stands keeps what it made, and forgets its journal.
    good = spec(world, name, "good", "(server #f #t)")
    done = world.lispdeploy("deploy", good)
    assert done.returncode == 0, done.stderr
    assert world.sh(name, STATE).split("--\n")[1].split() == [
        "/etc/tidy-app", "/srv/tidy-data", "/home/carol", "carol", "system-2-link"]
