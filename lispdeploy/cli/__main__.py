"""`python -m lispdeploy.cli`: the same as the `lispdeploy` script."""

from lispdeploy.cli import run

run()
