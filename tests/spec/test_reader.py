"""The spec reader: Guix syntax on top of Hy's."""

import pytest
from hy.models import Expression, Keyword, String, Symbol

from lispdeploy.spec.reader import read_many


def read_one(text):
    forms = list(read_many(text, "t.hy"))
    assert len(forms) == 1
    return forms[0]


@pytest.mark.parametrize("text, value", [("#t", "True"), ("#f", "False"), ("#true", "True"),
                                         ("#false", "False")])
def test_booleans(text, value):
    assert read_one(text) == Symbol(value)


def test_gexp_forms_spaced_and_unspaced():
    form = read_one("#~(mkdir-p #$dir #$ other #$@files #$@ more)")
    assert form[0] == Symbol("gexp")
    body = form[1]
    assert body[1] == Expression([Symbol("ungexp"), Symbol("dir")])
    assert body[2] == Expression([Symbol("ungexp"), Symbol("other")])
    assert body[3] == Expression([Symbol("ungexp-splicing"), Symbol("files")])
    assert body[4] == Expression([Symbol("ungexp-splicing"), Symbol("more")])


def test_guix_keywords():
    form = read_one('(local-file "x" #:recursive? #t)')
    assert form[2] == Keyword("recursive?")


def test_quote_is_data():
    assert read_one("'(\"wheel\" audio)") == Expression(
        [Symbol("scheme-quote"), Expression([String("wheel"), Symbol("audio")])])


def test_line_continuation_as_in_guile():
    text = '"\\\nroot ALL=(ALL) ALL\n%wheel ALL=NOPASSWD: ALL\\n"'
    assert read_one(text) == String("root ALL=(ALL) ALL\n%wheel ALL=NOPASSWD: ALL\n")
    assert read_one('"a\\\n     b"') == String("ab")


def test_characters_and_comments():
    forms = list(read_many('(#\\a #\\space #;(ignored form) #| block #| nested |# |# b)', "t.hy"))
    assert forms[0] == Expression([String("a"), String(" "), Symbol("b")])


def test_hy_dispatch_still_works():
    assert type(read_one("#(1 2)")).__name__ == "Tuple"
    assert read_one("(f #* xs)")[1] == Expression([Symbol("unpack-iterable"), Symbol("xs")])
    assert list(read_many("#_ (gone) kept", "t.hy")) == [Symbol("kept")]


def test_radix_integers():
    form = list(read_many("(#o644 #x1F #b101 #d10 #o-7)", "t.hy"))[0]
    assert [int(n) for n in form] == [420, 31, 5, 10, -7]
