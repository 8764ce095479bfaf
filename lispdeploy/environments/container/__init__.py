"""Container hosts: local systemd machines booted with systemd-nspawn on an overlay of `/`.

`ContainerEngine` creates, boots, stops and destroys them; `ContainerInfo` says how to reach
one over SSH. See docs/environments.md ("Container hosts").

Must not import paramiko, Hy, or any layer above `environments`.
"""

from lispdeploy.environments.container.engine import DEFAULT_STATE_DIR, ContainerEngine
from lispdeploy.environments.container.info import ContainerInfo, console_tail
from lispdeploy.environments.container.requirements import find_program, require_root
from lispdeploy.environments.container.state import FileSystemMapping, UnknownContainerError

__all__ = ["DEFAULT_STATE_DIR", "ContainerEngine", "ContainerInfo", "FileSystemMapping",
           "UnknownContainerError", "console_tail", "find_program", "require_root"]
