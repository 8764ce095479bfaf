"""A spec loads the user's own modules from the load path (-L DIR)."""

from spec_helpers import MACHINE_TAIL, run_cli

from lispdeploy.spec.loader import load_spec

HELPERS = """
(define (admin name)
  (user-account (name name) (group "users") (supplementary-groups '("wheel"))))
(define %office-timezone "Europe/Berlin")
(defmacro twice [x] `(+ ~x ~x))
"""


def test_hy_module_on_load_path(tmp_path, write_spec):
    lib = tmp_path / "lib" / "acme"
    lib.mkdir(parents=True)
    (lib / "helpers.hy").write_text(HELPERS)
    path = write_spec("""
        (use-modules (gnu) (acme helpers))
        (define os (operating-system (host-name "h") (timezone %office-timezone)
                     (users (list (admin "ada")))))
        (define result (twice 21))""" + MACHINE_TAIL)
    spec = load_spec(path, load_path=[str(tmp_path / "lib")])
    os_ = spec.machines[0].operating_system
    assert os_.timezone == "Europe/Berlin"
    assert os_.users[0].name == "ada" and os_.users[0].supplementary_groups == ("wheel",)
    assert spec.module.__dict__["result"] == 42


def test_python_module_on_load_path(tmp_path, write_spec):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "naming.py").write_text("def server_name(n):\n    return f'web-{n:02d}'\n")
    path = write_spec("""
        (use-modules (naming))
        (define os (operating-system (host-name (server-name 7))))""" + MACHINE_TAIL)
    spec = load_spec(path, load_path=[str(lib)])
    assert spec.machines[0].display_name == "web-07"


def test_load_path_from_the_command_line(tmp_path, write_spec):
    lib = tmp_path / "lib" / "acme"
    lib.mkdir(parents=True)
    (lib / "helpers.hy").write_text(HELPERS)
    path = write_spec("""
        (use-modules (acme helpers))
        (define os (operating-system (host-name "h") (users (list (admin "ada")))))"""
                      + MACHINE_TAIL)
    result = run_cli("describe", path, "-L", str(tmp_path / "lib"))
    assert result.returncode == 0, result.stderr
    assert "ada (users; wheel)" in result.stdout
    result = run_cli("describe", path)
    assert result.returncode == 1
    assert "unknown module (acme helpers)" in result.stderr


def test_error_inside_a_user_module_names_that_module(tmp_path, write_spec):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "broken.hy").write_text('(define x\n  (operating-system (hostname "h")))\n')
    path = write_spec("(use-modules (broken))\n" + MACHINE_TAIL)
    result = run_cli("describe", path, "-L", str(lib))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{lib}/broken.hy:2:21: error: operating-system: unknown "
                                    "field 'hostname'\nhint: did you mean 'host-name'?")
