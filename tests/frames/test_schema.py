"""Identity JSON Schema -> trait columns (ory_frames._schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ory_frames._schema import JSON_TYPE, infer_schemas, normalize_schemas, trait_columns


def wrap(traits: dict[str, Any], **root: Any) -> dict[str, Any]:
    """An identity schema whose traits are ``traits``."""
    return {"type": "object", "properties": {"traits": traits}, **root}


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


TS = pa.timestamp("us", tz="UTC")
# Kratos' example identity schemas, copied from ory/kratos (tests/data/PROVENANCE.md).
KRATOS_SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "identity-schemas"

MAPPING = [
    # (trait schema, column, json_type, arrow type)
    ({"type": "string"}, "traits.x", "string", pa.string()),
    ({"type": "string", "format": "email"}, "traits.x", "string", pa.string()),
    ({"type": "string", "format": "tel"}, "traits.x", "string", pa.string()),
    ({"type": "string", "format": "date-time"}, "traits.x", "string", TS),
    ({"type": "integer"}, "traits.x", "integer", pa.int64()),
    ({"type": "number"}, "traits.x", "number", pa.float64()),
    ({"type": "boolean"}, "traits.x", "boolean", pa.bool_()),
    ({"type": ["string", "null"]}, "traits.x", "string", pa.string()),
    ({"enum": ["a", "b"]}, "traits.x", "string", pa.string()),
    ({"type": "string", "enum": ["a", "b"]}, "traits.x", "string", pa.string()),
    ({"const": 3}, "traits.x", "integer", pa.int64()),
    ({"type": "array", "items": {"type": "string"}}, "traits.x", "array", pa.list_(pa.string())),
    ({"type": "array", "items": {"type": "integer"}}, "traits.x", "array", pa.list_(pa.int64())),
    ({"type": "array", "items": {"type": "string", "format": "date-time"}}, "traits.x", "array", pa.list_(TS)),
    # Not representable as one Arrow type: JSON text.
    ({"type": "array", "items": obj(a={"type": "string"})}, "traits.x", "json", JSON_TYPE),
    ({"type": "array"}, "traits.x", "json", JSON_TYPE),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "traits.x", "json", JSON_TYPE),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "traits.x", "json", JSON_TYPE),
    ({"type": ["string", "integer"]}, "traits.x", "json", JSON_TYPE),
    ({}, "traits.x", "json", JSON_TYPE),
    ({"type": "object"}, "traits.x", "json", JSON_TYPE),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "traits.x", "json", JSON_TYPE),
    # docs/architecture.md: keys with a literal "." cannot be flattened; the object stays whole.
    (obj(**{"a.b": {"type": "string"}}), "traits.x", "json", JSON_TYPE),
]


@pytest.mark.parametrize(("node", "column", "json_type", "arrow_type"), MAPPING)
def test_mapping(node: dict[str, Any], column: str, json_type: str, arrow_type: pa.DataType) -> None:
    cols = trait_columns({"s": wrap(obj(x=node))})
    assert list(cols) == [column]
    info = cols[column]
    assert info.json_type == json_type
    assert info.arrow_type == arrow_type
    assert info.pointer == "/traits/x"
    assert info.schema_ids == ("s",)


def test_date_time_records_format() -> None:
    info = trait_columns({"s": wrap(obj(born={"type": "string", "format": "date-time"}))})["traits.born"]
    assert info.format == "date-time"


def test_nested_objects_flatten_with_dots_and_pointers_escape() -> None:
    schema = wrap(obj(name=obj(first={"type": "string"}, last={"type": "string"}), **{"a/b~c": {"type": "integer"}}))
    cols = trait_columns({"s": schema})
    assert list(cols) == ["traits.name.first", "traits.name.last", "traits.a/b~c"]
    assert cols["traits.name.first"].pointer == "/traits/name/first"
    assert cols["traits.name.first"].path == ("name", "first")
    assert cols["traits.a/b~c"].pointer == "/traits/a~1b~0c"  # RFC 6901 escaping


def test_local_refs_resolve_including_the_traits_node() -> None:
    schema = {
        "definitions": {
            "traits": obj(
                email={"$ref": "#/definitions/email"}, tags={"type": "array", "items": {"$ref": "#/$defs/t"}}
            ),
            "email": {"type": "string", "format": "email"},
        },
        "$defs": {"t": {"type": "string"}},
        "type": "object",
        "properties": {"traits": {"$ref": "#/definitions/traits"}},
    }
    cols = trait_columns({"s": schema})
    assert {c: i.arrow_type for c, i in cols.items()} == {
        "traits.email": pa.string(),
        "traits.tags": pa.list_(pa.string()),
    }


def test_recursive_ref_does_not_loop() -> None:
    schema = {
        "definitions": {"n": obj(child={"$ref": "#/definitions/n"})},
        **wrap(obj(root={"$ref": "#/definitions/n"})),
    }
    cols = trait_columns({"s": schema})
    assert len(cols) == 1
    assert next(iter(cols.values())).json_type == "json"


def test_unresolvable_ref_is_json() -> None:
    cols = trait_columns({"s": wrap(obj(x={"$ref": "#/definitions/missing"}))})
    assert cols["traits.x"].json_type == "json"


def test_union_of_schemas_keeps_every_column_and_owner() -> None:
    a = wrap(obj(email={"type": "string"}, age={"type": "integer"}))
    b = wrap(obj(email={"type": "string"}, username={"type": "string"}))
    cols = trait_columns({"a": a, "b": b})
    assert list(cols) == ["traits.email", "traits.age", "traits.username"]
    assert cols["traits.email"].schema_ids == ("a", "b")
    assert cols["traits.username"].schema_ids == ("b",)


def test_conflicting_types_widen_to_json_with_a_note() -> None:
    a = wrap(obj(age={"type": "integer"}))
    b = wrap(obj(age={"type": "string"}))
    info = trait_columns({"a": a, "b": b})["traits.age"]
    assert info.json_type == "json"
    assert info.arrow_type == JSON_TYPE
    assert info.schema_ids == ("a", "b")
    assert any("widened" in n for n in info.notes)


def test_object_in_one_schema_and_leaf_in_another_collapse() -> None:
    a = wrap(obj(name=obj(first={"type": "string"})))
    b = wrap(obj(name={"type": "string"}))
    cols = trait_columns({"a": a, "b": b})
    assert list(cols) == ["traits.name"]
    assert cols["traits.name"].json_type == "json"
    assert cols["traits.name"].schema_ids == ("b", "a")


def test_kratos_example_schemas() -> None:
    schemas = {p.name.split(".")[0]: json.loads(p.read_text()) for p in sorted(KRATOS_SCHEMAS.glob("*.schema.json"))}
    assert len(schemas) == 4
    cols = trait_columns(schemas)
    assert cols["traits.emails"].arrow_type == pa.list_(pa.string())  # multiple-emails-username
    assert cols["traits.name.first"].arrow_type == pa.string()
    assert set(cols["traits.email"].schema_ids) == {"email-password-name", "email-phone-password", "username-email"}
    assert all(not i.notes for i in cols.values())


def test_normalize_accepts_get_schemas_items() -> None:
    # wire notes §11: GET /schemas answers [{"id": ..., "schema": {...}}]
    items = [{"id": "default", "schema": wrap(obj(email={"type": "string"}))}]
    assert list(trait_columns(items)) == ["traits.email"]
    assert normalize_schemas(items) == {"default": items[0]["schema"]}


def test_schema_without_traits_has_no_columns() -> None:
    assert trait_columns({"s": {"type": "object"}}) == {}


INFERENCE = [
    ([{"a": "x"}, {"a": None}], "traits.a", pa.string()),
    ([{"a": 1}, {"a": 2}], "traits.a", pa.int64()),
    ([{"a": 1}, {"a": 2.5}], "traits.a", pa.float64()),
    ([{"a": True}], "traits.a", pa.bool_()),
    ([{"a": ["x"]}, {"a": []}], "traits.a", pa.list_(pa.string())),
    ([{"a": "x"}, {"a": 1}], "traits.a", JSON_TYPE),
    ([{"a": [{"k": 1}]}], "traits.a", JSON_TYPE),
    ([{"a": {"b": "x"}}], "traits.a.b", pa.string()),
]


@pytest.mark.parametrize(("traits", "column", "arrow_type"), INFERENCE)
def test_inference(traits: list[dict[str, Any]], column: str, arrow_type: pa.DataType) -> None:
    records = [{"id": str(i), "schema_id": "s", "traits": t} for i, t in enumerate(traits)]
    cols = trait_columns(infer_schemas(records))
    assert cols[column].arrow_type == arrow_type
