"""What Ory sends that ory_frames does not know yet: unknown fields kept as JSON, each new field or value noted once.

Ory adds fields and enum values without notice (``region`` and ``external_id`` on identities, new
credential types, address channels, states; wire notes §3, §8). Both conversion paths keep them:

- unknown top-level fields of an identity or a session go, as they came, into the one JSON column
  ``extra_fields`` (``{"lifecycle": {"stage": "dormant"}}``; null when a record has none);
- unknown values of the category columns (``state``, ``authenticator_assurance_level``) become new
  categories (``_convert_fast.category_array``); unknown ``via`` values and credential types stay
  in their string columns;
- unknown keys inside addresses, devices and authentication methods (whose struct columns have fixed
  fields) go into ``extra_fields`` too, under the list's name, one object per item in the list's order
  holding only that item's unknown keys (``{"devices": [{"asn": 64500}, {}]}``);
- traits no column holds (no identity schema read declares them: written under an older version of
  the schema, or allowed by ``additionalProperties``) go into ``extra_fields`` under ``traits``, nested
  as in the identity (``{"traits": {"name": {"middle": "Augusta"}}}``), and so does a value where the
  schema has an object with properties but the identity holds something else. Together with the
  trait columns they give the identity's traits back; write-back sends them along (``_build``).

"Known" is what Ory's OpenAPI documents (``identity``, ``session``, ``verifiableIdentityAddress``,
``recoveryIdentityAddress``, ``sessionDevice``, ``sessionAuthenticationMethod``), whether or not the
frame has a column for it: a documented field is never warned about.

Each new field or value is noted in :class:`ConversionProblems` with the number of records holding it,
which ends in one :class:`ConversionWarning` per field or value per read, never one per row; the
undeclared traits of a read end in one warning naming them all (pure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, get_args

import pyarrow as pa

from ory_frames._types import CredentialType
from ory_frames.convert._values import ConversionProblems, json_array, json_text

__all__ = [
    "EXTRA_COLUMN",
    "IDENTITY_FIELDS",
    "NESTED_FIELDS",
    "SESSION_FIELDS",
    "identity_extras",
    "session_extras",
    "trait_tree",
]

EXTRA_COLUMN = "extra_fields"

# The top-level fields of Ory's identity and session objects (wire notes §3, §8; Ory's OpenAPI `identity`
# and `session`). Those without a column of their own (`schema_url`, `tokenized`) are known, not extra.
IDENTITY_FIELDS: frozenset[str] = frozenset(
    {
        "region",
        "id",
        "external_id",
        "credentials",
        "schema_id",
        "schema_url",
        "state",
        "state_changed_at",
        "traits",
        "verifiable_addresses",
        "recovery_addresses",
        "metadata_public",
        "metadata_admin",
        "created_at",
        "updated_at",
        "organization_id",
    }
)
SESSION_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "active",
        "expires_at",
        "authenticated_at",
        "authenticator_assurance_level",
        "authentication_methods",
        "issued_at",
        "identity",
        "identity_id",
        "devices",
        "tokenized",
    }
)
# Keys of the objects inside lists (Ory's OpenAPI; `expires_at` is the legacy address field, see `_convert`).
NESTED_FIELDS: dict[str, frozenset[str]] = {
    "verifiable_addresses": frozenset(
        {"id", "value", "verified", "via", "status", "verified_at", "created_at", "updated_at", "expires_at"}
    ),
    "recovery_addresses": frozenset({"id", "value", "via", "break_glass_for_organization", "created_at", "updated_at"}),
    "devices": frozenset({"id", "ip_address", "user_agent", "location"}),
    "authentication_methods": frozenset(
        {"method", "aal", "completed_at", "provider", "organization", "upstream_acr", "upstream_amr"}
    ),
}
_IDENTITY_LISTS = ("verifiable_addresses", "recovery_addresses")
_SESSION_LISTS = ("authentication_methods", "devices")
_CREDENTIAL_TYPES = frozenset(get_args(CredentialType))
_VIAS = frozenset({"email", "sms"})  # identity/address.go: AddressTypeEmail, AddressTypeSMS


def _extras(
    records: Sequence[Any], known: Collection[str], lists: Sequence[str], kind: str, notes: Counter[str]
) -> list[dict[str, Any] | None]:
    """Each record's ``extra_fields`` object: its unknown top-level fields and unknown keys in its lists."""
    out: list[dict[str, Any] | None] = []
    for record in records:
        if type(record) is not dict:
            out.append(None)
            continue
        unknown = record.keys() - known
        extra = {key: record[key] for key in record if key in unknown}
        notes.update(f"unknown field {key!r} in {kind}, kept in the {EXTRA_COLUMN!r} column" for key in extra)
        seen: set[str] = set()
        for field in lists:
            nested = _nested_extras(record.get(field), NESTED_FIELDS[field], f"{field!r}", seen)
            if nested is not None:
                extra[field] = nested
        notes.update(seen)
        out.append(extra)
    return out


def _json_column(extras: Sequence[dict[str, Any] | None]) -> pa.Array:
    return json_array([json_text(extra) if extra else None for extra in extras])


@dataclass(frozen=True)
class TraitTree:
    """The trait paths a frame has columns for, one node per object level.

    ``leaves`` are the keys a column holds whole (whatever lies beneath); ``inner`` the keys with
    columns further down.
    """

    leaves: frozenset[str] = frozenset()
    inner: dict[str, TraitTree] = dataclass_field(default_factory=dict)


def trait_tree(paths: Iterable[Sequence[str]]) -> TraitTree:
    """The tree of the trait columns' paths (``("name", "first")`` for ``traits.name.first``)."""
    nested: dict[str, Any] = {}
    for path in sorted(paths, key=len):  # shorter first: a column covers every path beneath it
        node: Any = nested
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if node is None:
                break
        else:
            if path:
                node[path[-1]] = None

    def build(level: dict[str, Any]) -> TraitTree:
        leaves = frozenset(k for k, v in level.items() if v is None)
        return TraitTree(leaves, {k: build(v) for k, v in level.items() if v is not None})

    return build(nested)


def _covered(value: dict[str, Any], tree: TraitTree) -> bool:
    """Whether columns hold all of ``value`` (the common case, checked with set operations first)."""
    keys = value.keys()
    if keys <= tree.leaves:
        return True
    for key in keys - tree.leaves:
        sub = tree.inner.get(key)
        if sub is None:
            return False
        item = value[key]
        if type(item) is dict:
            # an object of leaves (`name: {first, last}`) is the common case: no call for it
            if not (item.keys() <= sub.leaves or _covered(item, sub)):
                return False
        elif item is not None:
            return False
    return True


_NOTHING: Any = object()


def _undeclared(value: Any, tree: TraitTree, path: str, found: set[str]) -> Any:
    """The part of ``value`` (a traits object, or one nested in it) that no column under ``tree`` holds."""
    if type(value) is not dict:
        if value is None:
            return _NOTHING
        found.add(path)  # the schema has an object with properties here; this value is not one
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if key in tree.leaves:
            continue
        sub = tree.inner.get(key)
        if sub is None:
            found.add(f"{path}.{key}")
            kept[key] = item
        elif (rest := _undeclared(item, sub, f"{path}.{key}", found)) is not _NOTHING:
            kept[key] = rest
    return kept if kept else _NOTHING


def _undeclared_traits(
    records: Sequence[Any], extras: list[dict[str, Any] | None], tree: TraitTree, problems: ConversionProblems
) -> None:
    """Put each record's undeclared traits into its extras under ``traits``; count them in ``problems``."""
    counts: Counter[str] = Counter()
    for i, record in enumerate(records):
        traits = record.get("traits") if type(record) is dict else None
        if type(traits) is not dict or _covered(traits, tree):
            continue
        found: set[str] = set()
        kept = _undeclared(traits, tree, "traits", found)
        if kept is _NOTHING:
            continue
        extra = extras[i]
        if extra is not None:
            extra["traits"] = kept
        counts.update(found)
    for path, rows in counts.items():
        problems.undeclared[path] += rows


def _nested_extras(items: Any, known: frozenset[str], where: str, seen: set[str]) -> list[dict[str, Any]] | None:
    """Per item of a list, its unknown keys (``{}`` for an item with none); None when no item has any.

    Adds to ``seen`` what was found (each record counts once per key).
    """
    if type(items) is not list or all(type(item) is not dict or item.keys() <= known for item in items):
        return None
    kept: list[dict[str, Any]] = []
    for item in items:
        unknown = item.keys() - known if type(item) is dict else set()
        seen.update(f"unknown key {k!r} inside {where}, kept in the {EXTRA_COLUMN!r} column" for k in unknown)
        kept.append({k: item[k] for k in item if k in unknown} if unknown else {})
    return kept


def _report(notes: Counter[str], problems: ConversionProblems) -> None:
    for what, rows in notes.items():
        problems.note(what, rows)


def identity_extras(
    records: Sequence[Any],
    problems: ConversionProblems,
    *,
    states: Collection[str],
    traits: TraitTree | None = None,
) -> pa.Array:
    """The ``extra_fields`` column of an identity page; notes unknown fields, keys, states, vias and types.

    ``states`` are the known values of ``state``; ``traits`` the tree of the frame's trait columns
    (:func:`trait_tree`), whose undeclared traits are kept (none are looked for without it).
    """
    notes: Counter[str] = Counter()
    extras = _extras(records, IDENTITY_FIELDS, _IDENTITY_LISTS, "identities", notes)
    if traits is not None:
        _undeclared_traits(records, extras, traits, problems)
    for record in records:
        if type(record) is not dict:
            continue
        seen: set[str] = set()
        state = record.get("state")
        if type(state) is str and state and state not in states:
            seen.add(f"unknown value {state!r} in 'state', kept as a new category")
        for field in _IDENTITY_LISTS:
            items = record.get(field)
            for item in items if type(items) is list else ():
                via = item.get("via") if type(item) is dict else None
                if type(via) is str and via and via not in _VIAS:
                    seen.add(f"unknown value {via!r} of 'via' in {field!r}, kept as it is")
        creds = record.get("credentials")
        if type(creds) is dict and not creds.keys() <= _CREDENTIAL_TYPES:
            seen.update(
                f"unknown credential type {str(k)!r}, kept in 'credential_types'"
                for k in creds.keys() - _CREDENTIAL_TYPES
            )
        notes.update(seen)
    _report(notes, problems)
    return _json_column(extras)


def session_extras(
    records: Sequence[Any],
    problems: ConversionProblems,
    *,
    aal_values: Collection[str],
    states: Collection[str],
) -> pa.Array:
    """The ``extra_fields`` column of a session page; notes unknown fields, keys and enum values."""
    notes: Counter[str] = Counter()
    extras = _extras(records, SESSION_FIELDS, _SESSION_LISTS, "sessions", notes)
    for record in records:
        if type(record) is not dict:
            continue
        seen: set[str] = set()
        aal = record.get("authenticator_assurance_level")
        if type(aal) is str and aal and aal not in aal_values:
            seen.add(f"unknown value {aal!r} in 'authenticator_assurance_level', kept as a new category")
        ident = record.get("identity")
        state = ident.get("state") if type(ident) is dict else None
        if type(state) is str and state and state not in states:
            seen.add(f"unknown value {state!r} in 'identity.state', kept as a new category")
        notes.update(seen)
    _report(notes, problems)
    return _json_column(extras)
