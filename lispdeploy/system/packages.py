"""Packages: names the host's package manager installs (`specification->package`).
"""

from __future__ import annotations

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds


class Package(Record):
    """A package of the host's distribution, by name, with an optional version."""

    record_name = "package"
    fields = (
        Field("name", check=kinds.package_name,
              doc="the distribution's package name, e.g. \"vim\""),
        Field("version", None, check=checks.optional(kinds.package_version,
                                                     "a version string"),
              doc="a version to pin, or #f for the distribution's current one"),
    )



def specification_to_package(spec: str, *, location=None) -> Package:
    """`(specification->package "vim")` or `"vim@2:9.0"`: a package by name and version."""
    if not isinstance(spec, str):
        raise SpecError("specification->package: expects a string such as \"vim\"",
                        location=location)
    name, _, version = str(spec).partition("@")
    return Package(name=name, version=version or None, location=location)


def package_check(value):
    """A package record, or a package name given as a string."""
    if isinstance(value, Package):
        return value
    if isinstance(value, str):
        return specification_to_package(value)
    raise TypeError("a package (a name string or (specification->package \"name\"))")


BASE_PACKAGES = (Package(name="sudo"), Package(name="locales"))
