"""The read side and the write-back side agree on every trait column of every schema we know.

For each typed leaf column: the frame built by ``identities_frame`` from a value of the column's
Arrow type, converted back by write-back with the JSON type write-back expects, must pass the
``jsonschema`` type check of the column's own subschema. The frame and the validator are two
independent readings of one schema; they meet only through the schema model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_schema_model import CASES

from ory_frames import identities_frame
from ory_frames._schema import TraitInfo, json_type_of_arrow, trait_columns
from ory_frames.writeback._payloads import to_json_value
from ory_frames.writeback._validate import load_schemas

HERE = Path(__file__).resolve().parent
SCHEMA_FILES = sorted((HERE.parent / "ory_frames" / "sandbox" / "schemas").glob("*.json")) + sorted(
    (HERE / "data" / "identity-schemas").glob("*.schema.json")
)
SCHEMAS: list[Any] = [pytest.param(json.loads(p.read_text()), id=p.name) for p in SCHEMA_FILES]
SCHEMAS += [pytest.param(schema, id=f"case-{name}") for name, schema, _ in CASES]

# One value per JSON type, as Ory would send it in the traits (wire notes §3).
SAMPLES: dict[str, Any] = {"string": "abc", "integer": 20, "number": 2.5, "boolean": True}
DATE_TIME = "2024-01-02T03:04:05Z"


def _sample(json_type: str | None, fmt: str | None) -> Any:
    return DATE_TIME if fmt == "date-time" else SAMPLES[str(json_type)]


def _traits(columns: dict[str, TraitInfo]) -> dict[str, Any]:
    """A traits document with one sample value in every typed column."""
    traits: dict[str, Any] = {}
    for info in columns.values():
        if info.is_json:
            continue
        value = (
            [_sample(info.item_json_type, info.format)]
            if info.json_type == "array"
            else _sample(info.json_type, info.format)
        )
        node = traits
        for key in info.path[:-1]:
            node = node.setdefault(key, {})
        node[info.path[-1]] = value
    return traits


def _allows(declared: Any, json_type: str) -> bool:
    """Whether a JSON Schema ``type`` keyword admits values of ``json_type`` (an integer is a number)."""
    if declared is None:
        return True
    names = [declared] if isinstance(declared, str) else list(declared)
    return json_type in names or (json_type == "integer" and "number" in names)


def test_every_known_schema_is_covered() -> None:
    names = {p.name for p in SCHEMA_FILES}
    assert {"default.json", "b2b.json", "phone.json", "username.json"} <= names
    assert len([n for n in names if n.endswith(".schema.json")]) == 4


@pytest.mark.parametrize("schema", SCHEMAS)
def test_read_and_write_back_agree_on_every_leaf(schema: dict[str, Any]) -> None:
    columns = trait_columns({"s": schema})
    infos = load_schemas({"s": schema})
    assert infos is not None
    info = infos["s"]
    record = {"id": "00000000-0000-0000-0000-000000000001", "schema_id": "s", "state": "active"}
    frame = identities_frame([{**record, "traits": _traits(columns)}], schemas={"s": schema})
    for column, trait in columns.items():
        assert column in frame.columns
        if trait.is_json:
            continue  # any JSON value: the frame keeps it whole and write-back sends it back as it is
        read_type = json_type_of_arrow(trait.arrow_field())
        assert read_type == trait.json_type or (read_type, trait.format) == ("string", "date-time"), column
        assert column in info.column_types, f"write-back does not know {column}"
        declared = info.column_types[column]
        assert _allows(declared, trait.json_type), (column, trait.json_type, declared)
        cell = frame.at[0, column]
        value = to_json_value(cell, declared)
        type_errors = [e.message for e in info.leaf_validator(column).iter_errors(value) if e.validator == "type"]
        assert type_errors == [], (column, cell, value)
