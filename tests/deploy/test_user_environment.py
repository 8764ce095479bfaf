"""Environment types written in a spec: one that gives the managed-host machine reaching its
hosts (`delegate`), and one with its own deploy and roll-back procedures that call
`deploy-machine` / `roll-back-machine` on such a machine, as Guix's DigitalOcean type does."""

import json


def spec_text(first, second):
    def ssh(host):
        return (f'(machine-ssh-configuration (host-name "{host.address}") '
                f'(system "x86_64-linux") (identity "{host.identity}") '
                f'(host-key "{host.host_key}"))')
    return f"""
(define (reach m)
  (machine (inherit m)
           (environment managed-host-environment-type)
           (configuration (if (equal? (machine-display-name m) "jump-1") {ssh(first)} {ssh(second)}))))

(define jump-environment-type
  (environment-type
    (name 'jump-environment-type)
    (description "Hosts reached through a machine we know.")
    (delegate reach)))

(define own-environment-type
  (environment-type
    (name 'own-environment-type)
    (deploy-machine (lambda (m) (deploy-machine (reach m))))
    (roll-back-machine (lambda (m) (roll-back-machine (reach m))))))

(define (os name tz) (operating-system (host-name name) (timezone tz)))
(list (machine (operating-system (os "jump-1" "Europe/Oslo")) (environment jump-environment-type))
      (machine (operating-system (os "own-2" "Europe/Rome")) (environment own-environment-type)))
"""


def test_environment_types_defined_in_a_spec(world, fleet):
    first, second = fleet(2)
    spec = world.write(spec_text(first, second))
    done = world.lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    hosts = json.loads(done.stdout)["hosts"]
    assert [(h["host"], h["result"], h["generation"]) for h in hosts] == [
        ("jump-1", "deployed", 1), ("own-2", "deployed", 1)]

    done = world.lispdeploy("eval", spec, "--on", "jump-1",
                            '#~(call-with-input-file "/etc/timezone" (lambda (p) (.read p)))')
    assert done.returncode == 0, done.stderr
    assert "Europe/Oslo" in done.stdout

    done = world.lispdeploy("deploy", spec, "--roll-back", "--json")
    assert done.returncode == 0, done.stderr
    hosts = json.loads(done.stdout)["hosts"]
    assert [(h["host"], h["result"]) for h in hosts] == [
        ("jump-1", "switched"), ("own-2", "switched")]
