"""What host code prints for people (streamed to the controller, shown with -v): best effort.
Nobody may be listening any more (the controller was killed, the connection lost: writing then
fails with EPIPE, SIGPIPE being ignored), and that must never change what an activation does.
Standard library only."""

import sys


def say(text):
    """Print a line on stderr if anyone can still read it; never raise."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
