"""The deploy options every environment's configuration shares, in one place: `system` (the
host's architecture, checked against the host), `safety-checks?` and `allow-downgrades?`.

Each configuration record adds `fields(...)` to its own; an environment that reaches its hosts
through a managed-host machine passes them on with `carried(config)`, so that what a spec
says in a container's or a droplet's configuration is what the deploy checks.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from lispdeploy import checks
from lispdeploy.records import MISSING, Field, did_you_mean

SYSTEMS = ("x86_64-linux", "i686-linux", "aarch64-linux", "armhf-linux", "powerpc64le-linux",
           "riscv64-linux", "mips64el-linux", "powerpc-linux", "i586-gnu", "x86_64-gnu")

# What `uname -m` says on a host of each system type.
MACHINE_ARCHITECTURES = {
    "x86_64-linux": ("x86_64",), "i686-linux": ("i686", "i586", "i386"),
    "aarch64-linux": ("aarch64", "arm64"), "armhf-linux": ("armv7l", "armv8l", "armv6l"),
    "powerpc64le-linux": ("ppc64le",), "riscv64-linux": ("riscv64",),
    "mips64el-linux": ("mips64",), "powerpc-linux": ("ppc",),
}

NAMES = ("system", "safety_checks", "allow_downgrades")


def system_type(value: Any) -> str:
    """A system type Guix knows ("x86_64-linux", ...)."""
    name = checks.string(value)
    if name not in SYSTEMS:
        hint = did_you_mean(name, SYSTEMS)
        raise TypeError(f"a known system type ({', '.join(SYSTEMS[:4])}, ...)"
                        + (f"; {hint}" if hint else ""))
    return name


def fields(system: Any = "x86_64-linux") -> Tuple[Field, ...]:
    """The shared fields; `system` is its default (MISSING: required, as Guix's
    machine-ssh-configuration has it)."""
    return (
        Field("system", system, check=system_type,
              doc="the host's system type, checked against the host's architecture"),
        Field("allow_downgrades", False, check=checks.boolean, spec_name="allow-downgrades?",
              doc="only warn when the spec's commit is not a descendant of the host's"),
        Field("safety_checks", True, check=checks.boolean, spec_name="safety-checks?",
              doc="check the declared file systems and bootloader targets on the host"),
    )


REQUIRED_SYSTEM = MISSING


def carried(config: Any) -> Dict[str, Any]:
    """The shared options of a configuration, as keyword arguments for the
    machine-ssh-configuration that reaches its host."""
    return {name: getattr(config, name) for name in NAMES}
