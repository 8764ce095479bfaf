"""Mapped devices during activation: the executor of the planner's `mapping open` change. A
LUKS device is an /etc/crypttab line (written by the files step), which systemd's crypttab
generator turns into a systemd-cryptsetup@ unit: a device with a key file is opened now by
starting that unit, so that what lives on it is there without a reboot; the unit reads the
same line at every boot. Standard library only."""

from __future__ import annotations

import os
from typing import Any, Dict

from lispdeploy.hostside.commands import CommandError, run
from lispdeploy.hostside.plan import MAPPER_DIR
from lispdeploy.hostside.units import UnitError, daemon_reload, journal_tail

OPEN_TIMEOUT = 180


def open_device(args: Dict[str, Any], context) -> None:
    """Open the device as /dev/mapper/TARGET (nothing to do when it is open already)."""
    if os.path.exists(os.path.join(MAPPER_DIR, args["target"])):
        return
    # The generator makes the unit from the crypttab line the files step wrote.
    daemon_reload()
    unit = args["unit"]
    try:
        run(["systemctl", "start", unit], timeout=OPEN_TIMEOUT)
    except CommandError:
        raise UnitError(unit, "failed to start", journal_tail(unit)) from None


EXECUTORS = {
    ("mapping", "open"): open_device,
}
