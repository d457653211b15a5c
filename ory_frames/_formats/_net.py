"""The ``ipv4`` and ``ipv6`` formats as Kratos checks them, and Go's IP address reader.

``formats.go`` has its own ``ipv4`` check: four dot-separated fields, each read by Go's
``strconv.Atoi`` (ASCII digits with an optional sign, any number of leading zeros) and between 0 and
255, so ``-0``, ``+1`` and ``007`` pass. ``ipv6`` needs a colon and Go's ``net.ParseIP``, which reads with
``net/netip.ParseAddr`` and refuses a zone (``%eth0``).
"""

from __future__ import annotations

import re

_ATOI = re.compile(r"[+-]?[0-9]+")
_HEX = frozenset("0123456789abcdefABCDEF")


def is_ipv4(value: str) -> bool:
    fields = value.split(".")
    return len(fields) == 4 and all(_ATOI.fullmatch(f) is not None and 0 <= int(f) <= 255 for f in fields)


def _ipv4_fields(text: str) -> bool:
    """``netip`` dotted quad: four decimal fields of 0 to 255, no leading zero, nothing else."""
    fields = text.split(".")
    return len(fields) == 4 and all(
        f.isascii() and f.isdigit() and (f == "0" or not f.startswith("0")) and int(f) <= 255 for f in fields
    )


def _ipv6_body(text: str) -> bool:
    """An IPv6 address without zone, per ``netip``'s parseIPv6."""
    groups = 0  # 16-bit groups read so far (an embedded IPv4 counts as two)
    ellipsis = False
    rest = text
    if rest.startswith("::"):
        ellipsis, rest = True, rest[2:]
        if not rest:
            return True
    while groups < 8:
        width = 0
        while width < len(rest) and rest[width] in _HEX:
            width += 1
            if width > 4:
                return False
        if width == 0:
            return False
        if width < len(rest) and rest[width] == ".":
            if (not ellipsis and groups != 6) or groups > 6:
                return False
            if not _ipv4_fields(rest):
                return False
            groups, rest = groups + 2, ""
            break
        groups += 1
        rest = rest[width:]
        if not rest:
            break
        if rest[0] != ":" or len(rest) == 1:
            return False
        rest = rest[1:]
        if rest[0] == ":":
            if ellipsis:
                return False
            ellipsis, rest = True, rest[1:]
            if not rest:
                break
    if rest:
        return False
    # Without "::" all eight groups are needed; with it, "::" must stand for at least one.
    return groups < 8 if ellipsis else groups == 8


def parse_addr(value: str) -> str | None:
    """What ``netip.ParseAddr`` makes of ``value``: ``"4"``, ``"6"``, ``"6%"`` (with a zone) or None.

    The first ``.`` or ``:`` decides between IPv4 and IPv6; a ``%`` before either is refused.
    """
    for ch in value:
        if ch == ".":
            return "4" if _ipv4_fields(value) else None
        if ch == ":":
            body, percent, zone = value.partition("%")
            if percent and not zone:
                return None
            if not _ipv6_body(body):
                return None
            return "6%" if percent else "6"
        if ch == "%":
            return None
    return None


def is_ipv6(value: str) -> bool:
    return ":" in value and parse_addr(value) == "6"
