"""Which webhook addresses Mina may call.

A webhook makes the server send requests where a workspace admin says: pointed at the
server's own network (a database, a cloud metadata service on 169.254.169.254) that is
a way in. So the name is resolved and every address it gives must be public, both when
the endpoint is registered and again before each delivery (a name can change what it
resolves to); the delivery then connects to the address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    parts: SplitResult
    address: str  # the checked IP address to connect to

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the name (the Host header and TLS
        still use the name)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{host}:{self.parts.port}" if self.parts.port else host
        return self.parts._replace(netloc=netloc).geturl()


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def check(url: str, *, allow_private: bool) -> Target:
    """The address to deliver to, or Refused with a message for the person who typed it."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise Refused("Use an https:// address.")
    if not parts.hostname:
        raise Refused("The address has no host name.")
    if parts.username or parts.password:
        raise Refused("Put no user name or password in the address; Mina signs each request instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("The address has an invalid port.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"The host name {parts.hostname} could not be resolved.") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not allow_private:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address)):
                raise Refused(
                    f"{parts.hostname} resolves to {address}, a private, loopback or link-local address; "
                    "Mina only calls public addresses."
                )
    return Target(parts=parts, address=addresses[0])
