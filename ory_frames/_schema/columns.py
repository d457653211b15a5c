"""Identity JSON Schemas -> the ``traits.<path>`` columns of a frame: names, pointers and Arrow fields (pure).

Each schema's traits tree comes from :mod:`.walk` (references and ``allOf`` resolved there). Nested
objects are flattened with dots (``traits.name.first``); what has no single Arrow type (``oneOf``/
``anyOf``, untyped values, objects without properties, arrays of objects, nodes the walk could not
resolve) becomes one JSON text column. Several schemas are merged into one set of columns; a path
whose types disagree is widened to JSON text and the reason is kept in :attr:`TraitInfo.notes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ory_frames._types import JSONObject

from .mappings import JSON_FIELD_METADATA, JSON_TYPE, SCALAR_ARROW_TYPES, STRING_FORMAT_ARROW_TYPES
from .pointers import representable, trait_column, trait_pointer
from .walk import SchemaNode, walk_traits

__all__ = [
    "TraitInfo",
    "infer_schemas",
    "normalize_schemas",
    "trait_arrow_fields",
    "trait_columns",
]


@dataclass(frozen=True)
class TraitInfo:
    """One ``traits.<path>`` column: where it lives in the identity JSON and how it is typed.

    ``json_type`` is one of ``string, integer, number, boolean, array, json`` (``json`` = any JSON
    value, stored as JSON text). For arrays, ``item_json_type`` is the items' type. ``format`` is the
    string format that changed the Arrow type (``date-time``), if any.
    """

    column: str
    path: tuple[str, ...]
    pointer: str
    json_type: str
    arrow_type: pa.DataType
    schema_ids: tuple[str, ...]
    item_json_type: str | None = None
    format: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_json(self) -> bool:
        """Whether values are stored as JSON text."""
        return self.json_type == "json"

    def arrow_field(self) -> pa.Field:
        """The Arrow field of this column (nullable; JSON columns carry the JSON marker metadata)."""
        meta = JSON_FIELD_METADATA if self.is_json else None
        return pa.field(self.column, self.arrow_type, nullable=True, metadata=meta)


@dataclass
class _Leaf:
    path: tuple[str, ...]
    json_type: str
    arrow_type: pa.DataType
    item_json_type: str | None = None
    format: str | None = None
    notes: list[str] = field(default_factory=list)


def normalize_schemas(schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> dict[str, JSONObject]:
    """Schemas as ``{schema_id: raw JSON Schema}`` from a mapping or from ``GET /schemas`` items.

    ``GET /schemas`` answers ``[{"id": "default", "schema": {...}}, ...]`` (wire notes §11).
    """
    if isinstance(schemas, Mapping):
        return {str(k): dict(v) for k, v in schemas.items()}
    out: dict[str, JSONObject] = {}
    for item in schemas:
        out[str(item["id"])] = dict(item["schema"])
    return out


def _scalar(node: SchemaNode) -> tuple[pa.DataType, str | None] | None:
    """Arrow type and format of a scalar node, or None when it is not a plain scalar."""
    if node.note is not None or node.json_type not in SCALAR_ARROW_TYPES or node.alternatives:
        return None
    if node.json_type == "string" and node.format in STRING_FORMAT_ARROW_TYPES:
        return STRING_FORMAT_ARROW_TYPES[node.format], node.format
    return SCALAR_ARROW_TYPES[node.json_type], None


def _json_leaf(path: tuple[str, ...], *notes: str | None) -> _Leaf:
    return _Leaf(path, "json", JSON_TYPE, notes=[n for n in notes if n])


def _leaves(node: SchemaNode, out: list[_Leaf]) -> None:
    """The columns of one node: itself if it is a leaf, else those of its properties."""
    path = node.path
    if node.note is not None:
        if path:  # the traits node itself unknown: no columns, as for a schema without traits
            out.append(_json_leaf(path, node.note))
        return
    if node.boolean:
        out.append(_json_leaf(path))  # `true` / `false`: any JSON value, or none
        return
    if node.json_type == "object" and not node.alternatives:
        if node.properties:
            if path and not representable(tuple(node.properties)):
                # Keys with a literal "." cannot be flattened (docs/architecture.md): keep the object whole.
                out.append(_json_leaf(path, "a property name contains '.'"))
                return
            for key, child in node.properties.items():
                if representable((key,)):  # top-level trait names with dots stay out of the columns
                    _leaves(child, out)
            return
        if path:
            out.append(_json_leaf(path))
        return
    if not path:
        return
    scalar = _scalar(node)
    if scalar is not None:
        out.append(_Leaf(path, str(node.json_type), scalar[0], format=scalar[1]))
        return
    if node.json_type == "array" and not node.alternatives and node.item is not None and not node.item.boolean:
        item = _scalar(node.item)
        if item is not None:
            item_type = node.item.json_type
            out.append(_Leaf(path, "array", pa.list_(item[0]), item_json_type=item_type, format=item[1]))
            return
    out.append(_json_leaf(path))


def _schema_leaves(schema: Mapping[str, Any]) -> list[_Leaf]:
    """The trait columns of one identity schema, in schema order."""
    out: list[_Leaf] = []
    root = walk_traits(schema)
    if root is not None:
        _leaves(root, out)
    return out


def trait_columns(schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> dict[str, TraitInfo]:
    """The union of trait columns over several identity schemas, in first-seen order.

    Parameters
    ----------
    schemas
        ``{schema_id: JSON Schema}`` or the items of ``GET /schemas`` (``{"id", "schema"}``).

    Returns
    -------
    dict
        Column name (``traits.name.first``) -> :class:`TraitInfo`. A path typed differently by two
        schemas, or an object in one schema and a leaf in another, becomes one JSON text column whose
        ``notes`` say why.
    """
    merged: dict[tuple[str, ...], _Leaf] = {}
    owners: dict[tuple[str, ...], list[str]] = {}
    for schema_id, schema in normalize_schemas(schemas).items():
        for leaf in _schema_leaves(schema):
            owners.setdefault(leaf.path, []).append(schema_id)
            seen = merged.get(leaf.path)
            if seen is None:
                merged[leaf.path] = leaf
            elif seen.arrow_type != leaf.arrow_type or seen.json_type != leaf.json_type:
                note = f"widened to JSON: {seen.json_type} vs {leaf.json_type} in schema {schema_id!r}"
                merged[leaf.path] = _Leaf(leaf.path, "json", JSON_TYPE, notes=[*seen.notes, note])
    # A path that is a leaf in one schema and an object in another collapses to one JSON column.
    paths = sorted(merged, key=len)
    for short in paths:
        if short not in merged:
            continue
        nested = [p for p in merged if len(p) > len(short) and p[: len(short)] == short]
        if nested:
            ids = list(owners[short])
            for p in nested:
                ids.extend(owners.pop(p))
                merged.pop(p)
            owners[short] = ids
            note = "widened to JSON: an object in one schema and a value in another"
            merged[short] = _Leaf(short, "json", JSON_TYPE, notes=[*merged[short].notes, note])
    result: dict[str, TraitInfo] = {}
    for path, leaf in merged.items():
        result[trait_column(path)] = TraitInfo(
            column=trait_column(path),
            path=path,
            pointer=trait_pointer(path),
            json_type=leaf.json_type,
            arrow_type=leaf.arrow_type,
            schema_ids=tuple(dict.fromkeys(owners[path])),
            item_json_type=leaf.item_json_type,
            format=leaf.format,
            notes=tuple(leaf.notes),
        )
    return result


def _infer_node(values: Iterable[Any]) -> JSONObject:
    """A JSON Schema node that fits every non-null value seen (no format guessing)."""
    kinds: set[str] = set()
    objects: list[Mapping[str, Any]] = []
    items: list[Any] = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("boolean")
        elif isinstance(v, int):
            kinds.add("integer")
        elif isinstance(v, float):
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        elif isinstance(v, Mapping):
            kinds.add("object")
            objects.append(v)
        elif isinstance(v, list):
            kinds.add("array")
            items.extend(v)
        else:
            kinds.add("unknown")
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    if len(kinds) != 1:
        return {}  # nothing seen, or mixed: a JSON column
    (kind,) = kinds
    if kind == "object":
        keys = list(dict.fromkeys(k for o in objects for k in o))
        return {"type": "object", "properties": {k: _infer_node(o.get(k) for o in objects) for k in keys}}
    if kind == "array":
        return {"type": "array", "items": _infer_node(items)}
    if kind == "unknown":
        return {}
    return {"type": kind}


def infer_schemas(records: Iterable[Mapping[str, Any]]) -> dict[str, JSONObject]:
    """Per ``schema_id``, a JSON Schema inferred from the ``traits`` of the records given."""
    by_schema: dict[str, list[Any]] = {}
    for rec in records:
        by_schema.setdefault(str(rec.get("schema_id") or ""), []).append(rec.get("traits"))
    return {sid: {"type": "object", "properties": {"traits": _infer_node(traits)}} for sid, traits in by_schema.items()}


def trait_arrow_fields(columns: Mapping[str, TraitInfo]) -> list[pa.Field]:
    """The Arrow fields of trait columns, in order."""
    return [info.arrow_field() for info in columns.values()]
