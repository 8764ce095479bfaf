"""The spec names of the deploy layer: `deploy-machine` and `roll-back-machine`, which a
user-defined environment type's own procedures call on the managed-host machine they
delegate to (the pattern of Guix's DigitalOcean environment)."""

from __future__ import annotations

from lispdeploy.deploy.deployment import deploy_machine
from lispdeploy.vocabulary import Vocabulary


def _roll_back_machine(machine):
    """`(roll-back-machine machine)`."""
    return deploy_machine(machine, roll_back=True)


SPEC_VOCABULARY = (Vocabulary(values={
    "deploy-machine": deploy_machine,
    "roll-back-machine": _roll_back_machine,
}),)
