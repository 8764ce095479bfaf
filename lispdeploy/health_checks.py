"""`health-check`: what must hold on a host after its new generation is activated and before
it is confirmed (a lispdeploy extension of Guix's `machine`, its `health-checks` field).

A check is either a `command` run on the host (as root; exit status 0 passes) or a `url`
fetched from the controller (HTTP or HTTPS; the `status` expected, and a `body` substring if
given). Each attempt has a `timeout`; a failing check is tried again `retries` times,
`interval` seconds apart. In a URL, `{address}` stands for the address lispdeploy reaches the
host at (a container's loopback address, a droplet's public IPv4).
"""

from __future__ import annotations

import urllib.parse

from lispdeploy import checks
from lispdeploy.errors import RecordError
from lispdeploy.records import Field, Record


def _seconds(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return value
    raise TypeError("a number of seconds greater than 0")


def _natural(value):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise TypeError("an integer 0 or more")


def _url(value):
    text = checks.string(value)
    parts = urllib.parse.urlsplit(text.replace("{address}", "host"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TypeError('an http:// or https:// URL such as "http://{address}:8080/health"')
    return text


def _status(value):
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return int(value)
    raise TypeError("an HTTP status code (100-599)")


class HealthCheck(Record):
    """One check of a machine's health (see the module docstring)."""

    record_name = "health-check"
    fields = (
        Field("name", None, check=checks.optional(checks.string),
              doc="what the report calls the check; #f: its command or URL"),
        Field("command", None, check=checks.optional(
            checks.list_of(checks.string, "strings"), "a command as a list of strings"),
              doc="a command run on the host as root: exit status 0 passes"),
        Field("url", None, check=checks.optional(_url),
              doc="a URL fetched from the controller; {address} is the host's address"),
        Field("status", 200, check=_status, doc="the HTTP status a URL check expects"),
        Field("body", None, check=checks.optional(checks.string),
              doc="a text the answer's body must contain"),
        Field("timeout", 10, check=_seconds, doc="seconds one attempt may take"),
        Field("retries", 2, check=_natural, doc="attempts after a failed one"),
        Field("interval", 2, check=_seconds, doc="seconds between attempts"),
        Field("verify_tls", True, check=checks.boolean, spec_name="verify-tls?",
              doc="check an https URL's certificate"),
        Field("ca_certificate", None, check=checks.optional(checks.string),
              doc="a CA certificate file (on the controller) that https certificates chain to"),
    )

    def _validate(self):
        if (self.command is None) == (self.url is None):
            raise RecordError("health-check: give either a command or a url",
                              location=self.location,
                              hint="(health-check (command '(\"systemctl\" \"is-active\" "
                                   "\"nginx\"))) or (health-check (url \"http://{address}/\"))")
        if self.command is not None and not self.command:
            raise RecordError("health-check: the command is empty", location=self.location)

    @property
    def label(self) -> str:
        """The check as the report names it."""
        if self.name:
            return self.name
        return " ".join(self.command) if self.command is not None else str(self.url)
