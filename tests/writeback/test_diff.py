"""plan_changes on small frames: which cells become which JSON Patch operations."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from writeback_fakes import frame_of, identity

from ory_frames.writeback import plan_changes
from ory_frames.writeback._diff import changed_mask


def _patch_of(plan: Any, identity_id: str) -> list[dict[str, Any]]:
    ops = [op for op in plan.operations if op.action == "patch" and op.identity_id == identity_id]
    assert len(ops) == 1
    return list(ops[0].patch)


def test_unchanged_frame_plans_nothing(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    plan = plan_changes(original, original.copy(), schemas=schemas)
    assert plan.operations == []
    assert not plan
    assert plan.summary().to_dict() == {"create": 0, "patch": 0, "delete": 0, "skip": 0}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("traits.age", 41, {"op": "replace", "path": "/traits/age", "value": 41}),
        # A float that is integral goes back as an int for an integer trait.
        ("traits.age", 41.0, {"op": "replace", "path": "/traits/age", "value": 41}),
        ("traits.age", np.int64(41), {"op": "replace", "path": "/traits/age", "value": 41}),
        ("traits.age", None, {"op": "remove", "path": "/traits/age"}),
        ("traits.age", pd.NA, {"op": "remove", "path": "/traits/age"}),
        ("traits.name.first", "Zoë 🦊", {"op": "replace", "path": "/traits/name/first", "value": "Zoë 🦊"}),
        ("traits.name.first", np.nan, {"op": "remove", "path": "/traits/name/first"}),
        ("traits.newsletter", True, {"op": "add", "path": "/traits/newsletter", "value": True}),
        ("traits.newsletter", np.True_, {"op": "add", "path": "/traits/newsletter", "value": True}),
        ("state", "inactive", {"op": "replace", "path": "/state", "value": "inactive"}),
        ("external_id", "ext-1", {"op": "add", "path": "/external_id", "value": "ext-1"}),
        ("metadata_admin", {"tier": 9, "tags": ["a"]}, {"op": "replace", "path": "/metadata_admin",
                                                         "value": {"tier": 9, "tags": ["a"]}}),
        ("metadata_admin", None, {"op": "remove", "path": "/metadata_admin"}),
        ("metadata_public", {"n": np.int64(3)}, {"op": "add", "path": "/metadata_public", "value": {"n": 3}}),
    ],
)  # fmt: skip
def test_cell_changes(
    original: pd.DataFrame, schemas: dict[str, Any], column: str, value: Any, expected: dict[str, Any]
) -> None:
    edited = original.copy()
    if column not in edited.columns:
        edited[column] = pd.Series([None] * len(edited), dtype=object)
    if column.startswith("metadata") or isinstance(value, float | np.generic) or value is None:
        edited[column] = edited[column].astype(object)
    edited.at[1, column] = value
    plan = plan_changes(original, edited, schemas=schemas)
    patch = _patch_of(plan, original.at[1, "id"])
    assert patch == [expected]
    payload = plan.payloads()[0]
    # Plain Python types only: a strict JSON round trip gives back the same value.
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    if "value" in expected:
        assert type(payload["body"][0]["value"]) is type(expected["value"])


def test_int_column_as_float_dtype_stays_int(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype("float64")
    edited.loc[2, "traits.age"] = 99
    plan = plan_changes(original, edited, schemas=schemas)
    [op] = _patch_of(plan, original.at[2, "id"])
    assert op["value"] == 99 and type(op["value"]) is int


def test_int_typing_without_schemas_uses_dtype(original: pd.DataFrame) -> None:
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype("float64")
    edited.loc[0, "traits.age"] = 30.0
    plan = plan_changes(original, edited)
    [op] = _patch_of(plan, original.at[0, "id"])
    assert op["value"] == 30 and type(op["value"]) is int


def test_missing_kinds_are_equal(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    """None, NaN and pd.NA in a cell that was already missing are no change."""
    edited = original.copy()
    edited["traits.newsletter"] = edited["traits.newsletter"].astype(object)
    edited.loc[0, "traits.newsletter"] = np.nan
    edited.loc[1, "traits.newsletter"] = None
    edited["metadata_public"] = [np.nan, None, pd.NA, None, None]
    assert plan_changes(original, edited, schemas=schemas).operations == []


def test_rows_matched_by_id_not_position(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.iloc[::-1].reset_index(drop=True)
    edited.loc[0, "traits.name.last"] = "Changed"  # the row that was last
    plan = plan_changes(original, edited, schemas=schemas)
    assert [op.identity_id for op in plan.operations] == [original.at[4, "id"]]
    assert plan.operations[0].row == 0


def test_several_changes_one_identity(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited.loc[3, ["traits.name.first", "state"]] = ["New", "inactive"]
    plan = plan_changes(original, edited, schemas=schemas)
    paths = [op["path"] for op in _patch_of(plan, original.at[3, "id"])]
    assert sorted(paths) == ["/state", "/traits/name/first"]
    assert plan.summary()["patch"] == 1


def test_new_rows_become_batch_creates(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    new = pd.DataFrame([{"traits.email": "new@example.com", "traits.age": 33.0, "password": "hunter2-long"}])
    edited = pd.concat([original, new], ignore_index=True)
    plan = plan_changes(original, edited, schemas=schemas)
    [create] = [op for op in plan.operations if op.action == "create"]
    assert create.row == 5
    assert create.body == {
        "schema_id": "default",
        "traits": {"email": "new@example.com", "age": 33},
        "credentials": {"password": {"config": {"password": "hunter2-long"}}},
    }
    again = plan_changes(original, edited, schemas=schemas)
    assert again.plan_id == plan.plan_id and again.operations[0].patch_id == create.patch_id
    [request] = plan.payloads()
    assert request["method"] == "PATCH" and request["path"] == "/admin/identities"
    assert request["body"]["identities"][0]["patch_id"] == create.patch_id


def test_missing_rows_skip_or_delete(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.drop(index=[1, 3])
    plan = plan_changes(original, edited, schemas=schemas)
    assert plan.summary().to_dict() == {"create": 0, "patch": 0, "delete": 0, "skip": 2}
    assert set(plan.preview()["new"]) == {"skipped: missing from edited, allow_delete=False"}
    assert plan.payloads() == []
    plan = plan_changes(original, edited, schemas=schemas, allow_delete=True)
    assert plan.summary()["delete"] == 2
    assert [p["method"] for p in plan.payloads()] == ["DELETE", "DELETE"]


def test_dropped_columns_are_not_changes(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original[["id", "traits.email"]].copy()
    assert plan_changes(original, edited, schemas=schemas).operations == []


def test_schema_from_frame_attrs(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    original.attrs["ory_frames"] = {"schemas": schemas, "schemas_inferred": False}
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.loc[0, "traits.age"] = 3.5
    with pytest.raises(ValueError, match=r"3\.5 is not an integer \(schema 'default'\)"):
        plan_changes(original, edited)


def test_changed_mask_vectorised_types() -> None:
    old = pd.Series(pd.array([1, 2, None, 4], dtype="Int64"))
    new = pd.Series([1.0, 3.0, np.nan, None])
    assert changed_mask(old, new).tolist() == [False, True, False, True]
    cats = pd.Series(pd.Categorical(["active", "inactive"]))
    assert changed_mask(cats, pd.Series(["active", "active"])).tolist() == [False, True]
    lists = pd.Series([np.array(["a"]), ["b"], {"x": 1}], dtype=object)
    assert changed_mask(lists, pd.Series([["a"], ["c"], {"x": 1.0}], dtype=object)).tolist() == [False, True, False]


def test_identity_helper_shape() -> None:
    frame = frame_of([identity(0)])
    assert frame.loc[0, "traits.email"] == "user0@example.com"
