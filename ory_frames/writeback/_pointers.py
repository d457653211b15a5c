"""Frame columns <-> JSON Pointers (RFC 6901), and which pointers a PATCH may touch.

This is the one place where a flattened column name such as ``traits.name.first`` becomes the JSON
Patch path ``/traits/name/first`` and back; it also does the ``~0``/``~1`` escaping.
"""

from __future__ import annotations

import re
from typing import Any

TRAITS_PREFIX = "traits."

# Top-level identity fields that write-back may change with JSON Patch (our choice; Ory's rules: wire notes §6).
# The value is the JSON key, which is also the column name.
PATCHABLE_FIELDS: frozenset[str] = frozenset({"state", "schema_id", "external_id", "metadata_public", "metadata_admin"})

# Fields whose whole value is JSON (an object, list or scalar), replaced as one value.
JSON_FIELDS: frozenset[str] = frozenset({"metadata_public", "metadata_admin", "traits"})

# wire notes §6, "Denied paths": a case-insensitive glob with "/" as separator.
# Note the deny list spells `/stateChangedAt`, so `/state_changed_at` is not blocked by Ory; we never
# write it because `state_changed_at` is not a patchable column here.
DENIED_POINTER_GLOBS: tuple[str, ...] = (
    "/id",
    "/stateChangedAt",
    "/credentials",
    "/credentials/oidc",
    "/credentials/oidc/**",
    "/credentials/saml",
    "/credentials/saml/**",
)


def escape_token(token: str) -> str:
    """Escape one reference token: ``~`` -> ``~0`` first, then ``/`` -> ``~1`` (RFC 6901 section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token`: ``~1`` -> ``/`` first, then ``~0`` -> ``~`` (RFC 6901 section 4)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str) -> str:
    """Join raw (unescaped) reference tokens into a JSON Pointer."""
    return "".join("/" + escape_token(t) for t in tokens)


def split_pointer(ptr: str) -> list[str]:
    """The raw (unescaped) reference tokens of a JSON Pointer; ``""`` is the whole document."""
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise ValueError(f"a JSON Pointer starts with '/': {ptr!r}")
    return [unescape_token(t) for t in ptr[1:].split("/")]


def is_trait_column(column: str) -> bool:
    """True for a flattened trait column such as ``traits.email`` or ``traits.name.first``."""
    return column.startswith(TRAITS_PREFIX) and len(column) > len(TRAITS_PREFIX)


def column_tokens(column: str) -> list[str] | None:
    """The raw JSON path of a patchable column, or None when the column maps to no patchable path.

    ``traits.name.first`` -> ``["traits", "name", "first"]``; ``traits`` and the fields in
    :data:`PATCHABLE_FIELDS` map to themselves. Trait keys holding a literal ``.`` cannot be written
    as flattened columns (docs/architecture.md); they stay inside a JSON value.
    """
    if column in PATCHABLE_FIELDS or column == "traits":
        return [column]
    if is_trait_column(column):
        keys = column[len(TRAITS_PREFIX) :].split(".")
        if any(k == "" for k in keys):
            return None
        return ["traits", *keys]
    return None


def column_to_pointer(column: str) -> str | None:
    """The JSON Pointer a column writes to (``traits.a/b`` -> ``/traits/a~1b``), or None."""
    tokens = column_tokens(column)
    return None if tokens is None else pointer(*tokens)


def pointer_to_column(ptr: str) -> str:
    """The column name of a pointer produced by :func:`column_to_pointer` (its inverse)."""
    tokens = split_pointer(ptr)
    if not tokens:
        raise ValueError("the empty pointer names the whole identity, not a column")
    if tokens[0] == "traits" and len(tokens) > 1:
        return TRAITS_PREFIX + ".".join(tokens[1:])
    if len(tokens) == 1:
        return tokens[0]
    raise ValueError(f"pointer {ptr!r} does not name a column")


_DENIED = re.compile(
    "|".join(
        re.escape(glob[:-3]) + "(?:/.*)?" if glob.endswith("/**") else re.escape(glob) for glob in DENIED_POINTER_GLOBS
    ),
    re.IGNORECASE,
)


def is_denied(ptr: str) -> bool:
    """True when Ory refuses a PATCH on this pointer (wire notes §6, "Denied paths")."""
    return _DENIED.fullmatch(ptr) is not None


def get_at(document: Any, tokens: list[str]) -> tuple[bool, Any]:
    """``(found, value)`` at a raw token path inside a JSON document (objects and arrays)."""
    current = document
    for token in tokens:
        if isinstance(current, dict):
            if token not in current:
                return False, None
            current = current[token]
        elif isinstance(current, list):
            if not token.isdigit() or int(token) >= len(current):
                return False, None
            current = current[int(token)]
        else:
            return False, None
    return True, current


def set_at(document: dict[str, Any], tokens: list[str], value: Any) -> None:
    """Set a value at a raw token path of nested objects, creating missing parents (like Ory's add)."""
    current = document
    for token in tokens[:-1]:
        child = current.get(token)
        if not isinstance(child, dict):
            child = {}
            current[token] = child
        current = child
    current[tokens[-1]] = value


def unflatten(values: dict[str, Any]) -> dict[str, Any]:
    """Nest ``{"name.first": "Ada"}`` into ``{"name": {"first": "Ada"}}``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        set_at(out, key.split("."), value)
    return out
