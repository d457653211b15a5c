"""Hostile edited frames: duplicate columns, odd ids, non-strings in string fields, categoricals with NaN.

Each one must give a valid plan or an InvalidInputError naming the row and column, never another exception.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ory_frames._errors import InvalidInputError
from ory_frames.writeback import plan_changes


def _problems(original: pd.DataFrame, edited: pd.DataFrame, schemas: Any = None) -> list[str]:
    with pytest.raises(InvalidInputError) as info:
        plan_changes(original, edited, schemas=schemas)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("which", ["original", "edited"])
def test_duplicate_column_names_are_refused(original: pd.DataFrame, schemas: dict[str, Any], which: str) -> None:
    # pandas gives a DataFrame for a duplicated label; nothing tells which of the two columns is meant.
    doubled = pd.concat([original, original[["traits.email", "state"]]], axis=1)
    frames = (doubled, original.copy()) if which == "original" else (original, doubled)
    problems = _problems(*frames, schemas)
    assert problems == [
        f"column 'traits.email': the {which} frame has more than one column named 'traits.email'; keep one",
        f"column 'state': the {which} frame has more than one column named 'state'; keep one",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({}, "{}"),
        ({"id": 1}, "{'id': 1}"),
        (["00000000-0000-0000-0000-000000000001"], "['00000000-0000-0000-0000-000000000001']"),
        (np.array([1, 2]), "array([1, 2])"),  # `== ""` on an array cell would be ambiguous
        (42, "42"),
        (True, "True"),
        ("not-a-uuid", "'not-a-uuid'"),
        ("  ", "'  '"),
        (" 00000000-0000-0000-0000-000000000002", "' 00000000-0000-0000-0000-000000000002'"),
        ("x" * 1000, "'" + "x" * 54 + "...x'"),  # messages stay short
    ],
)
def test_an_id_that_is_not_a_uuid_is_refused(original: pd.DataFrame, value: Any, shown: str) -> None:
    # wire notes §§1, 2 and 7: ids are UUIDs; Ory answers 400/404 for anything else.
    edited = original.copy()
    edited["id"] = edited["id"].astype(object)
    edited.at[2, "id"] = value
    problems = _problems(original, edited)
    assert problems == [f"row 2, column 'id': {shown} is not an identity id (a UUID)"]


def test_an_unhashable_id_on_a_new_row_is_refused(original: pd.DataFrame) -> None:
    new = pd.DataFrame([{"schema_id": "default", "traits.email": "x@example.org", "id": {}}], index=[99])
    assert _problems(original, pd.concat([original, new])) == ["row 99, column 'id': {} is not an identity id (a UUID)"]


def test_bad_or_duplicate_ids_in_the_original_are_refused(original: pd.DataFrame) -> None:
    broken = original.copy()
    broken["id"] = broken["id"].astype(object)
    broken.at[0, "id"] = {"a": 1}
    broken.at[4, "id"] = broken.at[3, "id"]
    problems = _problems(broken, broken.copy())
    assert problems == [
        "row 0, column 'id': {'a': 1} in the original frame is not an identity id (a UUID)",
        "row 3, column 'id': the original frame has a missing or duplicate id",
        "row 4, column 'id': the original frame has a missing or duplicate id",
        "row 0, column 'id': {'a': 1} is not an identity id (a UUID)",
        "row 3, column 'id': duplicate id '00000000-0000-0000-0000-000000000004' in the edited frame",
        "row 4, column 'id': duplicate id '00000000-0000-0000-0000-000000000004' in the edited frame",
    ]


def test_uuid_objects_and_object_dtype_ids_match_their_text(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["id"] = [uuid.UUID(i) for i in edited["id"]]
    edited.at[1, "traits.name.first"] = "Other"
    plan = plan_changes(original, edited, schemas=schemas)
    assert [(op.action, op.identity_id) for op in plan.operations] == [("patch", original.at[1, "id"])]


@pytest.mark.parametrize("column", ["schema_id", "external_id"])
@pytest.mark.parametrize("value", [{}, {"a": 1}, ["default"], [], np.array(["default"])])
@pytest.mark.parametrize("with_schemas", [True, False])
def test_objects_and_arrays_in_string_fields_are_refused(
    original: pd.DataFrame, schemas: dict[str, Any], column: str, value: Any, with_schemas: bool
) -> None:
    # Ory's schema_id and external_id are strings (wire notes §3).
    edited = original.copy()
    cells = edited[column].astype(object).tolist() if column in edited.columns else [None] * len(edited)
    cells[0] = value  # a list, not `.at`: pandas stores an array assigned with `.at` as a 0-d array
    edited[column] = pd.Series(cells, index=edited.index, dtype=object)
    new = pd.DataFrame([{"traits.email": "new@example.org", column: value}], index=[50])
    problems = _problems(original, pd.concat([edited, new]), schemas if with_schemas else None)
    assert any(p.startswith(f"row 0, column '{column}': ") and "is not a string" in p for p in problems), problems
    assert any(p.startswith(f"row 50, column '{column}': ") for p in problems), problems


def test_objects_in_typed_traits_are_refused_by_type(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["traits.name.first"] = edited["traits.name.first"].astype(object)
    edited.at[1, "traits.name.first"] = {"given": "Ann"}
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[2, "traits.age"] = [30]
    assert _problems(original, edited, schemas) == [
        "row 1, column 'traits.name.first': {'given': 'Ann'} is not a string (schema 'default')",
        "row 2, column 'traits.age': [30] is not an integer (schema 'default')",
    ]


@pytest.mark.parametrize("with_schemas", [True, False])
def test_integer_categorical_with_missing_values_removes(
    original: pd.DataFrame, schemas: dict[str, Any], with_schemas: bool
) -> None:
    # Integer categories cannot hold NaN: the column compares by its categories' values instead.
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[0, "traits.age"] = None
    edited.at[3, "traits.age"] = 99
    edited["traits.age"] = edited["traits.age"].astype("category")
    assert edited["traits.age"].cat.categories.dtype == np.int64
    plan = plan_changes(original, edited, schemas=schemas if with_schemas else None)
    patches = {op.row: op.patch for op in plan.operations}
    assert patches == {
        0: [{"op": "remove", "path": "/traits/age"}],
        3: [{"op": "replace", "path": "/traits/age", "value": 99}],
    }
    assert type(patches[3][0]["value"]) is int


@pytest.mark.parametrize(
    ("dtype", "columns"),
    [
        ("category", ["traits.age", "traits.newsletter", "traits.name.first", "schema_id", "created_at"]),
        ("object", ["traits.age", "traits.newsletter", "traits.name.first", "schema_id", "state", "created_at"]),
        ("float", ["traits.age"]),
        ("string", ["traits.name.first", "schema_id", "state"]),
    ],
)
def test_unchanged_casts_plan_nothing(
    original: pd.DataFrame, schemas: dict[str, Any], dtype: str, columns: list[str]
) -> None:
    edited = original.copy()
    for column in columns:
        edited[column] = edited[column].astype(dtype)
    assert plan_changes(original, edited, schemas=schemas).operations == []


def test_integers_cast_to_text_are_refused_for_an_integer_trait(
    original: pd.DataFrame, schemas: dict[str, Any]
) -> None:
    # '20' is not 20: Kratos validates the type, so we refuse rather than guess (wire notes §§5 and 6).
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype("string")
    problems = _problems(original, edited, schemas)
    assert problems[0] == "row 0, column 'traits.age': '20' is not an integer (schema 'default')"


def test_a_zero_dimensional_array_cell_is_its_value(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["traits.name.first"] = edited["traits.name.first"].astype(object)
    edited.at[1, "traits.name.first"] = np.array("Zed")
    plan = plan_changes(original, edited, schemas=schemas)
    assert [op.patch for op in plan.operations] == [[{"op": "replace", "path": "/traits/name/first", "value": "Zed"}]]


def test_categorical_state_and_boolean_with_missing_values(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["traits.newsletter"] = pd.Categorical([True, None, False, None, None])
    edited["state"] = pd.Categorical(["active", "inactive", "active", "active", "active"])
    plan = plan_changes(original, edited, schemas=schemas)
    patches = {op.row: op.patch for op in plan.operations}
    assert patches == {
        0: [{"op": "add", "path": "/traits/newsletter", "value": True}],
        1: [{"op": "replace", "path": "/state", "value": "inactive"}],
        2: [{"op": "add", "path": "/traits/newsletter", "value": False}],
    }


def test_format_failures_read_naturally(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited.at[1, "traits.email"] = "not-an-email"
    assert _problems(original, edited, schemas) == [
        "row 1, column 'traits.email': 'not-an-email' is not a valid email (schema 'default')"
    ]


def test_huge_values_give_short_messages(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[1, "traits.age"] = "9" * 120_000
    edited.at[2, "traits.name.first"] = "é" * 120_000
    problems = _problems(original, edited, schemas)
    assert len(problems) == 2
    assert all(len(p) < 400 for p in problems), [len(p) for p in problems]


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, {"n": 2**70}, [1, -(2**80)]])
def test_integers_beyond_64_bits_are_refused(original: pd.DataFrame, value: Any) -> None:
    # The client's JSON encoder cannot send them: refuse at planning time, not with a TypeError on apply.
    edited = original.copy()
    cells = edited["metadata_public"].tolist()
    cells[1] = value
    edited["metadata_public"] = pd.Series(cells, index=edited.index, dtype=object)
    [problem] = _problems(original, edited)
    assert problem.startswith("row 1, column 'metadata_public': ")
    assert problem.endswith("is too large: integers must fit in 64 bits to be sent")


def test_64_bit_integers_are_sent(original: pd.DataFrame) -> None:
    edited = original.copy()
    edited["metadata_public"] = pd.Series([2**63 - 1, -(2**63), None, None, None], dtype=object)
    plan = plan_changes(original, edited)
    assert [op.patch[0]["value"] for op in plan.operations] == [2**63 - 1, -(2**63)]
