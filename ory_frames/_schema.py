"""Identity JSON Schema -> Arrow fields for the ``traits.<path>`` columns (pure: no I/O, no httpx).

A schema's ``properties.traits`` is walked after resolving local ``$ref``s. Nested objects are
flattened with dots (``traits.name.first``); what has no single Arrow type (``oneOf``/``anyOf``,
untyped values, objects without properties, arrays of objects) becomes one JSON text column.
Several schemas are merged into one set of columns; a path whose types disagree is widened to JSON
text and the reason is kept in :attr:`TraitInfo.notes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ._types import JSONObject

__all__ = [
    "JSON_FIELD_METADATA",
    "JSON_TYPE",
    "TraitInfo",
    "infer_schemas",
    "normalize_schemas",
    "trait_arrow_fields",
    "trait_columns",
]

# JSON text columns use Arrow's canonical JSON extension type where pyarrow has it (>= 19); the field
# metadata marks them either way, so readers of older files still know the string holds JSON.
JSON_TYPE: pa.DataType = pa.json_() if hasattr(pa, "json_") else pa.string()
JSON_FIELD_METADATA: dict[bytes, bytes] = {b"ory_frames.json": b"1"}

# JSON Schema scalar "type" -> Arrow type. Must match the `traits.<path>` row of the column table in
# docs/architecture.md ("Frames and Arrow"): integer is int64 (nullable), number float64.
SCALAR_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}

# String "format" -> Arrow type, where it differs from plain string. Formats not listed (email, tel,
# uri, date, ...) stay strings. date-time becomes a UTC timestamp; write-back turns it back into an
# RFC 3339 string (TraitInfo.format tells it to).
STRING_FORMAT_ARROW_TYPES: dict[str, pa.DataType] = {
    "date-time": pa.timestamp("us", tz="UTC"),
}

_MAX_REF_DEPTH = 32


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


def _pointer(path: tuple[str, ...]) -> str:
    """The JSON pointer of a trait path (RFC 6901 escaping of ``~`` and ``/``)."""
    return "/traits" + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _column(path: tuple[str, ...]) -> str:
    return ".".join(("traits", *path))


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


def _resolve(node: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    """Follow local ``$ref`` (``#/...``) chains; remote refs are left as they are."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        if depth > _MAX_REF_DEPTH:
            return {}
        target: Any = root
        for raw in node["$ref"][1:].split("/")[1:]:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and key in target:
                target = target[key]
            elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
                target = target[int(key)]
            else:
                return {}
        # Sibling keywords next to $ref (allowed from draft 2019-09) are merged in, the ref losing.
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings} if isinstance(target, Mapping) and siblings else target
        depth += 1
    return node


def _json_type_of(node: Mapping[str, Any]) -> str | None:
    """The single non-null JSON type a node declares or implies, else None."""
    raw = node.get("type")
    types = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    types = [t for t in types if t != "null"]
    if len(types) == 1:
        return str(types[0])
    if types:
        return None
    values = node["enum"] if isinstance(node.get("enum"), list) else [node["const"]] if "const" in node else None
    if values:
        kinds = {type(v) for v in values if v is not None}
        if kinds == {str}:
            return "string"
        if kinds == {bool}:
            return "boolean"
        if kinds == {int}:
            return "integer"
    if isinstance(node.get("properties"), Mapping):
        return "object"
    return None


def _scalar(node: Mapping[str, Any], json_type: str | None) -> tuple[pa.DataType, str | None] | None:
    """Arrow type and format of a scalar node, or None when it is not a plain scalar."""
    if json_type not in SCALAR_ARROW_TYPES or any(k in node for k in ("oneOf", "anyOf")):
        return None
    fmt = node.get("format") if json_type == "string" else None
    if isinstance(fmt, str) and fmt in STRING_FORMAT_ARROW_TYPES:
        return STRING_FORMAT_ARROW_TYPES[fmt], fmt
    return SCALAR_ARROW_TYPES[json_type], None


def _walk(node: Any, root: Mapping[str, Any], path: tuple[str, ...], out: list[_Leaf], depth: int = 0) -> None:
    node = _resolve(node, root)
    if not isinstance(node, Mapping):
        # `true` / missing schema: anything goes.
        out.append(_Leaf(path, "json", JSON_TYPE))
        return
    json_type = _json_type_of(node)
    if json_type == "object" and not any(k in node for k in ("oneOf", "anyOf")):
        props = node.get("properties")
        if isinstance(props, Mapping) and props and depth < _MAX_REF_DEPTH:
            if path and any("." in k or not k for k in props):
                # Keys with a literal "." cannot be flattened (docs/architecture.md): keep the object whole.
                out.append(_Leaf(path, "json", JSON_TYPE, notes=["a property name contains '.'"]))
                return
            for key, sub in props.items():
                if "." in key or not key:
                    continue  # top-level trait names with dots stay out of the columns
                _walk(sub, root, (*path, str(key)), out, depth + 1)
            return
        if path:
            out.append(_Leaf(path, "json", JSON_TYPE))
        return
    if not path:
        return
    scalar = _scalar(node, json_type)
    if scalar is not None:
        out.append(_Leaf(path, str(json_type), scalar[0], format=scalar[1]))
        return
    if json_type == "array" and not any(k in node for k in ("oneOf", "anyOf")):
        items = _resolve(node.get("items"), root)
        if isinstance(items, Mapping):
            item_type = _json_type_of(items)
            item = _scalar(items, item_type)
            if item is not None:
                out.append(_Leaf(path, "array", pa.list_(item[0]), item_json_type=item_type, format=item[1]))
                return
    out.append(_Leaf(path, "json", JSON_TYPE))


def _leaves(schema: Mapping[str, Any]) -> list[_Leaf]:
    root = _resolve(schema, schema)
    props = root.get("properties") if isinstance(root, Mapping) else None
    traits = props.get("traits") if isinstance(props, Mapping) else None
    out: list[_Leaf] = []
    if traits is not None:
        _walk(traits, schema, (), out)
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
        for leaf in _leaves(schema):
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
        result[_column(path)] = TraitInfo(
            column=_column(path),
            path=path,
            pointer=_pointer(path),
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
