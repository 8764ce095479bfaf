"""The reader for spec files: Hy's reader plus the Scheme/Guix syntax deployment files use.

    #t #f #true #false     booleans
    #~form                 (gexp form)
    #$form  #$@form        (ungexp form), (ungexp-splicing form); unspaced `#$dir` works
    #:name                 a keyword (for keyword arguments)
    #\\a #\\space           characters (one-character strings)
    #o644 #x1F #b101       integers in octal, hexadecimal, binary
    #;form                 datum comment
    #| ... |#              block comment
    'form                  (scheme-quote form): quoted data becomes plain Python data
    `form ,x ,@xs          Scheme's quasiquote, unquote, unquote-splicing
    ..1 ..2                (ice-9 match)'s "one or more" ellipses
    "...\\<newline>  ..."    Guile's line continuation: the newline and indentation vanish

Everything else falls back to Hy's own `#` dispatch (`#_`, `#*`, `#(`, ...).
"""

from __future__ import annotations

import re

import hy
from hy.models import Expression, Integer, Keyword, String, Symbol
from hy.reader.exceptions import LexException
from hy.reader.hy_reader import HyReader

_CHARACTER_NAMES = {
    "space": " ", "newline": "\n", "tab": "\t", "nul": "\0", "null": "\0", "return": "\r",
    "linefeed": "\n", "alarm": "\a", "backspace": "\b", "delete": "\x7f", "escape": "\x1b",
}

_CONTINUATION = re.compile(r"\\\n[ \t]*")

# Scheme's radix prefixes: #o644 (a file mode), #x1F, #b101, #d10.
_RADIXES = {"o": 8, "x": 16, "b": 2, "d": 10}
_DIGITS = {8: "01234567", 16: "0123456789abcdef", 2: "01", 10: "0123456789"}


class SpecReader(HyReader):
    """A Hy reader that also reads the Guix syntax of deployment files."""

    @reader_for("#")
    def guix_dispatch(self, key):
        """Read `#...`: Guix syntax first, then Hy's own reader macros."""
        nxt = self.peekc()
        if nxt == "~":
            self.getc()
            return Expression([Symbol("gexp"), self.parse_one_form()])
        if nxt == "$":
            self.getc()
            if self.peek_and_getc("@"):
                return Expression([Symbol("ungexp-splicing"), self.parse_one_form()])
            return Expression([Symbol("ungexp"), self.parse_one_form()])
        if nxt == ":":
            self.getc()
            name = self.read_ident()
            if not name:
                raise LexException.from_reader("'#:' must be followed by a keyword name", self)
            return Keyword(name, from_parser=True)
        if nxt == ";":
            self.getc()
            self.parse_one_form()
            return None
        if nxt == "|":
            self.getc()
            self._skip_block_comment()
            return None
        if nxt == "\\":
            self.getc()
            return self._character()
        if nxt in ("t", "f"):
            ident = self.read_ident(just_peeking=True)
            if ident in ("t", "true", "f", "false"):
                self.read_ident()
                return Symbol("True" if ident[0] == "t" else "False")
        if nxt in _RADIXES:
            ident = self.read_ident(just_peeking=True)
            digits = ident[1:].lstrip("+-")
            if digits and all(c in _DIGITS[_RADIXES[nxt]] for c in digits.lower()):
                self.read_ident()
                sign = -1 if ident[1:2] == "-" else 1
                return Integer(sign * int(digits, _RADIXES[nxt]))
        return HyReader.tag_dispatch(self, key)

    @reader_for("`")
    def scheme_quasiquote(self, _):
        """`` `form ``: Scheme's quasiquote (see spec.scheme_forms)."""
        return Expression([Symbol("scheme-quasiquote"), self.parse_one_form()])

    @reader_for(",")
    def scheme_unquote(self, _):
        """`,form` and `,@form` inside a quasiquote."""
        if self.peek_and_getc("@"):
            return Expression([Symbol("scheme-unquote-splicing"), self.parse_one_form()])
        return Expression([Symbol("scheme-unquote"), self.parse_one_form()])

    def read_default(self, key):
        """Identifiers, plus the ellipses of (ice-9 match) patterns: `..1`, `..2`, `___`."""
        if key == "." and self.peekc() == ".":
            ident = key + self.read_ident(just_peeking=True)
            if re.fullmatch(r"\.\.\d+", ident):
                self.read_ident()
                return Symbol(ident, from_parser=True)
        return super().read_default(key)

    @reader_for("'")
    def scheme_quote(self, _):
        """`'form` is Scheme's quote: data, not code (see the `scheme-quote` macro)."""
        return Expression([Symbol("scheme-quote"), self.parse_one_form()])

    def _skip_block_comment(self):
        depth = 1
        previous = ""
        for c in self.chars():
            if previous == "|" and c == "#":
                depth -= 1
                if depth == 0:
                    return
                c = ""
            elif previous == "#" and c == "|":
                depth += 1
                c = ""
            previous = c
        raise LexException.from_reader("unterminated block comment '#| ... |#'", self)

    def _character(self):
        first = self.getc()
        rest = self.read_ident(just_peeking=True) if first.isalnum() else ""
        if rest:
            name = first + rest
            if name.lower() in _CHARACTER_NAMES:
                self.read_ident()
                return String(_CHARACTER_NAMES[name.lower()])
            if name[0] == "x" and len(name) > 1 and all(c in "0123456789abcdefABCDEF"
                                                        for c in name[1:]):
                self.read_ident()
                return String(chr(int(name[1:], 16)))
            raise LexException.from_reader(f"unknown character name '#\\{name}'", self)
        return String(first)

    def read_chars_until(self, closing, prefix, fstring_mode):
        """Read a string's characters, honouring Guile's backslash-newline continuation."""
        if fstring_mode or "r" in prefix or "b" in prefix:
            return super().read_chars_until(closing, prefix, fstring_mode)
        raw = super().read_chars_until(closing, prefix + "r", fstring_mode)
        raw = _CONTINUATION.sub("", raw)
        return raw.encode("ISO-8859-1", errors="backslashreplace").decode("unicode_escape")


def read_many(text: str, filename: str):
    """All top-level forms of a spec's text, as Hy models with positions."""
    return hy.read_many(text, filename=filename, reader=SpecReader())
