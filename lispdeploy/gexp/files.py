"""File-like objects: things that become files in a host's store when a g-expression or a
service refers to them (`plain-file`, `local-file`, `mixed-text-file`, `computed-file`,
`program-file`, `file-append`), and `secret-file`, the one that never does: its content is
read on the controller when a deploy needs it and goes straight to its destination.
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


SECRET_TIMEOUT = 60.0


class SecretFile(FileLike):
    """A secret: content read on the controller at deploy time, from a file or a command's
    output (`pass show db/app`), and written on the host only at its destination, with its
    owner and mode. It never becomes a store item, so it is in no manifest, diff or cache.
    Usable as an /etc file's content only."""

    record_name = "secret-file"
    fields = (Field("name", check=store_name, doc="a name for messages"),
              Field("file", None, check=checks.optional(checks.string),
                    doc="a file of the controller holding the secret"),
              Field("command", None, check=checks.optional(checks.list_of(
                  checks.string, "strings")), doc="a command printing the secret"))

    def _validate(self):
        if (self.file is None) == (self.command is None):
            raise SpecError(f"secret-file '{self.name}': give either #:file or #:command",
                            location=self.location,
                            hint="(secret-file \"db-password\" #:file \"secrets/db\") or "
                                 "(secret-file \"db-password\" #:command '(\"pass\" \"show\" "
                                 "\"db\"))")
        if self.command is not None and (not self.command or any(
                "\x00" in word for word in self.command)):
            raise SpecError(f"secret-file '{self.name}': #:command must be a program and its "
                            "arguments", location=self.location)

    def read(self) -> bytes:
        """The secret's content, read now (never stored); a located error if it cannot be."""
        import subprocess
        if self.file is not None:
            try:
                with open(self.file, "rb") as f:
                    return f.read()
            except OSError as e:
                raise SpecError(f"secret-file '{self.name}': cannot read {self.file}: "
                                f"{e.strerror}", location=self.location) from None
        try:
            done = subprocess.run(list(self.command), capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=SECRET_TIMEOUT)
        except OSError as e:
            raise SpecError(f"secret-file '{self.name}': cannot run {self.command[0]}: "
                            f"{e.strerror}", location=self.location) from None
        except subprocess.TimeoutExpired:
            raise SpecError(f"secret-file '{self.name}': {self.command[0]} did not finish "
                            f"within {SECRET_TIMEOUT:.0f} s", location=self.location) from None
        if done.returncode != 0:
            # Its error output says why (a locked password store, a missing entry); it is
            # not the secret, which goes to stdout.
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise SpecError(f"secret-file '{self.name}': {' '.join(self.command)} failed "
                            f"(exit status {done.returncode})"
                            + (": " + " ".join(tail) if tail else ""),
                            location=self.location)
        return done.stdout


def secret_file(name, *, file=None, command=None, location=None, base_directory=None):
    """`(secret-file NAME #:file PATH)` or `(secret-file NAME #:command '("pass" "show" X))`;
    a relative PATH is resolved against the spec's directory."""
    if isinstance(file, str) and not os.path.isabs(file):
        base = base_directory or (os.path.dirname(os.path.abspath(location.file))
                                  if location is not None and location.file else os.getcwd())
        file = os.path.normpath(os.path.join(base, file))
    return SecretFile(name=name, file=file, command=command, location=location)


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
