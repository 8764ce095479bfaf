"""`lispdeploy build`: what a user sees."""

import json
import os
import subprocess
import sys

from systems import SPECS_DIR, fresh_spec_cache, os_spec, where, write_spec  # noqa: F401


def lispdeploy(*args, cwd=None):
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    return subprocess.run([script, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_build_prints_each_machine_s_system():
    result = lispdeploy("build", os.path.join(SPECS_DIR, "forum-servers.hy"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f"forum-server-{n}" for n in range(4)]
    paths = [line.split()[1] for line in lines]
    assert all(p.startswith("/var/lib/lispdeploy/store/") and p.endswith("-system")
               for p in paths)
    assert len(set(paths)) == 4


def test_build_json():
    result = lispdeploy("build", "--json", "-L", os.path.join(SPECS_DIR, "modules"),
                        os.path.join(SPECS_DIR, "heartbeat.hy"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    (machine,) = document["machines"]
    assert machine["host-name"] == "heartbeat-host"
    assert machine["system"].endswith("-system")
    assert machine["manifest"]["format"] == 2
    assert machine["size"] > 0


def test_build_reports_a_fold_error_with_its_location(tmp_path):
    path = write_spec(tmp_path, os_spec(
        "(list (service openssh-service-type) (service openssh-service-type))",
        preamble="(use-service-modules ssh)"))
    result = lispdeploy("build", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{where(path, '(service openssh', 2)}: error: "
                                    "/etc/ssh/sshd_config is declared twice")
    assert "Traceback" not in result.stderr
