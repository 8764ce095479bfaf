"""The gexp form compiles staged code when the spec is read."""

from spec_helpers import MACHINE_TAIL


def test_error_in_staged_code_is_the_hosts_error(load):
    spec = load('(define g #~(begin (when (> 2 1) (error "bad tier:" "gold")) 1))\n'
                '(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    source = spec.module.__dict__["g"].source
    assert "error('bad tier:', 'gold')" in source
    assert "_ld" not in source


def test_controller_records_in_staged_code_are_refused(write_spec):
    from spec_helpers import run_cli
    path = write_spec('(define g #~(list (plain-file "x" "y")))\n'
                      '(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    done = run_cli("describe", path)
    assert done.returncode == 1
    assert done.stderr.replace(path, "spec.hy") == (
        "spec.hy:1:20: error: gexp: records, services and file-like objects cannot be built on "
        "a host\nhint: build the value outside the gexp and splice it in with #$\n")
