"""Scheme idioms in specs: define, let, begin, if, unless, cons*, append, iota, format, map..."""

from spec_helpers import MACHINE_TAIL


def value_of(load, body):
    """Evaluate `body` (which must `define` result) in a spec and return `result`."""
    spec = load(body + '\n(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    return spec.module.__dict__["result"]


def test_define_value_and_function(load):
    assert value_of(load, """
        (define %count 4)
        (define (twice n) (* 2 n))
        (define result (twice %count))""") == 8


def test_define_star_with_optional_and_keyword_parameters(load):
    assert value_of(load, """
        (define* (greet name #:optional (greeting "hello") #:key (mark "!"))
          (string-append greeting " " name mark))
        (define result (list (greet "a") (greet "b" "hi") (greet "c" #:mark "?")))
    """) == ["hello a!", "hi b!", "hello c?"]


def test_let_let_star_and_named_let(load):
    assert value_of(load, """
        (define x 1)
        (define result
          (list (let ((x 10) (y x)) (+ x y))
                (let* ((x 10) (y x)) (+ x y))
                (let loop ((i 0) (acc '()))
                  (if (= i 3) acc (loop (+ i 1) (cons i acc))))))""") == [11, 20, [2, 1, 0]]


def test_begin_one_armed_if_unless(load):
    assert value_of(load, """
        (define result
          (list (begin 1 2 3)
                (if #f "never")
                (if #t "yes")
                (unless #f "ran")
                (unless #t "never")))""") == [3, None, "yes", "ran", None]


def test_list_procedures(load):
    assert value_of(load, """
        (define result
          (list (cons* 1 2 '(3 4))
                (append '(1) (list 2) '())
                (iota 3)
                (iota 3 1)
                (map (lambda (n) (* n n)) (iota 4))
                (map + '(1 2) '(10 20))
                (length '(a b c))))""") == [[1, 2, 3, 4], [1, 2], [0, 1, 2], [1, 2, 3],
                                            [0, 1, 4, 9], [11, 22], 3]


def test_for_each_runs_for_effect(load):
    assert value_of(load, """
        (define seen (list))
        (for-each (lambda (x) (.append seen x)) '(a b))
        (define result seen)""") == ["a", "b"]


def test_format_directives(load):
    assert value_of(load, r"""
        (define result
          (list (format #f "forum-server-~a" 3)
                (format #f "~s and ~a" "quoted" "plain")
                (format #f "~d~%~~" 42)
                (format #f "~a" '(1 "x" #t))))""") == [
        "forum-server-3", '"quoted" and plain', "42\n~", "(1 x #t)"]


def test_string_append_and_quoted_lists_are_plain_values(load):
    result = value_of(load, """
        (define result (list (string-append "a" "b" "c") '("wheel" netdev) 'prohibit-password))""")
    assert result == ["abc", ["wheel", "netdev"], "prohibit-password"]
    assert type(result[1]) is list and all(isinstance(s, str) for s in result[1])
    # Symbols are strings everywhere but in symbol? and string?, as in Guile.
    assert value_of(load, """
        (define result (list (symbol? 'a) (string? 'a) (string? "a") (symbol? "a")
                             (equal? 'a "a") (symbol->string 'a)))""") == [
        True, False, True, False, True, "a"]


def test_use_modules_accepts_guix_modules(load):
    spec = load("""
        (use-modules (gnu) (guix) (gnu machine ssh) (guix gexp))
        (use-system-modules accounts)
        (use-package-modules bootloaders admin)
        (define os (operating-system (host-name "h")))""" + MACHINE_TAIL)
    assert spec.machines[0].display_name == "h"


def test_accessors_and_predicates(load):
    spec = load("""
        (define os (operating-system (host-name "acc")))
        (define machines""" + MACHINE_TAIL + """)
        (define result
          (list (operating-system-host-name os)
                (operating-system-timezone os)
                (machine? (car machines))
                (machine? os)
                (operating-system? (machine-operating-system (car machines)))
                (user-account-name (car (operating-system-users os)))))
        machines""")
    assert spec.module.__dict__["result"] == ["acc", "Etc/UTC", True, False, True, "root"]
