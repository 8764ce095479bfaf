#!/bin/sh
# Raise the kernel limits that container hosts share with this machine (inotify instances and
# watches, tasks) so that N more hosts can boot: `sh tools/raise-container-limits.sh N`, as
# root. Only raises, never lowers; prints what it changed. `make test` and `make bench` run it
# for the hosts they boot. See docs/environments.md ("Kernel limits").
set -e
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" -m lispdeploy.environments.container.limits --raise "${1:-32}"
