"""Orchestration: running work on many hosts in parallel, the deploy's checks, deploying
systems and managing generations, and the reports of what happened. Prints nothing: progress
goes to a reporter the ui implements."""
