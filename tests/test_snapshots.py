"""diff_snapshots: values compared as write-back compares them, the output shape, and every kind of input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ory_frames import Client, InvalidInputError, diff_snapshots, export_identities, read_identities, sandbox
from ory_frames._schema import JSON_FIELD_METADATA
from ory_frames.snapshots import _buckets
from ory_frames.snapshots._compare import changed_cells, plain

UTC = timezone.utc
T0 = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "new", "json", "changed"),
    [
        # every missing kind is alike: null, NaN (writeback/_payloads.py is_missing)
        (pa.array([1.0, None, float("nan"), 2.0]), pa.array([1.0, float("nan"), None, 3.0]), False, [0, 0, 0, 1]),
        (pa.array([1, 2, None]), pa.array([1.0, 2.5, None]), False, [0, 1, 0]),  # 1 == 1.0
        # the same instant in two zones and units is equal
        (
            pa.array([T0, T0]),
            pa.array([T0.astimezone(timezone(timedelta(hours=2))), T0 + timedelta(seconds=1)]),
            False,
            [0, 1],
        ),
        # lists and structs by value
        (pa.array([[1, 2], [], None]), pa.array([[1, 2], [3], []]), False, [0, 1, 1]),
        (
            pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]),
            pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": "z"}]),
            False,
            [0, 1],
        ),
        # JSON by parsed value: key order and spacing are not changes, 1 against true is
        (
            pa.array(['{"a":1,"b":[1,2]}', '{"a": 1}', '{"a":1}', None]),
            pa.array(['{"b":[1,2],"a":1}', '{"a":1}', '{"a":true}', "{}"]),
            True,
            [0, 0, 1, 1],
        ),
        # categories compare by their values
        (pa.array(["active", "inactive"]).dictionary_encode(), pa.array(["active", "active"]), False, [0, 1]),
    ],
)
def test_changed_cells_compare_by_value(old: pa.Array, new: pa.Array, json: bool, changed: list[int]) -> None:
    mask = changed_cells(plain(old), plain(new), old_json=json, new_json=json)
    assert mask.astype(int).tolist() == changed


def test_text_from_a_csv_is_read_as_the_type_the_other_side_has() -> None:
    # A CSV export holds every value as text (export/_files.py _csv_table): timestamps in one RFC 3339 form,
    # booleans and numbers as written, lists and JSON as JSON text.
    text = pa.array(["2024-01-02T03:04:05.123456Z", "true", "12", '["a","b"]', '{"x":1}'])
    typed = [pa.array([T0]), pa.array([True]), pa.array([12]), pa.array([["a", "b"]])]
    for i, other in enumerate(typed):
        assert changed_cells(text.slice(i, 1), other).tolist() == [False]
    assert changed_cells(text.slice(4, 1), pa.array(['{ "x": 1 }']), new_json=True).tolist() == [False]


def _table(rows: list[dict[str, Any]], json_columns: tuple[str, ...] = ()) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    fields = [f.with_metadata(JSON_FIELD_METADATA) if f.name in json_columns else f for f in table.schema]
    return table.cast(pa.schema(fields))


OLD = [
    {"id": "a", "traits.email": "a@x", "emails": ["a@x"], "metadata_public": '{"p":1}', "updated_at": T0},
    {"id": "b", "traits.email": "b@x", "emails": ["b@x"], "metadata_public": None, "updated_at": T0},
    {"id": "c", "traits.email": "c@x", "emails": [], "metadata_public": "{}", "updated_at": T0},
]


def test_output_rows_columns_and_values() -> None:
    later = T0 + timedelta(hours=1)
    new = [
        {**OLD[0], "emails": ["a@x", "a2@x"], "metadata_public": '{ "p": 1 }', "updated_at": later},
        {**OLD[2]},
        {"id": "d", "traits.email": "d@x", "emails": ["d@x"], "metadata_public": None, "updated_at": later},
    ]
    diff = diff_snapshots(_table(OLD, ("metadata_public",)), _table(new, ("metadata_public",)))
    assert diff["id"].tolist() == ["a", "b", "d"]
    assert diff["change"].tolist() == ["changed", "removed", "added"]
    assert list(diff["change"].cat.categories) == ["added", "removed", "changed"]
    assert diff.loc[0, "columns"] == ["emails", "updated_at"]  # metadata_public: the same JSON value
    assert diff.loc[0, "old.emails"] == ["a@x"] and diff.loc[0, "new.emails"] == ["a@x", "a2@x"]
    assert pd.isna(diff.loc[0, "old.traits.email"])  # unchanged: not shown
    assert diff.loc[1, "old.traits.email"] == "b@x" and pd.isna(diff.loc[1, "new.traits.email"])
    assert diff.loc[1, "columns"] == ["traits.email", "emails", "updated_at"]  # what it held
    assert diff.loc[2, "new.updated_at"] == later and str(diff["new.updated_at"].dtype) == "datetime64[us, UTC]"
    assert diff.attrs["ory_frames"]["diff"] == {
        "added": 1,
        "removed": 1,
        "changed": 1,
        "per_column": {"traits.email": 0, "emails": 1, "metadata_public": 0, "updated_at": 1},
        "columns_added": [],
        "columns_removed": [],
        "ignored": [],
    }
    unmarked = diff_snapshots(_table(OLD), _table(new), ignore=["updated_at", "emails"])  # JSON as plain text
    assert unmarked["columns"].tolist() == [["metadata_public"], ["traits.email"], ["traits.email"]]


def test_a_column_only_one_side_has_changes_where_it_holds_a_value() -> None:
    new = [{**row, "traits.age": 30 if row["id"] == "a" else None} for row in OLD]
    diff = diff_snapshots(_table(OLD), _table(new))
    assert diff["id"].tolist() == ["a"] and diff.loc[0, "columns"] == ["traits.age"]
    assert diff.attrs["ory_frames"]["diff"]["columns_added"] == ["traits.age"]
    back = diff_snapshots(_table(new), _table(OLD))
    assert back.attrs["ory_frames"]["diff"]["columns_removed"] == ["traits.age"]
    assert back.loc[0, "old.traits.age"] == 30


def test_refused_inputs() -> None:
    with pytest.raises(InvalidInputError, match="more than once"):
        diff_snapshots(_table([OLD[0], OLD[0]]), _table(OLD))
    with pytest.raises(InvalidInputError, match="no 'id' column"):
        diff_snapshots(pa.table({"x": [1]}), _table(OLD))
    with pytest.raises(InvalidInputError, match="no such column"):
        diff_snapshots(_table(OLD), _table(OLD), ignore=["nope"])
    with pytest.raises(InvalidInputError, match="does not exist"):
        diff_snapshots("no/such/export.parquet", _table(OLD))
    with pytest.raises(InvalidInputError, match="must be a DataFrame"):
        diff_snapshots([1, 2], _table(OLD))


def test_buckets_are_id_ranges_and_keep_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    ids = [f"{rng.integers(0, 16**8):08x}-x" for _ in range(500)] + ["Zed", "ümlaut", ""]
    where = _buckets.bucket_of(pa.array(ids), 16)
    assert where.min() >= 0 and where.max() < 16
    hex_ids = sorted(zip(ids[:500], where[:500], strict=True))
    assert [b for _, b in hex_ids] == sorted(b for _, b in hex_ids)  # ranges: the id order is the bucket order
    monkeypatch.setattr(_buckets, "ROWS_PER_BUCKET", 7)
    old = _table([{"id": i, "v": k} for k, i in enumerate(ids[:-1])])
    new = _table([{"id": i, "v": k + (k % 50 == 0)} for k, i in enumerate(ids[1:], start=1)])
    diff = diff_snapshots(old, new)
    assert diff.attrs["ory_frames"]["diff"]["changed"] == len([k for k in range(1, len(ids) - 1) if k % 50 == 0])
    assert set(diff.loc[diff["change"] != "changed", "id"]) == {ids[0], ids[-1]}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, Path]]:
    directory = tmp_path_factory.mktemp("snapshots")
    paths = {fmt: directory / f"ids.{fmt}" for fmt in ("parquet", "csv", "jsonl")}
    paths["dataset"] = directory / "by_schema"
    with sandbox.running(seed_identities=200, seed=2) as url, Client(url) as client:
        frame = read_identities(client)
        for fmt, path in paths.items():
            export_identities(client, path, partition_by="schema_id" if fmt == "dataset" else None)
    return frame, paths


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "dataset"])
def test_every_export_format_equals_the_frame_read_at_the_same_time(
    exports: tuple[pd.DataFrame, dict[str, Path]], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, paths = exports
    assert diff_snapshots(frame, paths[fmt]).empty
    monkeypatch.setattr(_buckets, "ROWS_PER_BUCKET", 30)  # spread over temporary files
    assert diff_snapshots(paths["parquet"], paths[fmt]).empty
    edited = frame.drop(index=[0]).copy()
    edited.at[1, "metadata_public"] = {"plan": "changed"}
    diff = diff_snapshots(paths[fmt], edited)
    assert diff.set_index("id")["change"].to_dict() == {frame.loc[0, "id"]: "removed", frame.loc[1, "id"]: "changed"}
    assert diff.loc[diff["change"] == "changed", "new.metadata_public"].iloc[0] == {"plan": "changed"}
