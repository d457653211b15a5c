"""Local checks of a planned change against the identity JSON schemas, before any request is sent.

Column types and login identifiers come from the schema model (:mod:`ory_frames._schema`), the same
walk that types the frame's columns; resulting traits are validated with ``jsonschema`` as Kratos
does on create and on PATCH (wire notes §§5 and 6), with Kratos' own ``format`` checks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ory_frames._errors import Problem
from ory_frames._formats import format_checker, kratos_errors
from ory_frames._schema import (
    TRAITS_PREFIX,
    SchemaNode,
    column_of_tokens,
    iter_nodes,
    normalize_schemas,
    representable,
    trait_column,
    walk_traits,
)

from ._payloads import short_repr

VALID_STATES: frozenset[str] = frozenset({"active", "inactive"})
# Trait names tried as lookup identifiers when a schema marks none (or no schema is given).
_FALLBACK_IDENTIFIER_TRAITS: tuple[str, ...] = ("email", "username", "phone")


@dataclass
class SchemaInfo:
    """What write-back needs from one identity schema: column types, identifiers and a validator.

    ``column_types`` maps each trait column the schema describes to its JSON Schema ``type`` as the
    schema model resolved it (a string, a list, or None when the schema sets none); ``nodes`` holds
    the model's node of each of those columns.
    """

    schema_id: str
    document: dict[str, Any]
    column_types: dict[str, Any] = field(default_factory=dict)
    identifier_columns: list[str] = field(default_factory=list)
    validator: Any = None
    # True when the traits schema has keywords relating several properties (oneOf, dependencies...).
    cross_property: bool = True
    nodes: dict[str, SchemaNode] = field(default_factory=dict, repr=False)
    _leaves: dict[str, Any] = field(default_factory=dict, repr=False)

    def leaf_validator(self, column: str) -> Any:
        """A ``jsonschema`` validator of one trait column's values against the column's own subschema."""
        validator = self._leaves.get(column)
        if validator is None:
            node = self.nodes.get(column)
            validator = self.validator.evolve(schema=node.schema if node is not None else {})
            self._leaves[column] = validator
        return validator

    def _errors(self, validator: Any, instance: Any) -> tuple[list[Any], str | None]:
        """The validation errors of an instance, or why the schema cannot check it here."""
        from referencing.exceptions import Unresolvable  # jsonschema's own dependency, imported with it

        try:
            return kratos_errors(validator.iter_errors(instance)), None
        except RecursionError:  # references that only lead to each other (the schema model notes them)
            return [], f"schema {self.schema_id!r} cannot be checked: its references loop without reaching a type"
        except Unresolvable as exc:  # a remote reference: nothing is fetched while planning
            return [], f"schema {self.schema_id!r} cannot be checked offline: {exc}"

    def validate_leaf(self, column: str, value: Any) -> list[tuple[str | None, str]]:
        """``(column, reason)`` for each violation of one trait value against its own subschema."""
        errors, unchecked = self._errors(self.leaf_validator(column), value)
        if unchecked is not None:
            return [(column, unchecked)]
        return [(column, f"{_reason(e)} (schema {self.schema_id!r})") for e in errors]

    def validate_traits(self, traits: dict[str, Any], known_columns: set[str]) -> list[tuple[str | None, str]]:
        """``(column, reason)`` for each schema violation of ``{"traits": traits}``.

        A missing required trait whose column is in neither frame is not reported: the frame simply
        does not carry it, and Kratos keeps the stored value on PATCH.
        """
        errors, unchecked = self._errors(self.validator, {"traits": traits})
        if unchecked is not None:
            return [("traits", unchecked)]
        out: list[tuple[str | None, str]] = []
        for error in sorted(errors, key=lambda e: list(e.absolute_path)):
            path = [str(p) for p in error.absolute_path]
            column = column_of_tokens(path)
            if error.validator == "required" and isinstance(error.instance, dict):
                for name in error.validator_value:
                    if name in error.instance:
                        continue
                    missing = column_of_tokens([*path, name])
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
# whole traits document validated, not just the changed value's own subschema. (References are no
# reason: the schema model follows them, and a leaf's subschema is validated with its references.)
_CROSS_PROPERTY_KEYWORDS = frozenset(
    {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependencies", "dependentRequired",
     "dependentSchemas", "minProperties", "maxProperties", "patternProperties", "propertyNames",
     "unevaluatedProperties"}
)  # fmt: skip


def _has_cross_property(node: SchemaNode) -> bool:
    """True when an object node (or one nested in it, array items included) ties its properties together."""
    if (node.json_type == "object" or "properties" in node.keywords) and _CROSS_PROPERTY_KEYWORDS & node.keywords:
        return True
    children = [*node.properties.values(), *([node.item] if node.item is not None else [])]
    return any(_has_cross_property(child) for child in children)


def schema_info(schema_id: str, document: dict[str, Any]) -> SchemaInfo:
    """Column types, identifier columns and a compiled validator for one identity schema."""
    root = walk_traits(document)
    nodes = {trait_column(n.path): n for n in iter_nodes(root) if n.path and representable(n.path)}
    types = {column: node.declared_type for column, node in nodes.items()}
    identifiers = [column for column, node in nodes.items() if node.kratos.is_identifier]
    import jsonschema  # slow to import (format checkers pull in rfc3987_syntax and more): only when planning

    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    # Kratos' formats, not the JSON Schema draft's: the same values pass here and there (ory_frames._formats).
    validator = cls(document, format_checker=format_checker())
    cross = root is not None and _has_cross_property(root)
    return SchemaInfo(schema_id, document, types, identifiers, validator, cross_property=cross, nodes=nodes)


def load_schemas(schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> dict[str, SchemaInfo] | None:
    """Normalise ``{id: schema}`` or the ``GET /schemas`` list ``[{"id", "schema"}]`` into SchemaInfo."""
    if schemas is None:
        return None
    return {sid: schema_info(sid, doc) for sid, doc in normalize_schemas(schemas).items()}


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


def state_problem(row: Any, value: Any, read: Collection[str] = ()) -> Problem | None:
    """A problem when ``value`` is neither a valid identity state (wire notes §6) nor one Ory sent (``read``)."""
    if isinstance(value, str) and (value in VALID_STATES or value in read):
        return None
    return Problem(row, "state", f"{value!r} is not a valid state; use 'active' or 'inactive'")
