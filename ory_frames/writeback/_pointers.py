"""Which columns and JSON Pointers a write-back PATCH may touch, and get/set helpers on JSON documents.

Column names, pointers and their ``~0``/``~1`` escaping belong to the schema model
(:mod:`ory_frames._schema.pointers`); this module only adds what write-back decides: the patchable
fields and the paths Ory denies (wire notes §6).
"""

from __future__ import annotations

import re
from typing import Any

from ory_frames._schema import (
    TRAITS,
    pointer,
    trait_path,
)

# Top-level identity fields that write-back may change with JSON Patch (wire notes §6).
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


def column_tokens(column: str) -> list[str] | None:
    """The raw JSON path a column may be patched at, or None when write-back may not patch it.

    ``traits.name.first`` -> ``["traits", "name", "first"]``; ``traits`` and the fields in
    :data:`PATCHABLE_FIELDS` map to themselves. Trait keys holding a literal ``.`` cannot be written
    as flattened columns (docs/architecture.md); they stay inside a JSON value.
    """
    if column in PATCHABLE_FIELDS or column == TRAITS:
        return [column]
    path = trait_path(column)
    return None if path is None else [TRAITS, *path]


def column_to_pointer(column: str) -> str | None:
    """The JSON Pointer a PATCH writes a column to (``traits.a/b`` -> ``/traits/a~1b``), or None."""
    tokens = column_tokens(column)
    return None if tokens is None else pointer(*tokens)


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
