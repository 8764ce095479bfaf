"""`python -m lispdeploy`: the same as the `lispdeploy` command."""

from lispdeploy.cli import run

run()
