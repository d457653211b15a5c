"""Validation: every problem collected into one InvalidInputError, and nothing sent."""

from __future__ import annotations

import uuid
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


# One customer schema spelt four ways: Kratos validates them alike, so write-back must plan alike.
_PROFILE = {"type": "object", "properties": {"age": {"type": "integer", "minimum": 13}, "nick": {"type": "string"}}}
_EMAIL = {
    "type": "string",
    "format": "email",
    "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
}
SPELLINGS = {
    "plain": {"properties": {"traits": {"type": "object", "properties": {"email": _EMAIL, "profile": _PROFILE}}}},
    "refs": {
        "definitions": {"email": _EMAIL, "profile": _PROFILE},
        "properties": {
            "traits": {
                "type": "object",
                "properties": {"email": {"$ref": "#/definitions/email"}, "profile": {"$ref": "#/definitions/profile"}},
            }
        },
    },
    "allOf": {
        "properties": {
            "traits": {
                "allOf": [
                    {"type": "object", "properties": {"email": _EMAIL}},
                    {"properties": {"profile": {"allOf": [{"type": "object"}, _PROFILE]}}},
                ]
            }
        }
    },
    # wire notes §3: a nullable object ("type": ["object", "null"]) still holds typed traits.
    "nullable": {
        "properties": {
            "traits": {
                "type": "object",
                "properties": {"email": _EMAIL, "profile": {**_PROFILE, "type": ["object", "null"]}},
            }
        }
    },
}


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.array([str(uuid.UUID(int=n + 1)) for n in range(2)], dtype="string"),
            "schema_id": pd.array(["customer"] * 2, dtype="string"),
            "traits.email": pd.array(["a@example.com", "b@example.com"], dtype="string"),
            "traits.profile.age": pd.array([20, 30], dtype="Int64"),
            "traits.profile.nick": pd.array(["a", "b"], dtype="string"),
        }
    )


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_schema_spellings_plan_alike(spelling: str) -> None:
    schemas = {
        "customer": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", **SPELLINGS[spelling]}
    }
    original = _customers()
    edited = original.copy()
    edited["traits.profile.age"] = edited["traits.profile.age"].astype(object)
    edited.at[0, "traits.profile.age"] = 7
    edited.at[1, "traits.profile.age"] = 3.5
    assert _problems(original, edited, schemas) == [
        "row 0, column 'traits.profile.age': 7 is less than the minimum of 13 (schema 'customer')",
        "row 1, column 'traits.profile.age': 3.5 is not an integer (schema 'customer')",
    ]
    edited.at[0, "traits.profile.age"] = 14.0  # a whole float in an integer trait is sent as an integer
    edited.at[1, "traits.profile.age"] = 31
    plan = plan_changes(original, edited, schemas=schemas)
    assert [op.patch for op in plan.operations] == [
        [{"op": "replace", "path": "/traits/profile/age", "value": 14}],
        [{"op": "replace", "path": "/traits/profile/age", "value": 31}],
    ]
    assert type(plan.operations[0].patch[0]["value"]) is int
    # Leading blanks pass Kratos' email format (Go's mail parser skips them), trailing ones do not.
    new = pd.DataFrame([{"schema_id": "customer", "traits.email": " New@Example.com", "traits.profile.age": 40}])
    created = plan_changes(original, pd.concat([original, new], ignore_index=True), schemas=schemas).operations
    # The identifier comes from the ory.sh/kratos marker, however the schema reaches it (wire notes §2).
    assert [op.identifiers for op in created if op.action == "create"] == [["new@example.com"]]
