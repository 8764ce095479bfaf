"""File-like objects: things that become files in a host's store when a g-expression or a
service refers to them (`plain-file`, `local-file`, `mixed-text-file`, `computed-file`,
`program-file`, `file-append`).
"""

from __future__ import annotations

import os
import re

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.gexp.gexp import Gexp, gexp_check
from lispdeploy.records import Field, Record

_STORE_NAME = re.compile(r"^[A-Za-z0-9+_?=.-][A-Za-z0-9+_?=.-]*$")


def store_name(value):
    """A name for a store item: letters, digits and `+-._?=`, not starting with a dot."""
    name = checks.string(value)
    if not _STORE_NAME.match(name) or name.startswith(".") or len(name) > 200:
        raise TypeError("a file name made of letters, digits and '+-._?=' (no '/')")
    return name


class FileLike(Record):
    """Base of everything that lowers to a file in the store."""

    record_name = "file-like"


def file_like_check(value):
    """A file-like object (plain-file, local-file, ...)."""
    if isinstance(value, FileLike):
        return value
    raise TypeError("a file-like object such as (plain-file \"name\" \"content\")")


def _content(value):
    if isinstance(value, bytes):
        return bytes(value)
    return checks.string(value)


class PlainFile(FileLike):
    """A file with the given content: `(plain-file "name" "content")`."""

    record_name = "plain-file"
    fields = (Field("name", check=store_name),
              Field("content", check=checks.either(_content, what="a string or bytes")))


class LocalFile(FileLike):
    """A file (or directory, with #:recursive? #t) of the controller, copied to the store.
    A relative name is resolved against the directory of the spec that names it."""

    record_name = "local-file"
    fields = (Field("file", check=checks.string, doc="absolute path on the controller"),
              Field("name", check=store_name),
              Field("recursive", False, check=checks.boolean, spec_name="recursive?"))

    def _validate(self):
        if not os.path.exists(self.file):
            raise SpecError(f"local-file: '{self.file}' does not exist", location=self.location,
                            hint="a relative name is resolved against the spec file's directory")
        if os.path.isdir(self.file) and not self.recursive:
            raise SpecError(f"local-file: '{self.file}' is a directory", location=self.location,
                            hint="add #:recursive? #t to copy a directory")


def local_file(file, name=None, *, recursive=False, location=None, base_directory=None):
    """`(local-file FILE [NAME] #:recursive? BOOL)`, FILE relative to `base_directory`."""
    file = checks.string(file) if isinstance(file, str) else file
    if not isinstance(file, str):
        raise SpecError("local-file: expects a file name string", location=location)
    if not os.path.isabs(file):
        base = base_directory or (os.path.dirname(os.path.abspath(location.file))
                                  if location is not None and location.file else os.getcwd())
        file = os.path.join(base, file)
    file = os.path.normpath(file)
    if name is None:
        name = os.path.basename(file)
    return LocalFile(file=file, name=name, recursive=recursive, location=location)


class MixedTextFile(FileLike):
    """A text file concatenating strings and the store paths of file-like objects."""

    record_name = "mixed-text-file"
    fields = (Field("name", check=store_name),
              Field("texts", (), check=checks.list_of(
                  checks.either(checks.string, file_like_check, what=""),
                  "strings and file-like objects")))


class ComputedFile(FileLike):
    """A file produced by running a g-expression that writes the path in `output`
    (`#$output` in Guix)."""

    record_name = "computed-file"
    fields = (Field("name", check=store_name),
              Field("gexp", check=gexp_check),
              Field("local_build", True, check=checks.boolean, spec_name="local-build?"),
              Field("options", (), check=checks.anything))


class ProgramFile(FileLike):
    """An executable Python program made from a g-expression."""

    record_name = "program-file"
    fields = (Field("name", check=store_name),
              Field("gexp", check=gexp_check))


class FileAppend(FileLike):
    """The store path of `base` followed by `suffix`: `(file-append obj "/bin/x")`."""

    record_name = "file-append"
    fields = (Field("base", check=file_like_check),
              Field("suffix", "", check=checks.string))


def mixed_text_file(name, *texts, location=None):
    """`(mixed-text-file NAME TEXT ...)`."""
    return MixedTextFile(name=name, texts=texts, location=location)


def plain_file(name, content, *, location=None):
    """`(plain-file NAME CONTENT)`."""
    return PlainFile(name=name, content=content, location=location)


def computed_file(name, gexp: Gexp, *, local_build=True, options=(), location=None):
    """`(computed-file NAME GEXP)`."""
    return ComputedFile(name=name, gexp=gexp, local_build=local_build, options=options,
                        location=location)


def program_file(name, gexp: Gexp, *, location=None):
    """`(program-file NAME GEXP)`."""
    return ProgramFile(name=name, gexp=gexp, location=location)


def file_append(base, *suffixes, location=None):
    """`(file-append OBJ SUFFIX ...)`; of a package, the file's path on the host (the
    package record says where: `(file-append zsh "/bin/zsh")` is /usr/bin/zsh)."""
    installed_path = getattr(base, "installed_path", None)
    if installed_path is not None:
        return installed_path("".join(suffixes))
    return FileAppend(base=base, suffix="".join(suffixes), location=location)
