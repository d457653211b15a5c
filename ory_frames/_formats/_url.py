"""The ``uri``, ``uri-reference`` and ``uri-template`` formats as Kratos checks them.

``formats.go`` asks Go's ``net/url.Parse`` (``net/url/url.go``): ``uri-reference`` is anything it
parses, ``uri`` needs a scheme as well, and ``uri-template`` additionally balances ``{}`` in each
segment of the raw path. Go's parser is far more lenient than RFC 3986: it mostly splits and checks
percent escapes. What it refuses:

- an ASCII control character before the ``#``;
- a value starting with ``:`` (a missing scheme);
- without a scheme, a first path segment containing ``:`` (``a:b`` would look like one);
- a ``%`` not followed by two hex digits, in the path, the fragment or the user info;
- a bad authority (after ``//``): user info with characters outside RFC 3986's set (``@`` is
  tolerated, it is split at the last one), a host with characters no host may hold or ``%``-escapes
  of ASCII other than ``%25``, a port that is not ``:`` and digits, ``[`` anywhere but first, and a
  ``[...]`` literal that is not an IPv6 address.

A scheme followed by anything but ``/`` is opaque and accepted as it stands. Colons inside the host
(``http://a:1:2``) follow the ``urlstrictcolons=0`` default that Go keeps for modules declaring a Go
version before 1.26, as Kratos v1.3.1 does: the last colon starts the port. The checks of ``[...]``
hosts are those of recent Go releases (a Kratos built with Go 1.23 let any ``[...]`` through).
"""

from __future__ import annotations

import re

from ._net import parse_addr

_HEX = "0123456789abcdefABCDEF"
# Characters Go lets a host (and an IPv6 zone) hold unescaped, besides bytes beyond ASCII.
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&'()*+,;=:[]<>\"-_.~")
_USERINFO_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:~!$&'()*+,;=%@")
# Characters Go's path escaping leaves alone (shouldEscape(c, encodePath) is false).
_PATH_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _escapes_ok(text: str) -> bool:
    """Every ``%`` starts a two-hex-digit escape (Go's unescape, in any mode)."""
    i = text.find("%")
    while i >= 0:
        if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
            return False
        i = text.find("%", i + 3)
    return True


def _host_text_ok(text: str, zone: bool = False) -> bool:
    """Go's unescape in host or zone mode: allowed characters, well-formed and permitted escapes."""
    if not _escapes_ok(text):
        return False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            escape = text[i : i + 3]
            byte = int(text[i + 1 : i + 3], 16)
            if zone:
                if escape != "%25" and byte != 0x20 and not (byte < 0x80 and chr(byte) in _HOST_CHARS):
                    return False
            elif byte < 0x80 and escape != "%25":  # a host may escape only bytes beyond ASCII
                return False
            i += 3
            continue
        if ch.isascii() and ch not in _HOST_CHARS and ch != "+":
            return False
        i += 1
    return True


def _valid_port(text: str) -> bool:
    return text == "" or (text[0] == ":" and all("0" <= c <= "9" for c in text[1:]))


def _host_ok(host: str) -> bool:
    """Go's parseHost (host and optional port, no user info)."""
    bracket = host.rfind("[")
    if bracket > 0:
        return False
    if bracket == 0:
        close = host.rfind("]")
        if close < 0 or not _valid_port(host[close + 1 :]):
            return False
        inside = host[1:close]
        zone_at = inside.find("%25")
        if zone_at >= 0:
            if not (_host_text_ok(inside[:zone_at]) and _host_text_ok(inside[zone_at:], zone=True)):
                return False
            literal = _unescape(inside[:zone_at]) + _unescape(inside[zone_at:])
        else:
            if not _host_text_ok(inside):
                return False
            literal = _unescape(inside)
        return parse_addr(literal) in ("6", "6%")
    colon = host.rfind(":")
    if colon >= 0 and not _valid_port(host[colon:]):
        return False
    return _host_text_ok(host)


def _unescape(text: str) -> str:
    """Percent escapes decoded to characters (only used to read an IP literal, which is ASCII)."""
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def _authority_ok(authority: str) -> bool:
    userinfo, at, host = authority.rpartition("@")
    if not _host_ok(host):
        return False
    return not at or (all(c in _USERINFO_CHARS for c in userinfo) and _escapes_ok(userinfo))


def _parse(value: str) -> tuple[bool, bool, str]:
    """Go's url.Parse: (parsed, has a scheme, raw path as Go's RawPath would hold it)."""
    before, _, fragment = value.partition("#")
    if fragment and not _escapes_ok(fragment):
        return False, False, ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in before):
        return False, False, ""
    if before == "*":
        return True, False, ""
    scheme_match = _SCHEME.match(before)
    if before.startswith(":"):
        return False, False, ""
    scheme = ""
    rest = before
    if scheme_match is not None and before[scheme_match.end() : scheme_match.end() + 1] == ":":
        scheme, rest = scheme_match.group(), before[scheme_match.end() + 1 :]
    rest = rest[:-1] if rest.endswith("?") and rest.count("?") == 1 else rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return True, True, ""  # opaque
        if ":" in rest.partition("/")[0]:
            return False, False, ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        if not _authority_ok(authority):
            return False, False, ""
        rest = slash + path
    if not _escapes_ok(rest):
        return False, False, ""
    return True, bool(scheme), _raw_path(rest)


def _raw_path(escaped: str) -> str:
    """Go keeps the path as written in RawPath only when re-escaping its decoded form differs."""
    decoded = _unescape_bytes(escaped)
    again = "".join(chr(b) if chr(b) in _PATH_SAFE else f"%{b:02X}" for b in decoded)
    return "" if again == escaped else escaped


def _unescape_bytes(text: str) -> bytes:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogatepass")
    while i < len(raw):
        if raw[i] == 0x25:  # "%", already known to be well formed
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def is_uri(value: str) -> bool:
    parsed, absolute, _ = _parse(value)
    return parsed and absolute


def is_uri_reference(value: str) -> bool:
    return _parse(value)[0]


def is_uri_template(value: str) -> bool:
    """``formats.go`` isURITemplate: parses, and ``{``/``}`` pair up without nesting in each raw path segment."""
    parsed, _, raw_path = _parse(value)
    if not parsed:
        return False
    for segment in raw_path.split("/"):
        depth = 0
        for ch in segment:
            if ch == "{":
                depth += 1
                if depth != 1:
                    return False
            elif ch == "}":
                depth -= 1
                if depth != 0:
                    return False
        if depth != 0:
            return False
    return True
