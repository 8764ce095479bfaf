"""The same spec deployed from another directory, spelled otherwise, or with a comment added is
the same system: the deploy reports `unchanged` (saying the provenance moved), restarts
nothing and makes no generation; the host records the new provenance. Errors of programs on
the host still name spec lines, from the source maps recorded with the generation."""

from __future__ import annotations

import json
import os

from deploy_hosts import container_machine

SPEC = """
(use-modules (gnu))
(use-service-modules ssh)

(define ticker
  (program-file "ticker"
    #~(begin
        (import sys time)
        (when (> (len sys.argv) 1)
          (raise (RuntimeError (+ "asked to fail: " (get sys.argv 1)))))
        (while True (time.sleep 1000)))))

(define os
  (operating-system
    (host-name "same-host")
    (services (append (list (service openssh-service-type
                                     (openssh-configuration
                                       (permit-root-login 'prohibit-password)))
                            (simple-service 'ticker shepherd-root-service-type
                              (list (shepherd-service
                                      (provision '(ticker))
                                      (start #~(make-forkexec-constructor
                                                 (list "/usr/bin/python3" "-I" #$ticker)))))))
                      %base-services))))
"""


def report_of(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["hosts"][0]


def test_same_system_from_elsewhere_is_unchanged_and_restarts_nothing(world):
    name = world.host_name()
    machine = f"(list {container_machine('os', name)})\n"
    first_dir = world.tmp_path / "first"
    other_dir = world.tmp_path / "other" / "c"
    first_dir.mkdir()
    other_dir.mkdir(parents=True)
    (first_dir / "svc.hy").write_text(SPEC + machine)
    (other_dir / "svc.hy").write_text(";; moved, and commented\n\n" + SPEC.replace(
        "(define os", ";; the operating system\n\n(define os") + machine)

    deployed = report_of(world.lispdeploy("deploy", str(first_dir / "svc.hy"), "--json"))
    assert (deployed["result"], deployed["generation"]) == ("deployed", 1)
    pids = world.sh(name, "systemctl show -p MainPID --value ticker ssh")

    # The spec as first spelled (a relative path from its directory), then the commented copy
    # from another directory: the same system.
    env_cwd = world.tmp_path
    for args in (["deploy", os.path.relpath(first_dir / "svc.hy", env_cwd), "--json"],
                 ["deploy", "other/c/svc.hy", "--json"]):
        again = report_of(world.lispdeploy(*args))
        assert again["system"] == deployed["system"]
        assert (again["result"], again["generation"], again["changes"],
                again["restarted"]) == ("unchanged", 1, [], [])
    assert again.get("provenance-moved") is True
    assert world.sh(name, "systemctl show -p MainPID --value ticker ssh") == pids
    assert world.sh(name, "ls /var/lib/lispdeploy/profiles").split() == [
        "system", "system-1-link", "system-1-provenance.json"]
    records = json.loads(world.sh(name, "cat /var/lib/lispdeploy/profiles/"
                                        "system-1-provenance.json"))
    assert [r["provenance"]["spec"]["path"] for r in records] == [
        str(first_dir / "svc.hy"), str(other_dir / "svc.hy")]
    # The table says so too.
    done = world.lispdeploy("deploy", "other/c/svc.hy")
    assert done.returncode == 0, done.stderr
    assert "unchanged" in done.stdout and "provenance moved" not in done.stdout
    dry = world.lispdeploy("deploy", str(first_dir / "svc.hy"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "provenance moved" in dry.stdout and "0 changes" in dry.stdout

    # The program item holds no spec path, yet a failure on the host names the spec line,
    # from the source map recorded with the generation's provenance.
    program = world.sh(name, "ls -d /var/lib/lispdeploy/store/*-ticker").strip()
    assert str(world.tmp_path) not in world.sh(name, f"cat {program}")
    failed = world.lispdeploy("deploy", "other/c/svc.hy", "-x", "--", "sh", "-c",
                              f"python3 -I {program} now 2>&1; true")
    assert failed.returncode == 0, failed.stderr
    # Staged code maps to its spec lines statement by statement: the `when` holding the raise.
    line = next(n for n, text in enumerate((other_dir / "svc.hy").read_text().splitlines(), 1)
                if "(when (> (len sys.argv) 1)" in text)
    assert f'File "{other_dir / "svc.hy"}", line {line}, in gexp' in failed.stdout, failed.stdout
    assert "RuntimeError: asked to fail: now" in failed.stdout
