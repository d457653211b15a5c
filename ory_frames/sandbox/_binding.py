"""Where the sandbox may listen: on loopback freely, elsewhere only with an API key or an explicit opt-out.

A sandbox can hold copied users with their password hashes, so an open admin API on the network must be a choice,
never an accident (docs/guides/security.md).
"""

from __future__ import annotations

import ipaddress
import socket


class UnsafeBindingError(ValueError):
    """Refused to serve the admin API without an API key on an interface other machines can reach."""


def _is_loopback_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone (`fe80::1%eth0`)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback address (127.0.0.0/8, ::1).

    A name is resolved; one that does not resolve, and the wildcard (`""`, `0.0.0.0`, `::`), are not loopback.
    """
    bare = host.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    if not bare:
        return False
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return _is_loopback_address(bare)
    try:
        infos = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(_is_loopback_address(a) for a in addresses)


def check_binding(host: str, *, api_key: str | None, insecure_no_api_key: bool) -> None:
    """Refuse a non-loopback `host` without an API key, unless `insecure_no_api_key` says the API is open on purpose.

    Raises
    ------
    UnsafeBindingError
        With one line saying why and what to pass instead.
    """
    if api_key or insecure_no_api_key or is_loopback(host):
        return
    raise UnsafeBindingError(
        f"refusing to serve the admin API on {host or 'every interface'} without an API key: anyone who can reach "
        "it could read and change every identity; set an API key (--api-key / api_key=...), or pass "
        "--insecure-no-api-key (insecure_no_api_key=True) to serve it open"
    )


def describe_interface(host: str) -> str:
    """How far `host` is reachable, for the banner: loopback only, every interface, or a network interface."""
    bare = host.strip().strip("[]")
    if bare in ("", "0.0.0.0", "::"):
        return f"{host or '*'} (every interface)"
    if is_loopback(host):
        return f"{host} (loopback only)"
    return f"{host} (reachable from the network)"
