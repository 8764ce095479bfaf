"""Guix's package variables, by module (data/guix-packages.txt.gz, generated from a Guix
checkout by tools/guix-names.py): to tell a Guix package the table of `guix_packages` lacks
from a name Guix does not have. Read only when a spec names such a package."""

from __future__ import annotations

import functools
import gzip
import os
from typing import Dict

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "guix-packages.txt.gz")


@functools.lru_cache(maxsize=None)
def package_modules() -> Dict[str, str]:
    """Guix package variable -> its (gnu packages ...) module ("gnu packages ssh")."""
    out: Dict[str, str] = {}
    with gzip.open(_DATA, "rt", encoding="utf-8") as f:
        for line in f:
            module, _, names = line.rstrip("\n").partition("\t")
            for name in names.split():
                out.setdefault(name, module)
    return out


def is_guix_package(name: str) -> bool:
    """Whether Guix has a package variable `name`."""
    return name in package_modules()
