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


def guix_only_spec(first, second):
    """Two environment types of a spec: one with only Guix's three procedures, one with a
    delegate; both reach their host through a machine-ssh-configuration that turns the safety
    checks off, and both machines declare a device the hosts lack."""
    def ssh(host):
        return (f'(machine-ssh-configuration (host-name "{host.address}") '
                f'(system "x86_64-linux") (identity "{host.identity}") '
                f'(host-key "{host.host_key}") (safety-checks? #f))')
    return f"""
(define (reach m)
  (machine (inherit m)
           (environment managed-host-environment-type)
           (configuration (if (equal? (machine-display-name m) "guix-1") {ssh(first)} {ssh(second)}))))

(define guix-environment-type
  (environment-type
    (name 'guix-environment-type)
    (machine-remote-eval (lambda (m exp) (machine-remote-eval (reach m) exp)))
    (deploy-machine (lambda (m) (deploy-machine (reach m))))
    (roll-back-machine (lambda (m) (roll-back-machine (reach m))))))

(define delegating-environment-type
  (environment-type
    (name 'delegating-environment-type)
    (delegate reach)))

(define (os name)
  (operating-system (host-name name) (timezone "Europe/Lisbon")
    (file-systems (cons (file-system (mount-point "/srv") (device "/dev/sdz9") (type "ext4"))
                        %base-file-systems))))
(list (machine (operating-system (os "guix-1")) (environment guix-environment-type))
      (machine (operating-system (os "delegated-2")) (environment delegating-environment-type)))
"""


def test_guix_procedures_only_work_with_every_command(world, fleet):
    first, second = fleet(2)
    spec = world.write(guix_only_spec(first, second))

    done = world.lispdeploy("deploy", spec, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    hosts = json.loads(done.stdout)["hosts"]
    assert [(h["host"], h["result"]) for h in hosts] == [
        ("guix-1", "dry-run"), ("delegated-2", "dry-run")]
    assert all(any(c["name"] == "/etc/timezone" for c in h["plan"]["changes"]) for h in hosts)

    # (safety-checks? #f) of the delegate's configuration is honoured: /dev/sdz9 is absent.
    done = world.lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    assert [(h["host"], h["result"], h["generation"])
            for h in json.loads(done.stdout)["hosts"]] == [
        ("guix-1", "deployed", 1), ("delegated-2", "deployed", 1)]

    done = world.lispdeploy("eval", spec,
                            '#~(call-with-input-file "/etc/timezone" (lambda (p) (.read p)))')
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ['guix-1:      "Europe/Lisbon\\n"',
                                        'delegated-2: "Europe/Lisbon\\n"']

    done = world.lispdeploy("deploy", spec, "-x", "--", "sh", "-c",
                            "echo tz=$(cat /etc/timezone)")
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["delegated-2 | tz=Europe/Lisbon",
                                                "guix-1      | tz=Europe/Lisbon"]

    done = world.lispdeploy("generations", spec, "--json")
    assert done.returncode == 0, done.stderr
    assert [h["generation"] for h in json.loads(done.stdout)["hosts"]] == [1, 1]

    done = world.lispdeploy("deploy", spec, "--roll-back", "--json")
    assert done.returncode == 0, done.stderr
    assert [(h["host"], h["result"], h["generation"])
            for h in json.loads(done.stdout)["hosts"]] == [
        ("guix-1", "switched", None), ("delegated-2", "switched", None)]


def test_safety_checks_of_the_delegate_apply_when_on(world, fleet):
    (host,) = fleet(1)
    text = guix_only_spec(host, host).replace(" (safety-checks? #f)", "")
    spec = world.write(text)
    done = world.lispdeploy("deploy", spec, "--on", "guix-1")
    assert done.returncode == 1
    assert f"guix-1: {spec}:20:3: error (checks): device /dev/sdz9 of file system /srv " \
        "not found" in done.stderr
