"""Packages: names the host's package manager installs (`specification->package`).
"""

from __future__ import annotations

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.system import guix_packages


class Package(Record):
    """A package of the host's distribution, by name, with an optional version."""

    record_name = "package"
    fields = (
        Field("name", check=kinds.package_name,
              doc="the distribution's package name, e.g. \"vim\""),
        Field("version", None, check=checks.optional(kinds.package_version,
                                                     "a version string"),
              doc="a version to pin, or #f for the distribution's current one"),
        Field("guix_name", None, check=checks.optional(checks.string),
              doc="the Guix package this one stands for (`nss-certs`), or #f"),
    )

    def installed_path(self, suffix: str) -> "PackagePath":
        """Where `(file-append PACKAGE SUFFIX)` is on a Debian host: Guix's `/bin/x`,
        `/sbin/x`, `/lib/x`, `/share/x` are under /usr; `/etc/x` is /etc/x."""
        if suffix.startswith("/etc/") or suffix == "/etc":
            path = suffix
        elif suffix.startswith("/usr/"):
            path = suffix
        else:
            path = "/usr" + (suffix if suffix.startswith("/") else "/" + suffix)
        return PackagePath(path, self)


class PackagePath(str):
    """A file of a package, `(file-append zsh "/bin/zsh")`: a path on the host, which also
    names the package that provides it (a login shell's package is installed with it)."""

    __slots__ = ("package",)

    def __new__(cls, path: str, package: Package):
        self = str.__new__(cls, path)
        self.package = package
        return self


def _parse_specification(spec: str):
    name, _, output = str(spec).partition(":")
    name, _, version = name.partition("@")
    return name, version or None, output or "out"


def specification_to_package(spec: str, *, location=None) -> Package:
    """`(specification->package "nss-certs")`, `"vim@2:9.0"`, `"bind:utils"`: the Debian
    package lispdeploy's table maps the Guix package (and output) to. A name Guix does not
    have is a Debian package's own name (`"postgresql-client"`), unless it is a near miss of
    a Guix name (`"openssh-sans-xx"`); a Guix package the table lacks is an error."""
    if not isinstance(spec, str):
        raise SpecError("specification->package: expects a string such as \"vim\"",
                        location=location)
    name, version, output = _parse_specification(spec)
    debian = guix_packages.debian_name(name, output)
    if debian is not None:
        return Package(name=debian, version=version, guix_name=name, location=location)
    if output == "out" and not _is_guix_package(name) and _near_miss(name) is None:
        return Package(name=name, version=version, location=location)
    message, hint = _unknown(name, output)
    raise SpecError(message, location=location, hint=hint)


def _is_guix_package(name: str) -> bool:
    from lispdeploy.system.guix_names import is_guix_package
    return is_guix_package(name)


def _near_miss(name: str):
    """The table's Guix name `name` is almost certainly a typo of, or None."""
    import difflib
    for candidate in difflib.get_close_matches(name, guix_packages.guix_names(), n=3,
                                               cutoff=0.92):
        if abs(len(candidate) - len(name)) <= 1:
            return candidate
    return None


def specification_to_package_output(spec: str, output: str = "out", *, location=None):
    """`(specification->package+output "bind:utils")`: the package and its output (two values);
    the package is already the output's Debian package."""
    if isinstance(spec, str) and ":" not in spec and output not in ("out", None, False):
        spec = f"{spec}:{output}"
    package = specification_to_package(spec, location=location)
    from lispdeploy.hostside.scheme import Values
    return Values((package, _parse_specification(spec)[2]))


def _unknown(name: str, output: str):
    from lispdeploy.records import did_you_mean
    if output != "out" and guix_packages.debian_name(name) is not None:
        return (f"specification->package: lispdeploy's package table has no Debian package "
                f"for output '{output}' of Guix's '{name}'",
                f"write the Debian package's name as a string, e.g. \"{name}\"")
    close = did_you_mean(name, guix_packages.guix_names())
    if _is_guix_package(name):
        return (f"specification->package: Guix's package '{name}' has no Debian counterpart in "
                "lispdeploy's package table", "a Debian package is named by a string in "
                f"packages, e.g. (cons \"NAME\" %base-packages), of a package the host's apt "
                "knows")
    return (f"specification->package: no Guix package '{name}' in lispdeploy's package table",
            (close + " " if close else "") + "a Debian package is named by a string in "
            "packages, e.g. (cons \"" + name + "\" %base-packages), of a package the host's "
            "apt knows")


def debian_package(name: str, *, location=None) -> Package:
    """A Debian package by its own name, `"vim"` or `"htop@3.2.2-2"` (checked against the
    host's apt when deploying)."""
    name, _, version = str(name).partition("@")
    return Package(name=name, version=version or None, location=location)


def package_check(value):
    """A package record, a Debian package name given as a string, or Guix's (PACKAGE OUTPUT)."""
    if isinstance(value, Package):
        return value
    if isinstance(value, str):
        return debian_package(value)
    if (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], Package)
            and isinstance(value[1], str)):
        package, output = value
        if output == "out" or package.guix_name is None:
            return package
        debian = guix_packages.debian_name(package.guix_name, output)
        if debian is None:
            raise TypeError(f"a package output lispdeploy knows ('{package.guix_name}' has no "
                            f"'{output}' in its table)")
        return Package(name=debian, version=package.version, guix_name=package.guix_name,
                       location=package.location)
    raise TypeError("a package (a Guix package such as nss-certs, a Debian name string, or "
                    "(specification->package \"name\"))")


def package_variables():
    """Every Guix package variable of the table, as the package record it stands for."""
    variables, _, _ = guix_packages.tables()
    return {guix: Package(name=debian, guix_name=guix) for guix, debian in variables.items()}


# As Guix's %base-packages, what a system's settings and accounts need: sudo, the locale
# generator, the time zone database (a minimal server may lack any of them).
BASE_PACKAGES = (Package(name="sudo"), Package(name="locales"), Package(name="tzdata"))
