"""Loopback addresses for container hosts: which are allowed, which are taken, the next free one.

Container hosts share the machine's network namespace, so each gets its own address in
127.0.0.0/8 and its sshd listens there on port 22. Listeners are read from /proc/net/tcp*,
never probed by connecting.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Iterable, Optional

from lispdeploy.errors import EnvironmentError_

LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
SSH_PORT = 22
# Allocation starts well above 127.0.0.1 and Debian's 127.0.1.1 (the machine's own host name).
FIRST_ALLOCATED = ipaddress.IPv4Address("127.0.10.1")
_LISTEN = "0A"
_ADDRESS_HINT = "use an address in 127.0.0.0/8 other than 127.0.0.1, e.g. 127.0.0.11"


def check_address(address: str) -> str:
    """Return `address` normalised if a container host may use it, else raise."""
    try:
        parsed = ipaddress.ip_address(str(address).strip())
    except ValueError:
        raise EnvironmentError_(f"{address!r} is not an IP address", hint=_ADDRESS_HINT) from None
    if not isinstance(parsed, ipaddress.IPv4Address) or parsed not in LOOPBACK:
        raise EnvironmentError_(
            f"container host address {address} is outside 127.0.0.0/8: container hosts share "
            "this machine's network and may only use loopback addresses", hint=_ADDRESS_HINT)
    if parsed == ipaddress.IPv4Address("127.0.0.1"):
        raise EnvironmentError_(
            "container host address 127.0.0.1 is this machine's own loopback address",
            hint=_ADDRESS_HINT)
    if parsed in (LOOPBACK.network_address, LOOPBACK.broadcast_address):
        raise EnvironmentError_(f"{address} is not a host address", hint=_ADDRESS_HINT)
    return str(parsed)


def _decode_ipv4(hex_address: str) -> str:
    # /proc/net/tcp prints the address as the in-memory 32-bit word, i.e. in host byte order.
    return socket.inet_ntoa(struct.pack("=I", int(hex_address, 16)))


def _decode_ipv6(hex_address: str) -> ipaddress.IPv6Address:
    words = [int(hex_address[i:i + 8], 16) for i in range(0, 32, 8)]
    return ipaddress.IPv6Address(struct.pack("=4I", *words))


def ssh_listeners(port: int = SSH_PORT, *, proc_net: str = "/proc/net") -> set:
    """IPv4 addresses with a TCP listener on `port`; "0.0.0.0" stands for any wildcard one."""
    found = set()
    for name, decode in (("tcp", _decode_ipv4), ("tcp6", _decode_ipv6)):
        try:
            with open(f"{proc_net}/{name}") as f:
                lines = f.readlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_address, hex_port = local.split(":")
            if state != _LISTEN or int(hex_port, 16) != port:
                continue
            address = decode(hex_address)
            if isinstance(address, ipaddress.IPv6Address):
                # A dual-stack wildcard or a v4-mapped listener also takes IPv4 addresses.
                if address.is_unspecified:
                    found.add("0.0.0.0")
                elif address.ipv4_mapped is not None:
                    found.add(str(address.ipv4_mapped))
                continue
            found.add(address)
    return found


def _refuse_wildcard(listeners: set) -> None:
    if "0.0.0.0" in listeners:
        raise EnvironmentError_(
            "something on this machine listens on port 22 of every address (0.0.0.0:22), so "
            "no container host's sshd can have its own address",
            hint="make that sshd listen on specific addresses only (ListenAddress), or stop it")


def check_not_listening(address: str, listeners: Optional[set] = None) -> None:
    """Raise if something already listens on port 22 of `address` (or of every address)."""
    listeners = ssh_listeners() if listeners is None else listeners
    _refuse_wildcard(listeners)
    if address in listeners:
        raise EnvironmentError_(
            f"address {address} is taken: something already listens on {address}:22",
            hint="choose another address, or leave it out to get a free one")


def allocate(taken: Iterable[str], listeners: Optional[set] = None) -> str:
    """The first address from 127.0.10.1 up that no container uses and nothing listens on."""
    listeners = ssh_listeners() if listeners is None else listeners
    _refuse_wildcard(listeners)
    unavailable = set(taken) | listeners
    candidate = int(FIRST_ALLOCATED)
    last = int(LOOPBACK.broadcast_address) - 1
    while candidate <= last:
        address = str(ipaddress.IPv4Address(candidate))
        # Addresses ending in .0 and .255 are valid in a /8 but look like network addresses.
        if not address.endswith((".0", ".255")) and address not in unavailable:
            return address
        candidate += 1
    raise EnvironmentError_("no free loopback address left for a container host",
                            hint="destroy container hosts you no longer need")
