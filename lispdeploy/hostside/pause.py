"""Named points where host code can be held, so that tests interrupt a deploy at an exact
moment (kill the controller, cut the connection, stop the host) with the real fault.

Inert in normal use: `point(name)` costs one `stat` of a directory that does not exist. A test
creates `/var/lib/lispdeploy/test-points/` on a host and, in it:

    trace      (an empty file) every point reached appends its name and the process's pid
    pause-at   a point's name: the first process to reach it renames `pause-at` to `paused`
               (so one process pauses, once, and a host booted again pauses nowhere), writes
               its name and pid there, and waits while `paused` exists; deleting `paused`
               lets it go on

Points are named by what comes next: `probe`, `receive <item name>`, `activate`, `journal`,
`switched`, `before <action> <kind> <name>`, `after ...`, `converged`, `armed`, `answered`,
`confirm`, ... (docs/safety.md lists them). Standard library only.
"""

import os
import time

from lispdeploy.hostside.hoststate import ROOT

DIRECTORY = os.path.join(ROOT, "test-points")
TRACE = os.path.join(DIRECTORY, "trace")
PAUSE_AT = os.path.join(DIRECTORY, "pause-at")
PAUSED = os.path.join(DIRECTORY, "paused")
POLL_SECONDS = 0.05
_let_go = False


def let_go():
    """Stop waiting at a pause point (the host is shutting down: see hostside.journal)."""
    global _let_go
    _let_go = True


def point(name):
    """Mark that the code reached point `name` (see the module docstring)."""
    if not os.path.isdir(DIRECTORY):
        return
    name = " ".join(str(name).split())
    if os.path.exists(TRACE):
        try:
            with open(TRACE, "a", encoding="utf-8") as f:
                f.write("{}\t{}\n".format(os.getpid(), name))
        except OSError:
            pass
    try:
        with open(PAUSE_AT, encoding="utf-8") as f:
            wanted = f.read().strip()
    except OSError:
        return
    if wanted != name:
        return
    try:
        os.rename(PAUSE_AT, PAUSED)
    except OSError:
        return  # another process took this pause
    with open(PAUSED, "w", encoding="utf-8") as f:
        f.write("{}\t{}\n".format(os.getpid(), name))
    while os.path.exists(PAUSED) and not _let_go:
        time.sleep(POLL_SECONDS)
