"""Container hosts: local systemd machines booted with systemd-nspawn on an overlay of `/`.

`ContainerEngine` creates, boots, stops and destroys them; `ContainerInfo` says how to reach
one over SSH. See docs/environments.md ("Container hosts").

Must not import paramiko, Hy, or any layer above `environments`.
"""

import importlib

# Loading a spec imports this package (for container-environment-type) but needs none of the
# engine: its names are imported on first use.
_EXPORTS = {
    "DEFAULT_STATE_DIR": "engine", "ContainerEngine": "engine", "ContainerInfo": "info",
    "console_tail": "info", "find_program": "requirements", "require_root": "requirements",
    "FileSystemMapping": "state", "UnknownContainerError": "state",
    "check_limits": "limits",
}


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["DEFAULT_STATE_DIR", "ContainerEngine", "ContainerInfo", "FileSystemMapping",
           "UnknownContainerError", "check_limits", "console_tail", "find_program",
           "require_root"]
