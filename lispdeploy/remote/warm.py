"""Importing the SSH transport (paramiko and its cryptography: 0.1-0.15 s) in the background,
while the command loads and builds the spec, so that the first host's connection does not
wait for it with every other host's worker behind it on the import lock.

Imports nothing of lispdeploy at module level.
"""

from __future__ import annotations

import importlib
import threading

_started = threading.Lock()
_thread = None


def import_ssh_in_background() -> None:
    """Start importing `lispdeploy.remote.ssh` in a thread (once per process). A failed
    import is left for the real import to report."""
    global _thread
    with _started:
        if _thread is not None:
            return
        # Not a daemon: a command that ends early (a spec error) waits the ~0.1 s the import
        # has left; a daemon thread cut off inside cryptography's extension at exit aborts
        # the process ("FATAL: exception not rethrown", SIGABRT) after the error was shown.
        _thread = threading.Thread(target=_import, name="lispdeploy-import-ssh")
        _thread.start()


def _import() -> None:
    try:
        importlib.import_module("lispdeploy.remote.ssh")
    except Exception:  # reported where it is really needed, with its own message
        pass
