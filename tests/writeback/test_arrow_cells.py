"""Write-back of frames whose nested columns are Arrow-backed and whose JSON columns are parsed on access.

A frame as read holds lists and structs as ``pd.ArrowDtype`` and JSON as text; an edited frame may
hold the same, Python lists a user assigned (an object column), or new rows without those columns.
Unchanged nested values must never become patches, and a changed one becomes exactly its patch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ory_frames import InvalidInputError, identities_frame, plan_changes
from ory_frames.writeback._diff import changed_mask

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}
ROWS = 1200  # more than one block of the Arrow comparison


def _identity(n: int) -> dict[str, Any]:
    email = f"user{n}@example.com"
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "schema_id": "default",
        "state": "active",
        "traits": {"email": email, "tags": [f"t{n % 7}", "all"] if n % 5 else []},
        "metadata_public": {"plan": ["free", "pro"][n % 2], "seats": n} if n % 3 else None,
        "verifiable_addresses": [
            {
                "id": f"00000000-0000-4000-9000-{n:012d}",
                "value": email,
                "verified": n % 2 == 0,
                "via": "email",
                "status": "completed" if n % 2 == 0 else "sent",
                "created_at": "2024-01-02T03:04:05.123456Z",
                "updated_at": "2024-01-02T03:04:05Z",
            }
        ],
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02T03:04:05Z",
    }


@pytest.fixture
def original() -> pd.DataFrame:
    return identities_frame([_identity(n) for n in range(ROWS)], schemas={"default": SCHEMA})


def _patches(plan: Any) -> dict[str, list[dict[str, Any]]]:
    return {op.identity_id: list(op.patch) for op in plan.operations if op.action == "patch"}


def test_columns_are_arrow_backed(original: pd.DataFrame) -> None:
    for column in ("traits.tags", "verifiable_addresses", "emails", "credential_types"):
        assert isinstance(original[column].dtype, pd.ArrowDtype), column
    assert original["traits.tags"].list.len().tolist()[:6] == [0, 2, 2, 2, 2, 0]
    assert original["verifiable_addresses"].list.len().sum() == ROWS


def test_a_copy_a_reordered_copy_and_python_lists_plan_nothing(original: pd.DataFrame) -> None:
    assert plan_changes(original, original.copy()).operations == []
    assert plan_changes(original, original.sample(frac=1, random_state=3)).operations == []
    edited = original.copy()
    for column in ("traits.tags", "verifiable_addresses", "recovery_addresses", "emails", "metadata_public"):
        edited[column] = edited[column].tolist()  # Python lists and dicts, in object columns
        assert edited[column].dtype == object
    assert plan_changes(original, edited).operations == []


def test_a_changed_list_cell_is_one_patch(original: pd.DataFrame) -> None:
    edited = original.copy()
    edited["traits.tags"] = edited["traits.tags"].tolist()  # then cells take Python lists
    edited.at[700, "traits.tags"] = ["vip"]
    edited.at[5, "traits.tags"] = ["new"]  # was []
    patches = _patches(plan_changes(original, edited))
    assert patches == {
        original.at[700, "id"]: [{"op": "replace", "path": "/traits/tags", "value": ["vip"]}],
        original.at[5, "id"]: [{"op": "replace", "path": "/traits/tags", "value": ["new"]}],
    }


def test_a_changed_arrow_column_is_one_patch_per_changed_row(original: pd.DataFrame) -> None:
    edited = original.copy()
    tags = original["traits.tags"].tolist()
    tags[1100] = ["t0", "all", "extra"]
    edited["traits.tags"] = pd.Series(tags, index=original.index, dtype=original["traits.tags"].dtype)
    assert isinstance(edited["traits.tags"].dtype, pd.ArrowDtype)
    patches = _patches(plan_changes(original, edited))
    assert patches == {original.at[1100, "id"]: [{"op": "replace", "path": "/traits/tags", "value": tags[1100]}]}


def test_json_cells_edited_in_place_or_assigned_are_patches(original: pd.DataFrame) -> None:
    edited = original.copy()
    edited.loc[1, "metadata_public"]["plan"] = "enterprise"  # a dict edited in place
    edited.at[3, "metadata_public"] = {"plan": "team"}
    patches = _patches(plan_changes(original, edited))
    assert patches == {
        original.at[1, "id"]: [
            {"op": "replace", "path": "/metadata_public", "value": {"plan": "enterprise", "seats": 1}}
        ],
        original.at[3, "id"]: [{"op": "add", "path": "/metadata_public", "value": {"plan": "team"}}],
    }
    assert original.loc[1, "metadata_public"] == {"plan": "pro", "seats": 1}  # the original is untouched


def test_new_rows_appended_with_concat(original: pd.DataFrame) -> None:
    new = pd.DataFrame({"schema_id": ["default"], "traits.email": ["new@example.com"], "traits.tags": [["a", "b"]]})
    edited = pd.concat([original, new], ignore_index=True)
    plan = plan_changes(original, edited)
    assert plan.summary()["create"] == 1 and plan.summary()["patch"] == 0
    body = plan.payloads()[0]["body"]["identities"][0]["create"]
    assert body["traits"] == {"email": "new@example.com", "tags": ["a", "b"]}


def test_read_only_nested_columns_changed_are_problems(original: pd.DataFrame) -> None:
    edited = original.copy()
    addresses = original["verifiable_addresses"].tolist()
    assert addresses[1][0]["verified"] is False
    addresses[1] = [{**addresses[1][0], "verified": True}]
    edited["verifiable_addresses"] = addresses
    with pytest.raises(InvalidInputError, match="'verifiable_addresses' is read-only here"):
        plan_changes(original, edited)


def test_changed_mask_compares_arrow_lists_by_value(original: pd.DataFrame) -> None:
    column = original["verifiable_addresses"]
    as_objects = pd.Series(column.tolist(), dtype=object)
    assert not changed_mask(column, as_objects).any()
    assert not changed_mask(as_objects, column).any()
    assert not changed_mask(column, column.copy()).any()
    changed = column.tolist()
    changed[800] = []
    changed[10] = pd.NA
    mask = changed_mask(column, pd.Series(changed, dtype=column.dtype))
    assert np.flatnonzero(mask).tolist() == [10, 800]
