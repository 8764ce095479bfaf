"""Scheme with Scheme's semantics in specs and in g-expressions run by a bare Python:
quasiquote, truth, cond/case/do, syntax rules, (ice-9 match), alists, SRFI-1 and SRFI-13."""

import subprocess

import pytest

from spec_helpers import MACHINE_TAIL

from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.hostside import protocol, values
from lispdeploy.spec.loader import evaluate

CASES = {
    # quasiquote, nested, with splicing; symbols and dotted pairs
    """`(("root" ,key) ("x" ,@(list 1 2)) prohibit-password)""":
        [["root", "K"], ["x", 1, 2], "prohibit-password"],
    "`prohibit-password": "prohibit-password",
    "`(1 `(2 ,(3 ,(+ 1 3))))": [1, ["quasiquote", [2, ["unquote", [3, 4]]]]],
    "(cdr '(a . b))": "b",
    "(cons 1 2)": (1, 2),
    "(symbol? 'a)": True,
    "(string? 'a)": False,
    "(format #f \"~s ~a\" 'sym \"str\")": 'sym str',
    "(format #f \"~a-~2,'0d|~5a|\" 'web 3 \"x\")": "web-03|x    |",
    # Scheme's truth: only #f is false
    "(if '() 'yes 'no)": "yes",
    "(if 0 'yes 'no)": "yes",
    "(or #f '() 3)": [],
    "(and 1 2 #f 4)": False,
    "(and 1 2)": 2,
    "(not '())": False,
    "(when #f 1)": None,
    # cond with else and =>, case, do, letrec, named let
    "(cond ((assoc \"b\" '((\"b\" . 1))) => cdr) (else 'none))": 1,
    "(cond ((> 1 2) 'a) (else 'b))": "b",
    "(cond (#f 1) ((+ 1 1)))": 2,
    "(case 3 ((1 2) 'low) ((3 4) 'mid) (else 'high))": "mid",
    "(case 'x ((a) 1) (else => symbol->string))": "x",
    "(do ((i 0 (+ i 1)) (acc '() (cons i acc))) ((= i 3) acc))": [2, 1, 0],
    "(letrec ((ev? (lambda (n) (if (= n 0) #t (od? (- n 1))))) "
    "(od? (lambda (n) (if (= n 0) #f (ev? (- n 1)))))) (ev? 10))": True,
    "(let loop ((i 0) (acc '())) (if (= i 3) (reverse acc) (loop (+ i 1) (cons i acc))))":
        [0, 1, 2],
    "((lambda (a . rest) (list a rest)) 1 2 3)": [1, [2, 3]],
    "(receive (a . b) (values 1 2 3) (list a b))": [1, [2, 3]],
    "(let-values (((q r) (values 7 2))) (+ q r))": 9,
    # association lists with Guile's semantics
    "(assoc-ref '((\"b\" \"y\" \"z\")) \"b\")": ["y", "z"],
    "(assoc-ref '((\"a\" . \"x\")) \"a\")": "x",
    "(assq-ref '((a . 1) (b . 2)) 'b)": 2,
    "(assoc \"c\" '((\"a\" . 1)))": False,
    "(assoc-set! '((a . 1)) 'a 9)": [("a", 9)],
    "(acons 'k 'v '())": [("k", "v")],
    # SRFI-1
    "(take '(1 2 3) 2)": [1, 2],
    "(drop '(1 2 3) 2)": [3],
    "(filter-map (lambda (x) (and (odd? x) (* x x))) '(1 2 3))": [1, 9],
    "(every odd? '(1 3))": True,
    "(any (lambda (x) (and (> x 1) x)) '(1 2 3))": 2,
    "(fold cons '() '(1 2 3))": [3, 2, 1],
    "(fold-right cons '() '(1 2 3))": [1, 2, 3],
    "(reduce + 0 '(1 2 3))": 6,
    "(delete-duplicates '(1 2 1 3))": [1, 2, 3],
    "(last '(1 2 3))": 3,
    "(list-index even? '(1 3 4))": 2,
    "(find (lambda (x) (> x 1)) '(1 2 3))": 2,
    "(member 2 '(1 2 3))": [2, 3],
    "(call-with-values (lambda () (partition odd? '(1 2 3))) list)": [[1, 3], [2]],
    "(append-map (lambda (x) (list x x)) '(1 2))": [1, 1, 2, 2],
    "(iota 3 1)": [1, 2, 3],
    "(sort '(3 1 2) <)": [1, 2, 3],
    "(sort '(\"b\" \"a\") string<?)": ["a", "b"],
    "((compose 1+ 1+) 1)": 3,
    "(map (cut + 1 <>) '(1 2))": [2, 3],
    # SRFI-13 and Guile's strings
    "(string-trim \"  x \")": "x ",
    "(string-trim-both \"  x \")": "x",
    "(substring \"hello\" 1 3)": "el",
    "(string-split \"a:b::c\" #\\:)": ["a", "b", "", "c"],
    "(string-tokenize \" a b  c \")": ["a", "b", "c"],
    "(string-index \"hello\" #\\l)": 2,
    "(string-join '(\"a\" \"b\") \", \")": "a, b",
    "(string-pad \"7\" 3 #\\0)": "007",
    "(string-contains \"hello\" \"ll\")": 2,
    "(string-prefix? \"he\" \"hello\")": True,
    "(string->number \"42\")": 42,
    "(string->number \"x\")": False,
    "(number->string 255 16)": "ff",
    # match
    "(match '(1 2 3) ((a b ...) (list a b)))": [1, [2, 3]],
    "(match '(\"x\" . \"y\") ((a . b) (string-append a b)))": "xy",
    "(match '(1 2 3 4) ((a b ..1) b) (_ 'none))": [2, 3, 4],
    "(match '(1) ((a b ..1) b) (_ 'none))": "none",
    "(match '((\"a\" . 1) (\"b\" . 2)) (((k . v) ...) (list k v)))": [["a", "b"], [1, 2]],
    "(match 5 ((? string? s) 's) ((? number? n) (* n 2)))": 10,
    "(match '(web 3) (('web n) n) (_ 0))": 3,
    "(match '(1 2) (`(,a ,b) (+ a b)))": 3,
    "(match 'x ((or 'y 'x) 'either))": "either",
    "(match '(1 1) ((a a) 'same) (_ 'different))": "same",
    "((match-lambda ((x y) (+ x y)) (_ 0)) '(1 2))": 3,
    "((match-lambda* ((x y) (* x y))) 3 4)": 12,
    "(match-let (((a b) '(1 2))) (+ a b))": 3,
}


@pytest.mark.parametrize("expression", sorted(CASES))
def test_scheme_expression(load, expression):
    spec = load(f'(define key "K")\n(define result {expression})\n'
                '(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    assert spec.module.__dict__["result"] == CASES[expression]


def test_syntax_rules(load):
    spec = load("""
        (define-syntax-rule (swap-pair (a b)) (list b a))
        (define-syntax my-or
          (syntax-rules ()
            ((_) #f)
            ((_ e) e)
            ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
        (define-syntax for-all
          (syntax-rules (in)
            ((_ x in lst body ...) (map (lambda (x) body ...) lst))))
        (define result (list (swap-pair (1 2)) (my-or #f #f 3) (my-or)
                             (for-all n in '(1 2) (* n 10))))
        (define os (operating-system (host-name "h")))""" + MACHINE_TAIL)
    assert spec.module.__dict__["result"] == [[2, 1], 3, False, [10, 20]]


def test_a_failed_match_names_the_value(write_spec):
    from spec_helpers import run_cli
    path = write_spec("(define x (match '(1 2) ((a) a)))\n" + MACHINE_TAIL)
    result = run_cli("describe", path)
    assert result.returncode == 1
    assert result.stderr.replace(path, "spec.hy") == (
        "spec.hy:1:11: error: match: no matching pattern for (1 2)\n")


def test_hy_macros_keep_hy_quasiquote(load):
    spec = load("""
        (defmacro twice [x] `(+ ~x ~x))
        (define result (twice 21))
        (define os (operating-system (host-name "h")))""" + MACHINE_TAIL)
    assert spec.module.__dict__["result"] == 42


def test_scheme_forms_run_in_gexps_on_a_bare_python(load):
    spec = load('(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    gexp = evaluate(spec, """
        #~(begin
            (define (describe x)
              (match x
                (('user name . groups) `(user ,name ,@groups))
                ((? string? s) (string-upcase s))
                (_ 'other)))
            (list (map describe (list '(user "ada" "wheel" "audio") "x" 3))
                  (cond ((assoc-ref '(("a" . 1)) "a") => 1+) (else 0))
                  (case 'b ((a) 1) ((b c) 2) (else 3))
                  (if '() "empty lists are true" "no")
                  (string-join (sort (list "b" "a") string<?) ",")
                  (symbol? 'user)))""")
    program = Lowerer().lower_program("scheme", gexp)
    request = protocol.encode_request(program.text, {"op": "run", "items": []})
    done = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", protocol.BOOTSTRAP],
                          input=request, capture_output=True, cwd="/")
    assert done.returncode == 0, done.stderr.decode()
    value = values.decode(protocol.decode_document(done.stdout)["value"])
    assert value == [[["user", "ada", "wheel", "audio"], "X", "other"], 2, 2,
                     "empty lists are true", "a,b", True]
