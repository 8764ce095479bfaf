"""Field kinds: what a string from a spec may hold, given the file it ends up in.

Every string a spec gives a service ends up in a file lispdeploy generates (sshd_config,
nginx.conf, a unit file, /etc/default/keyboard, a crontab line...). A value must never change
the *shape* of that file: a newline in a one-line setting would start a new directive, a quote
in a sourced file would run a command. So each field says what kind of string it takes, and
the generator writes the value with the quoting of its file:

    kind            accepts                                             refused
    line            one line of text                                    control characters
                                                                        (newline, CR, NUL, tab,
                                                                        ESC, DEL, C1), Unicode
                                                                        line separators
    word            a line without whitespace: one token                the above, whitespace
    absolute_path   a word starting with '/'                            the above, relative
    prose           free text shown on one line (descriptions): runs of control characters
                    whitespace become one space                         other than whitespace
    raw             configuration text the spec writes itself           NUL
                    (extra-content, raw-content, a location's body):
                    it goes in verbatim, by design

The kinds are checks for `records.Field(check=...)`, combinable with `lispdeploy.checks`
(`checks.optional(kinds.line)`, `checks.list_of(kinds.word, "names")`); `pattern(regex,
what)` and `within(kind, test, what)` make narrower ones. A refused value becomes a located
error at its field in the spec (`spec.hy:12:20: error: openssh-configuration: field
'pid-file' expects an absolute path on one line, without spaces (it holds a newline), got
string '/run/x\\nPort 2'`).

The writers quote one value for one file format so that the file's own parser reads back
exactly the value given:

    sh_quote        files sourced by sh (/etc/default/*)
    sshd_word       one argument of an sshd_config keyword
    nginx_word      one argument of an nginx directive
    apache_word     one argument of an Apache directive
    ini_value       the value of KEY=VALUE in systemd-style files (journald.conf,
                    timesyncd.conf, .network files): a line as it is, or an error

`kind_of(check)` gives the kind a (possibly wrapped) check stands for; the property test of
the catalogue (tests/services/test_field_kinds.py) uses it to find every string field.

Imports `checks` only.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from lispdeploy import checks

# Characters no one-line value may hold: C0 controls (newline, CR, tab, NUL, ESC...), DEL,
# C1 controls (NEL...), and what Python's str.splitlines() also takes as a line break.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte",
          "\x1b": "an escape character", "\x7f": "a DEL character",
          "\u2028": "a line separator", "\u2029": "a paragraph separator",
          "\x85": "a next-line character"}


def describe_character(char: str) -> str:
    """A readable name of a control character ("a newline", "control character U+0001")."""
    return _NAMES.get(char, f"control character U+{ord(char):04X}")


class FieldKind:
    """A check for string fields that also says which kind of string it guarantees.

    `check(value)` returns the stored value or raises TypeError("what was expected (why)");
    `normalize` is what the generated file holds for a value (identity but for `prose`).
    """

    __slots__ = ("name", "what", "_test", "normalize", "doc")

    def __init__(self, name: str, what: str, test: Callable[[str], Optional[str]], *,
                 normalize: Callable[[str], str] = lambda text: text, doc: str = ""):
        self.name = name
        self.what = what
        self._test = test
        self.normalize = normalize
        self.doc = doc or what

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(self.what)
        text = str(value)
        problem = self._test(text)
        if problem:
            error = TypeError(f"{self.what} ({problem})")
            error.reason = problem  # kept by checks.optional and checks.list_of
            raise error
        return self.normalize(text)

    def __repr__(self) -> str:
        return f"<field kind {self.name}>"


def _control_problem(text: str) -> Optional[str]:
    found = _CONTROL.search(text)
    if found is None:
        return None
    return f"it holds {describe_character(found.group())}"


def _word_problem(text: str) -> Optional[str]:
    if not text:
        return "it is empty"
    problem = _control_problem(text)
    if problem:
        return problem
    if any(c.isspace() for c in text):
        return "it holds a space"
    return None


def _path_problem(text: str) -> Optional[str]:
    problem = _word_problem(text)
    if problem:
        return problem
    if not text.startswith("/"):
        return "it is not absolute"
    return None


def _prose_problem(text: str) -> Optional[str]:
    for char in _CONTROL.findall(text):
        if not char.isspace():
            return f"it holds {describe_character(char)}"
    return None


def _raw_problem(text: str) -> Optional[str]:
    return "it holds a NUL byte" if "\x00" in text else None


line = FieldKind("line", "one line of text", _control_problem,
                 doc="One line of text: no newline or other control character.")
word = FieldKind("word", "a single word (no spaces)", _word_problem,
                 doc="One token: a non-empty line without whitespace.")
absolute_path = FieldKind("absolute-path", "an absolute path on one line, without spaces",
                          _path_problem, doc="A word starting with '/'.")
prose = FieldKind("prose", "text", _prose_problem, normalize=lambda text: " ".join(text.split()),
                  doc="Free text written on one line: runs of whitespace become one space.")
raw = FieldKind("raw", "configuration text", _raw_problem,
                doc="Configuration written verbatim (the spec's own directives).")


def pattern(regex: str, what: str, *, base: FieldKind = word, name: str = "") -> FieldKind:
    """A kind of `base` strings that also match `regex` (fully); `what` describes them."""
    compiled = re.compile(regex)

    def test(text: str) -> Optional[str]:
        problem = base._test(text)
        if problem:
            return problem
        return None if compiled.fullmatch(text) else "it does not have that form"

    return FieldKind(name or base.name, what, test, normalize=base.normalize)


def within(base: FieldKind, refuse: Callable[[str], Optional[str]], what: str,
           name: str = "") -> FieldKind:
    """A kind of `base` strings that `refuse` (text -> reason or None) accepts."""
    def test(text: str) -> Optional[str]:
        return base._test(text) or refuse(text)

    return FieldKind(name or base.name, what, test, normalize=base.normalize)


def refining(check: Callable[[Any], str], what: str, base: FieldKind = line,
             name: str = "") -> FieldKind:
    """A kind of `base` strings that a service's own `check` (value -> stored value, or
    TypeError) also accepts, described as `what`: a way to give an existing check a kind."""
    def test(text: str) -> Optional[str]:
        problem = base._test(text)
        if problem:
            return problem
        try:
            check(text)
        except TypeError:
            return "it does not have that form"
        return None

    return _Refining(name or base.name, what, test, base=base, check=check,
                     doc=check.__doc__ or "")


class _Refining(FieldKind):
    """A kind made by `refining`: the service's check says itself what is wrong."""

    __slots__ = ("base", "check")

    def __init__(self, name, what, test, *, base: FieldKind, check, doc: str):
        super().__init__(name, what, test, normalize=lambda text: check(base.normalize(text)),
                         doc=doc)
        self.base = base
        self.check = check

    def __call__(self, value: Any) -> str:
        text = self.base(value)
        return self.check(text)


def kind_of(check: Any) -> Optional[FieldKind]:
    """The field kind a check stands for, looking through `checks.optional`/`list_of`/
    `either` wrappers; None for checks that take no strings of a known kind."""
    for _ in range(10):
        if check is None or isinstance(check, FieldKind):
            return check
        for alternative in getattr(check, "alternatives", ()):
            found = kind_of(alternative)
            if found is not None:
                return found
        check = getattr(check, "inner", None)
    return None


# ---------------------------------------------------------------------------------------------
# Names every part of a system shares


# Names of accounts (useradd's rule, as Debian configures it) and of systemd units' users.
account_name = pattern(r"[a-z_][a-z0-9_-]*\$?", "a user or group name (lower-case letters, "
                       "digits, '-' and '_', at most 32)", name="account-name")
# What /etc/passwd and /etc/shadow separate fields with, and useradd refuses.
passwd_field = within(line, lambda text: "it holds ':'" if ":" in text else None,
                      "one line of text without ':'", name="passwd-field")
passwd_path = within(absolute_path, lambda text: "it holds ':'" if ":" in text else None,
                     "an absolute path without spaces or ':'", name="passwd-path")
crypt_hash = within(word, lambda text: "it holds ':'" if ":" in text else None,
                    "a crypt(3) password hash such as \"$6$salt$...\"", name="crypt-hash")
# Debian's rule for package names, with an optional ":architecture".
package_name = pattern(r"[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?",
                       "a package name (lower-case letters, digits, '+', '-', '.')",
                       name="package-name")
package_version = pattern(r"[0-9A-Za-z.+~:-]+", "a version string such as \"2.10-3\"",
                          name="package-version")


_ZONE = re.compile(r"[A-Za-z0-9_+.-]+(/[A-Za-z0-9_+.-]+)*")


def _zone_problem(text: str) -> Optional[str]:
    if text.startswith("/"):
        return "it is an absolute path"
    if any(part in ("", ".", "..") for part in text.split("/")):
        return "it has an empty, '.' or '..' part"
    return None if _ZONE.fullmatch(text) else "it does not have that form"


# A name under /usr/share/zoneinfo: "Europe/Paris", "Etc/GMT+5", "UTC".
timezone = within(word, _zone_problem, "a time zone name such as \"Europe/Paris\"",
                  name="timezone")
# glibc locale names: "en_US.utf8", "sr_RS@latin", "C.UTF-8".
locale_name = pattern(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)?(@[A-Za-z0-9_]+)?",
                      "a locale name such as \"en_US.utf8\"", name="locale")
# XKB names of layouts, variants, models and options ("us", "altgr-intl", "ctrl:nocaps");
# commas separate several layouts or variants.
xkb_name = pattern(r"[A-Za-z0-9_.+:-]*(,[A-Za-z0-9_.+:-]*)*",
                   "an XKB name such as \"us\", \"altgr-intl\" or \"ctrl:nocaps\"",
                   base=line, name="xkb-name")


def mode(value: Any) -> int:
    """A file mode: an integer 0 to #o7777 (write it in octal: #o644) or an octal string
    ("0644"). Decimal-looking mistakes (644 for #o644) are refused with a hint."""
    if isinstance(value, str):
        if re.fullmatch(r"0?[0-7]{3,4}", value):
            return int(value, 8)
        raise TypeError("a file mode such as #o644 or \"0644\"")
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("a file mode such as #o644 or \"0644\"")
    digits = str(value)
    looks_octal = re.fullmatch(r"[0-7]{3,4}", digits) is not None
    # 512..777 written in decimal all have a bit above #o777 (sticky, setgid...) set, which
    # nobody means for a configuration file or a home: they are octal modes written without #o.
    if looks_octal and (value > 0o7777 or (len(digits) == 3 and value > 0o777)):
        raise TypeError(f"a file mode in octal: write #o{digits} (or \"0{digits}\"); {value} "
                        f"is decimal, which is #o{value:o}")
    if 0 <= value <= 0o7777:
        return int(value)
    raise TypeError("a file mode from #o0 to #o7777, such as #o644")


# ---------------------------------------------------------------------------------------------
# Writers: one value, quoted for one file format


def _require(kind: FieldKind, text: str, where: str) -> str:
    problem = kind._test(text)
    if problem:
        raise ValueError(f"{where} cannot hold {text!r}: {problem}")
    return text


def sh_quote(text: str) -> str:
    """`text` as one sh word that expands to nothing but itself (single quotes)."""
    _require(line, text, "a shell-sourced file")
    return "'" + text.replace("'", "'\\''") + "'"


_SSHD_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./*?!\[\]-]+")


def sshd_word(text: str) -> str:
    """`text` as one argument of an sshd_config keyword, read back exactly by sshd's
    tokenizer (argv_split: double quotes, backslash escaping quotes and backslashes)."""
    _require(line, text, "an sshd_config value")
    if text and _SSHD_PLAIN.fullmatch(text) and not text.startswith("#"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_NGINX_PLAIN = re.compile(r"[^\s;{}\"'#]+")
# What nginx's tokenizer changes in an unquoted word: these escapes, and ${ (a variable).
_NGINX_CHANGED = re.compile(r"\\([\"'\\ntr]|$)|\$\{")


def nginx_word(text: str) -> str:
    """`text` as one argument of an nginx directive, read back exactly by nginx's
    tokenizer (double quotes, backslash escapes); written as it is when nginx reads it so."""
    _require(line, text, "an nginx value")
    if text and _NGINX_PLAIN.fullmatch(text) and not _NGINX_CHANGED.search(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_APACHE_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./*?!~^\[\]|-]+")


def apache_word(text: str) -> str:
    """`text` as one argument of an Apache directive, read back exactly by
    ap_getword_conf (double quotes, backslash escaping quotes and backslashes)."""
    _require(line, text, "an Apache value")
    if "${" in text:
        raise ValueError(f"an Apache value cannot hold {text!r}: Apache expands ${{...}}")
    if text and _APACHE_PLAIN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ini_problem(text: str) -> Optional[str]:
    problem = _control_problem(text)
    if problem:
        return problem
    if text != text.strip():
        return "it starts or ends with a space"
    if text.endswith("\\"):
        return "it ends with a backslash, which joins the next line"
    return None


# The value of a KEY=VALUE line in systemd-style files, which have no quoting: the parser
# strips spaces around it and joins a line ending with a backslash to the next.
ini_line = FieldKind("ini-line", "one line of text (no spaces around it, no final backslash)",
                     _ini_problem)


def ini_value(text: str) -> str:
    """`text` as the value of a KEY=VALUE line of a systemd-style file (no quoting exists:
    a value that would not read back as itself is an error)."""
    return _require(ini_line, text, "a systemd-style setting")


def checked(kind: FieldKind, value: Any, label: str) -> str:
    """`value` if it is a string of `kind`, else ValueError naming `label`: for strings that
    reach a generator without a field check (values computed by g-expressions)."""
    try:
        return kind(value)
    except TypeError as e:
        raise ValueError(f"{label} must be {e}") from None


__all__ = ["FieldKind", "line", "word", "absolute_path", "prose", "raw", "pattern", "within",
           "refining", "kind_of", "account_name", "passwd_field", "passwd_path", "crypt_hash",
           "package_name", "package_version", "timezone", "locale_name", "xkb_name", "mode",
           "sh_quote", "sshd_word", "nginx_word", "apache_word", "ini_line", "ini_value",
           "checked", "describe_character", "checks"]
