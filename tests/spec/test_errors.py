"""Every mistake in a spec gives `spec.hy:LINE:COL: error: ...` with a hint where the fix is
known, exit status 1, and never a Python traceback. Usage errors exit with status 2."""

import pytest

from spec_helpers import MACHINE_TAIL, run_cli

OS = '(define os (operating-system (host-name "h")))\n'


def describe_error(write_spec, text):
    path = write_spec(text)
    result = run_cli("describe", path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr.replace(path, "spec.hy")


CASES = {
    "misspelt field": (
        '(define os\n  (operating-system\n    (host-name "h")\n    (time-zone "UTC")))\n',
        "spec.hy:4:5: error: operating-system: unknown field 'time-zone'\n"
        "hint: did you mean 'timezone'?\n"),
    "missing required field": (
        '(define os (operating-system (timezone "UTC")))\n',
        "spec.hy:1:12: error: operating-system: missing field 'host-name'\n"
        "hint: add (host-name ...)\n"),
    "duplicate field": (
        '(define os\n  (operating-system\n    (host-name "a")\n    (host-name "b")))\n',
        "spec.hy:4:5: error: operating-system: duplicate field 'host-name'\n"
        "hint: it is first given at line 3; keep one\n"),
    "number for host-name": (
        '(define os\n  (operating-system\n    (host-name 42)))\n',
        "spec.hy:3:5: error: operating-system: field 'host-name' expects a host name (letters, "
        "digits and '-', dot-separated), got integer 42\n"),
    "string for users": (
        '(define os\n  (operating-system\n    (host-name "h")\n    (users "alyssa")))\n',
        "spec.hy:4:5: error: operating-system: field 'users' expects a list of user-account "
        "records, got string 'alyssa'\n"),
    "unknown name in Hy spelling": (
        '(define os\n  (operating-system\n    (host-name "h")\n    (services %base-servics)))\n',
        "spec.hy:4:15: error: unknown name '%base-servics'\n"
        "hint: did you mean '%base-services'?\n"),
    "field clause with two values": (
        '(define os (operating-system (host-name "a" "b")))\n',
        "spec.hy:1:30: error: operating-system: field 'host-name' takes exactly one value, "
        "got 2\nhint: wrap several values in (list ...)\n"),
    "unknown service module": (
        "(use-service-modules networking ssh desktp)\n",
        "spec.hy:1:37: error: unknown module (gnu services desktp)\n"),
    "unknown module": (
        "(use-modules (gnu) (my-company helpers))\n",
        "spec.hy:1:20: error: unknown module (my-company helpers)\n"
        "hint: it is not a Guix module; your own modules are looked up on the load path (no "
        "directories: give them with -L DIR or GUIX_PACKAGE_PATH) as my-company/helpers.scm, "
        ".hy or .py\n"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_messages(write_spec, case):
    text, expected = CASES[case]
    stderr = describe_error(write_spec, text + MACHINE_TAIL.replace("os)", "os)"))
    if case == "unknown service module":
        assert stderr.startswith(expected)
        assert "hint:" in stderr
    else:
        assert stderr == expected


def test_unbalanced_parentheses(write_spec):
    stderr = describe_error(write_spec, OS + "(list (machine\n")
    # The form that is never closed, not the end of the file.
    assert stderr == ("spec.hy:2:1: error: unbalanced parentheses: this form is never closed\n"
                      "hint: the file ends before its closing ')'\n")


def test_unknown_reader_syntax(write_spec):
    stderr = describe_error(write_spec, OS + "(list #y1)\n")
    assert stderr.startswith("spec.hy:2:")
    assert "reader macro '#y1' is not defined" in stderr


def test_spec_value_must_be_a_list_of_machines(write_spec):
    stderr = describe_error(write_spec, OS + "42\n")
    assert stderr == ("spec.hy:2:1: error: the deployment file's last value must be a list of "
                      "machines, got int\n"
                      "hint: end the file with a list of machines, (list (machine ...) ...), or "
                      "with an (operating-system ...) to describe and build\n")
    stderr = describe_error(write_spec, OS + "(list os)\n")
    assert "but it holds a operating-system" in stderr


def test_error_raised_by_spec_code_is_located(write_spec):
    stderr = describe_error(write_spec, OS + '(define x (error "no such tier:" "gold"))\n'
                            + MACHINE_TAIL)
    assert stderr == 'spec.hy:2:11: error: no such tier: "gold"\n'


def test_python_error_in_spec_code_is_located(write_spec):
    stderr = describe_error(write_spec, OS + "(define x (iota \"three\"))\n" + MACHINE_TAIL)
    assert stderr.startswith("spec.hy:2:")
    assert "iota: expects a count of 0 or more" in stderr


def test_missing_file():
    result = run_cli("describe", "/nonexistent/spec.hy")
    assert result.returncode == 1
    assert result.stderr == "error: no such deployment file: /nonexistent/spec.hy\n"


@pytest.mark.parametrize("args", [["describe"], ["describe", "a.hy", "--frobnicate"],
                                  ["no-such-command"]])
def test_usage_errors_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Usage:" in result.stderr or "Error" in result.stderr or "error:" in result.stderr
