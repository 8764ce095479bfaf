"""guix deploy's command line: -e, -v LEVEL, usage errors, python -m lispdeploy, exit statuses
in every command's help. None of these reach a host."""

import os
import subprocess
import sys

import pytest

from spec_helpers import MACHINE_TAIL, run_cli

SPEC = '(define os (operating-system (host-name "cli")))' + MACHINE_TAIL


def test_expression_instead_of_a_file(tmp_path):
    result = run_cli("describe", "-e", SPEC.replace("(define os", "(begin (define os")
                     + ")", cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine cli  (<expression>:")
    result = run_cli("build", "--expression", "(operating-system (host-name \"bare\"))")
    assert result.returncode == 0 and result.stdout.startswith("bare  /var/lib/lispdeploy/")


@pytest.mark.parametrize("args, message", [
    (["deploy", "a.hy", "b.hy"], "error: deploy takes one deployment file, but also got 'b.hy'"),
    (["deploy", "-e", "(list)", "a.hy"],
     "error: both '--expression' and a deployment file were provided"),
    (["describe"], "error: missing deployment file argument"),
    (["build", "a.hy", "b.hy"], "Error: Got unexpected extra argument (b.hy)"),
])
def test_usage_errors(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_verbosity_levels(write_spec):
    path = write_spec(SPEC)
    # Levels parse as Guix writes them; an unreachable host (TEST-NET) then fails the deploy.
    for args in (["-v", "2"], ["-v2"], ["--verbosity", "0"], ["--verbosity=3"], ["-vv"]):
        result = run_cli("deploy", path, "--on", "nothing-matches", *args)
        assert "no such option" not in result.stderr.lower(), (args, result.stderr)
        assert "Traceback" not in result.stderr
    result = run_cli("deploy", path, "--verbosity", "7")
    assert result.returncode == 2 and "7 is not in the range 0<=x<=3" in result.stderr


def test_python_dash_m_and_exit_statuses_in_help():
    for command in ([], ["describe"], ["build"], ["deploy"], ["eval"], ["container"]):
        done = subprocess.run([sys.executable, "-m", "lispdeploy", *command, "--help"],
                              capture_output=True, text=True, cwd=os.path.dirname(__file__))
        assert done.returncode == 0, done.stderr
        assert "Exit status:\n  0    success\n  1    an error in the spec, or a host failed\n" \
               "  2    wrong usage of the command line\n  130  interrupted" in done.stdout


def test_environment_description_and_build_options_are_shown(write_spec):
    path = write_spec(SPEC.replace('(system "x86_64-linux")',
                                   '(system "x86_64-linux") (build-locally? #f) (authorize? #f)'))
    result = run_cli("describe", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["environment", "managed-host-environment-type"]
    assert lines[2].strip() == "(Hosts that already run and are reachable over SSH.)"
    assert "  warning: build-locally? #f has no effect: lispdeploy builds every system on the " \
           "controller" in result.stdout
