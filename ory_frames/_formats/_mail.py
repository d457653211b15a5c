"""The ``hostname`` and ``email`` formats as Kratos checks them.

Kratos validates traits with ory/jsonschema v3 (``formats.go``). Its ``email`` check is a length
limit, the ``hostname`` check on the text after the last ``@``, and then Go's
``net/mail.ParseAddress`` on the whole value (``net/mail/message.go``); its result is not looked at,
only whether it parsed. Lengths are counted in UTF-8 bytes, as Go counts them.
"""

from __future__ import annotations


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def is_hostname(value: str) -> bool:
    """RFC 1034/1123 host names, with two quirks of ``formats.go`` kept.

    One trailing dot is dropped first; only the first character of the whole name is checked for a
    leading hyphen (a later label may start with one); labels are 1 to 63 ASCII letters, digits or
    hyphens and must not end with a hyphen; at most 253 bytes in all.
    """
    name = value[:-1] if value.endswith(".") else value
    if _utf8_len(name) > 253:
        return False
    for label in name.split("."):
        if not 1 <= _utf8_len(label) <= 63:
            return False
        if name[0] == "-" or label[-1] == "-":
            return False
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            return False
    return True


# RFC 5322 "specials" that Go's isAtext leaves out of atoms (besides space and controls).
_SPECIALS = frozenset('()<>[]:;@\\,"')


def _is_vchar(ch: str) -> bool:
    """Go's isVchar: printable ASCII, or any character beyond ASCII (RFC 6532)."""
    return "!" <= ch <= "~" or ord(ch) >= 0x80


def _is_atext(ch: str) -> bool:
    return ch == "." or (ch not in _SPECIALS and _is_vchar(ch))


def _dot_atom(text: str, start: int) -> int:
    """End of a strict dot-atom at ``start`` (no leading, trailing or doubled dot), or -1."""
    end = start
    while end < len(text) and _is_atext(text[end]):
        end += 1
    atom = text[start:end]
    if not atom or atom.startswith(".") or atom.endswith(".") or ".." in atom:
        return -1
    return end


def _quoted_string(text: str, start: int) -> int:
    """End (after the closing quote) of a quoted string with some content at ``start``, or -1.

    Inside: printable characters other than ``"`` and ``\\``, spaces and tabs, and backslash pairs
    whose second character is printable, a space or a tab (Go's consumeQuotedString).
    """
    i, content = start + 1, 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return i + 1 if content else -1  # an empty quoted local part is refused
        if ch == "\\":
            i += 1
            if i >= len(text) or not (_is_vchar(text[i]) or text[i] in " \t"):
                return -1
        elif not (_is_vchar(ch) or ch in " \t"):
            return -1
        content += 1
        i += 1
    return -1


def _parses_as_addr_spec(value: str) -> bool:
    """Whether ``net/mail.ParseAddress`` accepts ``value`` as a bare addr-spec.

    ParseAddress skips leading spaces and tabs, then reads a local part (a dot-atom or a quoted
    string), ``@`` and a domain (a dot-atom or a ``[...]`` literal). Its other forms, a display name
    with ``<addr>``, a trailing ``(comment)`` or a group ``name:...;``, all end in ``>``, ``)``,
    ``;`` or a space: ``is_email`` has by then required the text after the last ``@`` to be a host
    name, so none of them can pass there, nor can a domain literal.
    """
    i = 0
    while i < len(value) and value[i] in " \t":
        i += 1
    if i == len(value):
        return False
    end = _quoted_string(value, i) if value[i] == '"' else _dot_atom(value, i)
    if end < 0 or end >= len(value) or value[end] != "@":
        return False
    return _dot_atom(value, end + 1) == len(value)


def is_email(value: str) -> bool:
    """``formats.go`` isEmail: at most 254 bytes, a local part of at most 64, a host name after the
    last ``@``, and a value Go's mail parser reads."""
    if _utf8_len(value) > 254:
        return False
    local, at, domain = value.rpartition("@")
    if not at or _utf8_len(local) > 64:
        return False
    return is_hostname(domain) and _parses_as_addr_spec(value)
