"""Readers of the configuration formats lispdeploy generates, written after the programs'
own tokenizers, for tests that check a value reads back exactly as the spec gave it and that
no directive appeared or vanished:

    nginx_tree(text)      ngx_conf_read_token: [(args, children), ...]
    apache_tree(text)     ap_cfg_getline + ap_getword_conf: [(args), ...] and <blocks>
    ini_tree(text)        systemd's conf-parser: [(section, key, value), ...]
    unit_words(value)     systemd's extract_first_word(UNQUOTE|CUNESCAPE) + %% and $$
    crontab_jobs(text)    cron.d lines: [(schedule, user, argv of the command), ...]

Where the real program can print what it read (sshd -T, sh), the tests use it instead.
"""

from __future__ import annotations

import shlex
from typing import List, Tuple


class ReadError(AssertionError):
    """The text is not valid in the format (the real program would refuse it too)."""


# ---------------------------------------------------------------------------------------------
# nginx


def _nginx_tokens(text: str):
    """Yield tokens and the punctuation ';', '{', '}' as nginx's tokenizer does."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch in ";{}":
            yield ("punct", ch)
            i += 1
            continue
        if ch in "\"'":
            quote, i, out = ch, i + 1, []
            while True:
                if i >= n:
                    raise ReadError("unexpected end of file, expecting a quote")
                c = text[i]
                if c == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    out.append({"t": "\t", "r": "\r", "n": "\n"}.get(
                        nxt, nxt if nxt in "\"'\\" else "\\" + nxt))
                    i += 2
                    continue
                if c == quote:
                    i += 1
                    break
                out.append(c)
                i += 1
            if i < n and text[i] not in " \t\r\n;{":
                raise ReadError(f"unexpected {text[i]!r} after a quoted string")
            yield ("word", "".join(out))
            continue
        out = []
        variable = False
        while i < n:
            c = text[i]
            if c == "{" and variable:
                out.append(c)
                i += 1
                continue
            variable = False
            if c == "\\" and i + 1 < n:
                nxt = text[i + 1]
                out.append({"t": "\t", "r": "\r", "n": "\n"}.get(
                    nxt, nxt if nxt in "\"'\\" else "\\" + nxt))
                i += 2
                continue
            if c == "$":
                variable = True
            if c in " \t\r\n;{":
                break
            out.append(c)
            i += 1
        yield ("word", "".join(out))


def nginx_tree(text: str) -> List:
    """The directives of an nginx configuration: [(args tuple, children or None), ...]."""
    stack: List[List] = [[]]
    args: List[str] = []
    for kind, value in _nginx_tokens(text):
        if kind == "word":
            args.append(value)
        elif value == ";":
            if not args:
                raise ReadError("unexpected ';'")
            stack[-1].append((tuple(args), None))
            args = []
        elif value == "{":
            if not args:
                raise ReadError("unexpected '{'")
            block: List = []
            stack[-1].append((tuple(args), block))
            stack.append(block)
            args = []
        else:
            if args or len(stack) == 1:
                raise ReadError("unexpected '}'")
            stack.pop()
    if args or len(stack) != 1:
        raise ReadError("unexpected end of file")
    return stack[0]


# ---------------------------------------------------------------------------------------------
# Apache


def _apache_words(line: str) -> List[str]:
    words, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        quote = line[i]
        if quote in "\"'":
            i += 1
            out = []
            while i < n and line[i] != quote:
                if line[i] == "\\" and i + 1 < n and line[i + 1] in (quote, "\\"):
                    out.append(line[i + 1])
                    i += 2
                    continue
                out.append(line[i])
                i += 1
            i += 1
            words.append("".join(out))
        else:
            start = i
            while i < n and line[i] not in " \t":
                i += 1
            words.append(line[start:i])
    return words


def apache_tree(text: str) -> List[Tuple[str, ...]]:
    """The directive lines of an Apache configuration, each as its words."""
    out: List[Tuple[str, ...]] = []
    pending = ""
    for raw in text.split("\n"):
        line = pending + raw
        pending = ""
        stripped = line.rstrip(" \t")
        if stripped.endswith("\\"):
            pending = stripped[:-1]
            continue
        line = stripped.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        out.append(tuple(_apache_words(line)))
    if pending:
        raise ReadError("the file ends with a continued line")
    return out


# ---------------------------------------------------------------------------------------------
# systemd-style files


def ini_tree(text: str) -> List[Tuple[str, str, str]]:
    """(section, key, value) of each setting, as systemd's parser reads them."""
    out = []
    section = ""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line[0] in "#;":
            continue
        while line.endswith("\\"):
            if i >= len(lines):
                raise ReadError("the file ends with a continued line")
            line = line[:-1] + " " + lines[i].strip()
            i += 1
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if "=" not in line:
            raise ReadError(f"missing '=' in {line!r}")
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v", "s": " "}


def unit_words(value: str) -> List[str]:
    """The words of a unit's command line after systemd unquotes them, with %% and $$."""
    words, i, n = [], 0, len(value)
    while i < n:
        while i < n and value[i] in " \t":
            i += 1
        if i >= n:
            break
        out = []
        quote = None
        while i < n:
            c = value[i]
            if quote is None and c in " \t":
                break
            if c == "\\" and i + 1 < n:
                out.append(_C_ESCAPES.get(value[i + 1], value[i + 1]))
                i += 2
                continue
            if quote is None and c in "\"'":
                quote = c
            elif c == quote:
                quote = None
            else:
                out.append(c)
            i += 1
        if quote is not None:
            raise ReadError("unterminated quote")
        words.append("".join(out).replace("%%", "%").replace("$$", "$"))
    return words


# ---------------------------------------------------------------------------------------------
# cron


def crontab_jobs(text: str) -> List[Tuple]:
    """(schedule, user, argv) of each job line of a cron.d file, and ("env", line) of each
    variable; the command split as /bin/sh would, after cron's own '%' handling."""
    out: List[Tuple] = []
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        first = line.split(None, 1)[0]
        if "=" in first and not first[0].isdigit() and first[0] not in "*@":
            out.append(("env", line))
            continue
        parts = line.split(None, 1 if line.startswith("@") else 5)
        schedule = parts[:-1]
        user, _, command = parts[-1].partition(" ")
        # cron: an unescaped % ends the command (the rest is its stdin).
        plain, escaped = [], False
        for c in command:
            if escaped:
                plain.append(c if c == "%" else "\\" + c)
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == "%":
                raise ReadError("an unescaped '%' cuts the command")
            else:
                plain.append(c)
        out.append((tuple(schedule), user, tuple(shlex.split("".join(plain)))))
    return out
