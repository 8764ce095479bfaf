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


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_scm_modules_with_define_module_exports_and_options(tmp_path, write_spec):
    lib = tmp_path / "channel"
    write(lib / "acme" / "accounts.scm", """
(define-module (acme accounts)
  #:use-module (gnu)
  #:use-module ((srfi srfi-1) #:select (delete-duplicates))
  #:export (admin %team))
(define %team '("ada" "bob" "ada"))
(define (admin name) (user-account (name name) (group "users")))
(define (hidden) 'not-exported)
(define-public (team-size) (length (delete-duplicates %team)))
""")
    path = write_spec("""
        (use-modules (gnu) (acme accounts) ((acme accounts) #:prefix acme:))
        (define result (list (team-size) (acme:team-size) (procedure? admin)))
        (define os (operating-system (host-name "h") (users (map admin '("ada")))))"""
                      + MACHINE_TAIL)
    spec = load_spec(path, load_path=[str(lib)])
    assert spec.module.__dict__["result"] == [2, 2, True]
    assert "hidden" not in spec.module.__dict__
    bad = write_spec("(use-modules ((acme accounts) #:select (hiden)))\n" + MACHINE_TAIL,
                     name="bad.hy")
    result = run_cli("describe", bad, "-L", str(lib))
    assert result.returncode == 1
    assert "(acme accounts) does not export 'hiden'\nhint: did you mean 'hidden'?" not in \
        result.stderr
    assert "does not export 'hiden'" in result.stderr


def test_guix_package_path_and_circular_imports(tmp_path, write_spec):
    lib = tmp_path / "guix-channel"
    write(lib / "a.scm", """
(define-module (a) #:use-module (b) #:export (from-a call-b))
(define (from-a) "a")
(define (call-b) (from-b))
""")
    write(lib / "b.scm", """
(define-module (b) #:use-module (a) #:export (from-b))
(define (from-b) (string-append "b+" (from-a)))
""")
    path = write_spec("""
        (use-modules (a))
        (define result (call-b))
        (define os (operating-system (host-name "h")))""" + MACHINE_TAIL)
    result = run_cli("describe", path, env={"GUIX_PACKAGE_PATH": f"/nonexistent:{lib}"})
    assert result.returncode == 0, result.stderr
    spec = load_spec(path, load_path=[str(lib)])
    assert spec.module.__dict__["result"] == "b+a"


def test_a_circular_import_used_too_early_is_an_error(tmp_path, write_spec):
    lib = tmp_path / "lib"
    write(lib / "p.scm", "(define-module (p) #:use-module (q) #:export (p-name))\n"
                         "(define (p-name) \"p\")\n")
    write(lib / "q.scm", "(define-module (q) #:use-module (p) #:export (q-name))\n"
                         "(define q-name (p-name))\n")
    path = write_spec("(use-modules (p))\n" + MACHINE_TAIL)
    result = run_cli("describe", path, "-L", str(lib))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{lib}/q.scm:2:")
    assert "'p-name' of (p) was used before that module finished loading" in result.stderr


def test_load_add_to_load_path_and_current_filename(tmp_path, write_spec):
    write(tmp_path / "systems" / "web.scm",
          '(operating-system (host-name (basename (dirname (current-filename)))))\n')
    write(tmp_path / "mods" / "site.scm",
          "(define-module (site) #:export (%zone))\n(define %zone \"Europe/Oslo\")\n")
    path = write_spec("""
        (add-to-load-path (string-append (dirname (current-filename)) "/mods"))
        (use-modules (site))
        (define os (operating-system (inherit (load "systems/web.scm")) (timezone %zone)))"""
                      + MACHINE_TAIL)
    spec = load_spec(path)
    os_ = spec.machines[0].operating_system
    assert (os_.host_name, os_.timezone) == ("systems", "Europe/Oslo")


def test_every_guix_module_is_accepted_and_names_it_lacks_are_explained(write_spec):
    path = write_spec("""
        (use-modules (gnu) (guix) (gnu system nss) (gnu packages) (guix modules) (ice-9 match)
                     (srfi srfi-1) (srfi srfi-26) (gnu services docker) (guix build utils))
        (use-service-modules admin databases desktop docker cups certbot)
        (use-package-modules admin certs emacs-xyz)
        (define os (operating-system (host-name "h")
                     (services (list (service docker-service-type)))))""" + MACHINE_TAIL)
    result = run_cli("describe", path)
    assert result.returncode == 1
    assert result.stderr.replace(path, "spec.hy").startswith(
        "spec.hy:6:47: error: 'docker-service-type' comes from Guix's (gnu services docker), "
        "which lispdeploy does not provide\nhint: on Debian: Debian's docker.io package")
    path = write_spec("(define os (operating-system (host-name \"h\") (packages (list "
                      "emacs-magit))))\n" + MACHINE_TAIL, name="pkg.hy")
    result = run_cli("describe", path)
    assert result.stderr.replace(path, "spec.hy").startswith(
        "spec.hy:1:62: error: 'emacs-magit' is a Guix package (from (gnu packages emacs-xyz)) "
        "that lispdeploy's package table does not map to a Debian package\nhint: name the "
        "Debian package as a string instead")
