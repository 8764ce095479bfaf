"""Fixtures shared by the whole test suite. Keep this file a list of imports: each group of
fixtures lives in its own module next to it, so that engineers adding fixtures do not collide.

tests/ has no __init__.py, so pytest puts this directory on sys.path and its modules import
by their bare names.
"""

from fleet import container_fleet, fleet, shared_fleet  # noqa: F401  (container hosts)
from pebble import pebble  # noqa: F401  (an ACME server on loopback)
from apt_repository import apt_repository  # noqa: F401  (a signed apt repository)
