"""The spec names of the deploy layer: `deploy-machine` and `roll-back-machine`, which a
user-defined environment type's own procedures call on the managed-host machine they
delegate to (the pattern of Guix's DigitalOcean environment)."""

from __future__ import annotations

from lispdeploy.vocabulary import Vocabulary


def _deploy_machine(machine):
    """`(deploy-machine machine)`."""
    # Imported here: loading a spec must not pay for the deploy machinery.
    from lispdeploy.deploy.deployment import deploy_machine
    return deploy_machine(machine)


def _roll_back_machine(machine):
    """`(roll-back-machine machine)`."""
    from lispdeploy.deploy.deployment import deploy_machine
    return deploy_machine(machine, roll_back=True)


SPEC_VOCABULARY = (Vocabulary(values={
    "deploy-machine": _deploy_machine,
    "roll-back-machine": _roll_back_machine,
}),)
