"""The activation program: every activation snippet in order, each isolated, run on a host as
a plain Python script."""

import os

from lispdeploy.gexp.runtime import runtime_item
from lispdeploy.system.closure import source_map_of

from systems import (SPECS_DIR, build, build_path, fresh_spec_cache,  # noqa: F401
                     install_runtime_here, items_by_path, os_spec, run, save, unit_text,
                     where)


def activate(tmp_path, system):
    program = items_by_path(system)[system.manifest["activation"]["program"]]
    assert program.executable and program.text().startswith("#!/usr/bin/env python3\n")
    assert runtime_item() in program.references  # a deploy sends it with the program
    install_runtime_here()
    return run(["python3", "-I", save(tmp_path, "activate", program.content)])


def test_snippets_run_in_order(tmp_path):
    log = tmp_path / "log"
    system = build(tmp_path, os_spec(f"""
        (list (simple-service 'first activation-service-type
                #~(call-with-output-file "{log}" (lambda (port) (display "first " port))))
              (simple-service 'second activation-service-type
                (list #~(with-output-to-file "{log}.2" (lambda () (display #$(+ 40 2)))))))"""))
    result = activate(tmp_path, system)
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "first "
    assert (tmp_path / "log.2").read_text() == "42"


def test_a_failing_snippet_does_not_stop_the_others(tmp_path):
    after = tmp_path / "after"
    system = build(tmp_path, os_spec(f"""
        (list (simple-service 'broken activation-service-type
                #~(begin (invoke "false")))
              (simple-service 'later activation-service-type
                #~(mkdir-p "{after}")))"""))
    result = activate(tmp_path, system)
    path = str(tmp_path / "spec.hy")
    snippet = where(path, "#~(begin")
    assert result.returncode == 1
    assert after.is_dir()
    # The program names snippets by number; where they were written stays out of the item
    # and comes from the system's source maps (recorded on hosts with the provenance).
    assert "activation snippet 1 failed:" in result.stderr
    program = system.manifest["activation"]["program"]
    assert path not in items_by_path(system)[program].text()
    located = source_map_of(system, program).rewrite(result.stderr)
    assert f"activation snippet at {snippet} failed:" in located
    assert f"RuntimeError: activation failed at {snippet}" in located
    assert f'File "{path}", line {snippet.split(":")[1]}, in gexp (staged code line' in located


def test_the_heartbeat_service_of_a_user_module(tmp_path):
    system = build_path(os.path.join(SPECS_DIR, "heartbeat.hy"),
                        load_path=[os.path.join(SPECS_DIR, "modules")])
    manifest = system.manifest
    assert [u["name"] for u in manifest["units"]] == ["heartbeat.service", "ssh.service",
                                                        "cron.service"]
    assert {"name": "heartbeat", "gid": None, "system": True,
            "password": None} in manifest["groups"]
    assert [u["home"] for u in manifest["users"] if u["name"] == "heartbeat"] == [
        "/var/lib/heartbeat"]
    unit = unit_text(system, "heartbeat.service")
    assert "User=heartbeat\nGroup=heartbeat\n" in unit
    program_path = unit.split("ExecStart=/usr/bin/python3 -I ")[1].split("\n")[0]
    program = items_by_path(system)[program_path]
    assert program.name == "heartbeat" and program.executable
    assert "'/var/lib/heartbeat'" in program.text()
    activation = items_by_path(system)[manifest["activation"]["program"]].text()
    assert "shutil.chown" in activation
    assert [e["path"] for e in manifest["etc"]] == [
        "cron.d/lispdeploy-mcron", "heartbeat.conf", "motd", "ssh/sshd_config", "sudoers"]
