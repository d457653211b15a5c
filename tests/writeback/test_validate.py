"""Validation: every problem collected into one InvalidInputError, and nothing sent."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from writeback_fakes import FakeOry

from ory_frames._errors import InvalidInputError
from ory_frames.writeback import plan_changes


def _problems(original: pd.DataFrame, edited: pd.DataFrame, schemas: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(InvalidInputError) as info:
        plan_changes(original, edited, schemas=schemas, **kwargs)
    assert "nothing was sent" in str(info.value)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("traits.age", 3.5, "row 1, column 'traits.age': 3.5 is not an integer (schema 'default')"),
        ("traits.age", "old", "row 1, column 'traits.age': 'old' is not an integer (schema 'default')"),
        ("traits.newsletter", "yes", "row 1, column 'traits.newsletter': 'yes' is not a boolean (schema 'default')"),
        ("traits.age", 7, "row 1, column 'traits.age': 7 is less than the minimum of 13 (schema 'default')"),
        ("traits.email", "not-an-email", "row 1, column 'traits.email': 'not-an-email' is not a valid email"),
        ("traits.email", None, "row 1, column 'traits.email': is required (schema 'default')"),
        ("traits.nickname", "x", "row 1, column 'traits': Additional properties are not allowed"),
        ("state", "banned", "row 1, column 'state': 'banned' is not a valid state"),
        ("state", None, "row 1, column 'state': 'state' cannot be removed"),
        ("schema_id", "nope", "row 1, column 'schema_id': unknown schema 'nope'"),
        ("id", "00000000-0000-0000-0000-0000000000ff", "row 1, column 'id': id '00000000-0000-0000-0000-0000000000ff'"),
        ("created_at", pd.Timestamp("2020-01-01", tz="UTC"), "row 1, column 'created_at': 'created_at' is set by Ory"),
        ("email", "other@example.com", "row 1, column 'email': 'email' is a summary derived"),
        ("password", "secret-pass", "row 1, column 'password': a password can only be given for a new row"),
    ],
)
def test_one_problem(original: pd.DataFrame, schemas: dict[str, Any], column: str, value: Any, message: str) -> None:
    edited = original.copy()
    if column not in edited.columns:
        edited[column] = pd.Series([None] * len(edited), dtype=object)
    if column != "created_at":
        edited[column] = edited[column].astype(object)
    edited.at[1, column] = value
    problems = _problems(original, edited, schemas)
    assert any(p.startswith(message) for p in problems), problems


def test_all_problems_in_one_error_and_nothing_sent(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[0, "traits.age"] = 3.5
    edited.at[2, "state"] = "active"  # fine on its own
    edited.loc[3, "id"] = edited.loc[4, "id"]  # duplicate id
    new = pd.DataFrame([{"traits.email": "broken", "state": "gone"}], index=[17])
    edited = pd.concat([edited, new])
    client = client_for(fake)
    with pytest.raises(InvalidInputError) as info:
        plan = plan_changes(original, edited, schemas=schemas)
        plan.apply(client)
    problems = [str(p) for p in info.value.problems]
    assert problems[0].startswith("row 3, column 'id': duplicate id")
    assert any(p.startswith("row 4, column 'id': duplicate id") for p in problems)
    assert any(p.startswith("row 0, column 'traits.age': 3.5 is not an integer") for p in problems)
    assert any(p.startswith("row 17, column 'state': 'gone' is not a valid state") for p in problems)
    assert any(p.startswith("row 17, column 'traits.email': 'broken' is not a valid email") for p in problems)
    assert fake.requests == []


def test_missing_required_trait_column_is_not_reported(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    """A frame without the traits.email column cannot tell whether email is set; Kratos keeps it."""
    slim = original.drop(columns=["traits.email", "email"])
    edited = slim.copy()
    edited.loc[0, "traits.name.first"] = "Only"
    plan = plan_changes(slim, edited, schemas=schemas)
    assert plan.summary()["patch"] == 1


def test_new_row_unknown_schema_and_bad_password(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    new = pd.DataFrame([{"schema_id": "ghost", "traits.email": "a@b.co", "password": 123}])
    problems = _problems(original, pd.concat([original, new], ignore_index=True), schemas)
    assert any("unknown schema 'ghost'" in p for p in problems)
    assert any(p.startswith("row 5, column 'password': a password must be a non-empty string") for p in problems)


def test_frames_without_id(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    problems = _problems(original, original.drop(columns=["id"]), schemas)
    assert problems == ["column 'id': the edited frame has no 'id' column"]


def test_schemas_as_list_items(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    items = [{"id": k, "schema": v} for k, v in schemas.items()]
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[0, "traits.age"] = 200
    problems = _problems(original, edited, items)
    assert problems == ["row 0, column 'traits.age': 200 is greater than the maximum of 130 (schema 'default')"]
