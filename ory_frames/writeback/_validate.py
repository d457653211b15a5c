"""Local checks of a planned change against the identity JSON schemas, before any request is sent.

Column types come from the schemas themselves (walked here, so write-back does not depend on the
Arrow mapping in ``_schema.py``); resulting traits are validated with ``jsonschema`` as Kratos does on
create and on PATCH (wire notes §§5 and 6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from ory_frames._errors import Problem

from ._payloads import short_repr
from ._pointers import TRAITS_PREFIX

VALID_STATES: frozenset[str] = frozenset({"active", "inactive"})
_KRATOS_EXTENSION = "ory.sh/kratos"
# Trait names tried as lookup identifiers when a schema marks none (or no schema is given).
_FALLBACK_IDENTIFIER_TRAITS: tuple[str, ...] = ("email", "username", "phone")


@dataclass
class SchemaInfo:
    """What write-back needs from one identity schema: column types, identifiers and a validator."""

    schema_id: str
    document: dict[str, Any]
    column_types: dict[str, Any] = field(default_factory=dict)
    identifier_columns: list[str] = field(default_factory=list)
    validator: Any = None
    # True when the traits schema has keywords relating several properties (oneOf, dependencies...).
    cross_property: bool = True
    _leaves: dict[str, Any] = field(default_factory=dict, repr=False)

    def validate_leaf(self, column: str, value: Any) -> list[tuple[str | None, str]]:
        """``(column, reason)`` for each violation of one trait value against its own subschema."""
        validator = self._leaves.get(column)
        if validator is None:
            node: Any = (self.document.get("properties") or {}).get("traits", {})
            for key in column[len(TRAITS_PREFIX) :].split("."):
                node = (_resolve(self.document, node).get("properties") or {}).get(key, {})
            validator = self.validator.evolve(schema=_resolve(self.document, node))
            self._leaves[column] = validator
        return [(column, f"{_reason(e)} (schema {self.schema_id!r})") for e in validator.iter_errors(value)]

    def validate_traits(self, traits: dict[str, Any], known_columns: set[str]) -> list[tuple[str | None, str]]:
        """``(column, reason)`` for each schema violation of ``{"traits": traits}``.

        A missing required trait whose column is in neither frame is not reported: the frame simply
        does not carry it, and Kratos keeps the stored value on PATCH.
        """
        out: list[tuple[str | None, str]] = []
        for error in sorted(self.validator.iter_errors({"traits": traits}), key=lambda e: list(e.absolute_path)):
            path = [str(p) for p in error.absolute_path]
            column = _column_of(path)
            if error.validator == "required" and isinstance(error.instance, dict):
                for name in error.validator_value:
                    if name in error.instance:
                        continue
                    missing = _column_of([*path, name])
                    if missing is not None and missing.startswith(TRAITS_PREFIX) and missing not in known_columns:
                        continue
                    out.append((missing, f"is required (schema {self.schema_id!r})"))
                continue
            out.append((column, f"{_reason(error)} (schema {self.schema_id!r})"))
        return out


def _reason(error: Any) -> str:
    """A jsonschema error in our words: ``'x' is not a valid email`` rather than ``is not a 'email'``."""
    if error.validator == "type":
        wanted = error.validator_value
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        return f"{short_repr(error.instance)} is not of type {' or '.join(names)}"
    if error.validator == "format":
        return f"{short_repr(error.instance)} is not a valid {error.validator_value}"
    message = str(error.message)
    # jsonschema repeats the whole value (which may be a huge string) in its message.
    return message if len(message) <= _MAX_MESSAGE else f"{message[: _MAX_MESSAGE - 5]}...{message[-2:]}"


_MAX_MESSAGE = 300


# Keywords that tie several trait properties together: with any of them, changing one value needs the
# whole traits document validated, not just the changed value's own subschema.
_CROSS_PROPERTY_KEYWORDS = frozenset(
    {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependencies", "dependentRequired",
     "dependentSchemas", "minProperties", "maxProperties", "patternProperties", "propertyNames",
     "unevaluatedProperties", "$ref"}
)  # fmt: skip


def _has_cross_property(node: Any) -> bool:
    """True when an object node (or one nested in it) has a keyword tying its properties together."""
    if not isinstance(node, dict):
        return False
    if (node.get("type") == "object" or "properties" in node) and _CROSS_PROPERTY_KEYWORDS & node.keys():
        return True
    children = list((node.get("properties") or {}).values())
    items = node.get("items")
    children += items if isinstance(items, list) else [items]
    return any(_has_cross_property(child) for child in children)


def _column_of(path: list[str]) -> str | None:
    if not path:
        return None
    if path[0] == "traits":
        return TRAITS_PREFIX + ".".join(path[1:]) if len(path) > 1 else "traits"
    return ".".join(path)


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/definitions/...``) once; other nodes come back unchanged."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and seen < 16:
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key, {}) if isinstance(target, dict) else {}
        node = target
        seen += 1
    return node


def _walk_traits(schema: dict[str, Any], node: Any, prefix: str, types: dict[str, Any], identifiers: list[str]) -> None:
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return
    for key, child in (node.get("properties") or {}).items():
        child = _resolve(schema, child)
        if not isinstance(child, dict):
            continue
        column = f"{prefix}.{key}"
        types[column] = child.get("type")
        extension = child.get(_KRATOS_EXTENSION) or {}
        credentials = extension.get("credentials") or {}
        if any(isinstance(c, dict) and c.get("identifier") for c in credentials.values()):
            identifiers.append(column)
        if child.get("type") == "object" and "." not in key:
            _walk_traits(schema, child, column, types, identifiers)


def schema_info(schema_id: str, document: dict[str, Any]) -> SchemaInfo:
    """Column types, identifier columns and a compiled validator for one identity schema."""
    types: dict[str, Any] = {}
    identifiers: list[str] = []
    traits = _resolve(document, (document.get("properties") or {}).get("traits", {}))
    _walk_traits(document, traits, "traits", types, identifiers)
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    validator = cls(document, format_checker=cls.FORMAT_CHECKER)
    cross = _has_cross_property((document.get("properties") or {}).get("traits", {}))
    return SchemaInfo(schema_id, document, types, identifiers, validator, cross_property=cross)


def load_schemas(schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> dict[str, SchemaInfo] | None:
    """Normalise ``{id: schema}`` or the ``GET /schemas`` list ``[{"id", "schema"}]`` into SchemaInfo."""
    if schemas is None:
        return None
    pairs: Iterable[tuple[str, Any]] = (
        schemas.items() if isinstance(schemas, Mapping) else ((item["id"], item["schema"]) for item in schemas)
    )
    return {str(sid): schema_info(str(sid), dict(doc)) for sid, doc in pairs}


def identifier_columns(info: SchemaInfo | None, columns: Iterable[str]) -> list[str]:
    """Trait columns whose values are login identifiers, used to find an identity created earlier."""
    if info is not None and info.identifier_columns:
        return list(info.identifier_columns)
    present = set(columns)
    return [c for c in (TRAITS_PREFIX + n for n in _FALLBACK_IDENTIFIER_TRAITS) if c in present]


def normalise_identifier(value: str) -> str:
    """Kratos stores email identifiers trimmed and lower-cased (wire notes §2)."""
    value = value.strip()
    return value.lower() if "@" in value else value


def state_problem(row: Any, value: Any) -> Problem | None:
    """A problem when ``value`` is not a valid identity state (wire notes §6)."""
    if isinstance(value, str) and value in VALID_STATES:
        return None
    return Problem(row, "state", f"{value!r} is not a valid state; use 'active' or 'inactive'")
