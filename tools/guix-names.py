#!/usr/bin/env python3
"""Regenerate lispdeploy's tables of Guix's names from a Guix checkout.

    python3 tools/guix-names.py GUIX_GIT_DIR [REVISION]

Reads, at REVISION (default master), every module under gnu/ and guix/ and writes:

  lispdeploy/spec/data/guix-modules.txt     one module name per line: "gnu services docker"
  lispdeploy/spec/data/guix-exports.txt     "NAME<TAB>MODULE" for the public names of Guix's
                                            service, system, machine and bootloader modules
  lispdeploy/system/data/guix-packages.txt.gz "MODULE<TAB>VAR VAR ..." for the package
                                            variables of each (gnu packages ...) module

Only names are taken (the facts a user's file refers to), never code. The spec layer reads
these files when a spec names something lispdeploy does not provide, to say where in Guix it
comes from.
"""

import gzip
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "lispdeploy", "spec", "data")

_TOKEN = re.compile(r'''\s+|;[^\n]*|"(?:\\.|[^"\\])*"|#\\.[^\s()]*|[()]|'|[^\s()';"]+''', re.S)


def read_forms(text, limit=None):
    """Top-level S-expressions of `text` as nested lists of atoms (strings)."""
    stack = [[]]
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok.isspace() or tok.startswith(";"):
            continue
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                continue
            done = stack.pop()
            stack[-1].append(done)
            if len(stack) == 1 and limit and len(stack[0]) >= limit:
                break
        else:
            stack[-1].append(tok)
    return stack[0]


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True,
                          capture_output=True).stdout


def module_info(text):
    """(module name, exported names) from a file's define-module and define-public forms."""
    name, exports = None, []
    start = text.find("(define-module")
    if start >= 0:
        form = read_forms(text[start:], limit=1)[0]
        if isinstance(form[1], list):
            name = " ".join(form[1])
        rest = form[2:]
        for key, value in zip(rest, rest[1:]):
            if key in ("#:export", "#:re-export", "#:replace") and isinstance(value, list):
                for item in value:
                    # (old . new) renamings export `new`.
                    exports.append(item[-1] if isinstance(item, list) else item)
    exports += re.findall(r"^\(define-public\*? \(?([^\s()]+)", text, re.M)
    exports += re.findall(r"^\(define-syntax-public \(?([^\s()]+)", text, re.M)
    return name, [e for e in exports if not e.startswith("#")]


def main():
    gitdir = sys.argv[1]
    revision = sys.argv[2] if len(sys.argv) > 2 else "master"
    paths = git(gitdir, "ls-tree", "-r", "--name-only", revision, "gnu", "guix", "gnu.scm",
                "guix.scm").decode()
    files = [p for p in paths.split("\n") if p.endswith(".scm")
             and not p.startswith(("gnu/tests/", "guix/tests/"))]
    modules, exports, packages = set(), {}, {}
    for path in files:
        try:
            text = git(gitdir, "show", f"{revision}:{path}").decode("utf-8", "replace")
        except subprocess.CalledProcessError:
            # Some large files are absent from partial mirrors; their module name still counts.
            modules.add(" ".join(path[:-4].split("/")))
            continue
        name, names = module_info(text)
        name = name or " ".join(path[:-4].split("/"))
        modules.add(name)
        if name.startswith("gnu packages"):
            packages[name] = sorted(set(names))
        elif name.startswith(("gnu services", "gnu system", "gnu machine", "gnu bootloader",
                              "gnu home")) or name in (
                "gnu", "guix gexp", "guix channels", "guix records", "guix utils",
                "guix packages", "guix download", "guix git-download", "guix profiles",
                "guix build utils", "guix modules"):
            for n in names:
                exports.setdefault(n, name)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "guix-modules.txt"), "w") as f:
        f.write("".join(m + "\n" for m in sorted(modules)))
    with open(os.path.join(OUT, "guix-exports.txt"), "w") as f:
        f.write("".join(f"{n}\t{m}\n" for n, m in sorted(exports.items())))
    packages_out = os.path.join(OUT, "..", "..", "system", "data", "guix-packages.txt.gz")
    with gzip.open(packages_out, "wt", compresslevel=9) as f:
        f.write("".join(f"{m}\t{' '.join(v)}\n" for m, v in sorted(packages.items())))
    print(f"{len(modules)} modules, {len(exports)} exports, "
          f"{sum(map(len, packages.values()))} package variables")


if __name__ == "__main__":
    main()
