"""Traits no identity schema declares are kept on read and survive write-back.

Kratos validates traits on write, so such traits come from a schema that allows more than it names
(the sandbox's ``phone`` schema: its ``name`` object has no ``additionalProperties: false``) or from
an identity written under an older version of its schema.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import jsonschema
import pandas as pd
import pytest
from drift_support import running
from hypothesis import given, settings
from hypothesis import strategies as st

from ory_frames import ConversionWarning, InvalidInputError, identities_frame
from ory_frames.client._client import Client
from ory_frames.frames import read_identities
from ory_frames.writeback import plan_changes

PHONE = "+4915112345678"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Client, str]]:
    with running(seed_identities=3, seed=11) as url, Client(url) as client:
        body = {
            "schema_id": "phone",
            "traits": {"phone": PHONE, "name": {"first": "Ada", "middle": "Augusta", "titles": ["Countess"]}},
        }
        created = client.create_identity(body)
        yield client, str(created.id)


def _read(client: Client) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_identities(client)
    return frame, [str(w.message) for w in caught if issubclass(w.category, ConversionWarning)]


def _extra(frame: pd.DataFrame, identity_id: str) -> Any:
    cell = frame.loc[frame["id"] == identity_id, "extra_fields"].iloc[0]
    return json.loads(cell) if isinstance(cell, str) else cell


def test_undeclared_traits_are_kept_with_one_warning(sandbox: tuple[Client, str]) -> None:
    client, identity_id = sandbox
    frame, messages = _read(client)
    assert _extra(frame, identity_id)["traits"] == {"name": {"middle": "Augusta", "titles": ["Countess"]}}
    undeclared = [m for m in messages if "traits.name.middle" in m]
    assert len(undeclared) == 1, messages
    assert "traits.name.titles" in undeclared[0]
    others = frame.loc[frame["id"] != identity_id, "extra_fields"]
    assert not any(isinstance(c, dict) and "traits" in c for c in others)  # seeded traits are all declared


def test_an_edit_of_another_trait_keeps_them(sandbox: tuple[Client, str]) -> None:
    client, identity_id = sandbox
    original, _ = _read(client)
    edited = original.copy()
    edited.loc[edited["id"] == identity_id, "traits.name.first"] = "Augusta Ada"
    report = plan_changes(original, edited).apply(client)
    assert report["status"].tolist() == ["applied"], report
    stored = client.get_identity(identity_id).traits
    assert stored["name"] == {"first": "Augusta Ada", "middle": "Augusta", "titles": ["Countess"]}
    assert stored["phone"] == PHONE


def test_extra_fields_of_an_existing_row_cannot_be_edited(sandbox: tuple[Client, str]) -> None:
    client, identity_id = sandbox
    original, _ = _read(client)
    edited = original.copy()
    label = edited.index[edited["id"] == identity_id][0]
    edited.at[label, "extra_fields"] = {"traits": {"name": {"middle": "Byron"}}}
    with pytest.raises(InvalidInputError, match="'extra_fields' keeps what Ory sent that has no column"):
        plan_changes(original, edited)


def test_a_copied_row_takes_them_along(sandbox: tuple[Client, str]) -> None:
    client, identity_id = sandbox
    original, _ = _read(client)
    row = original.loc[original["id"] == identity_id].copy()
    row["id"] = None
    row["traits.phone"] = "+4915112345679"
    plan = plan_changes(original, pd.concat([original, row], ignore_index=True))
    [create] = [op for op in plan.operations if op.action == "create"]
    first = row["traits.name.first"].iloc[0]
    assert create.body["traits"]["name"] == {"first": first, "middle": "Augusta", "titles": ["Countess"]}
    assert "extra_fields" not in plan.ignored_columns


def test_a_schema_that_now_forbids_them_refuses_the_edit_as_kratos_would() -> None:
    """Written before the schema dropped ``nickname``: Kratos validates the whole traits on PATCH and refuses."""
    schema = {
        "type": "object",
        "properties": {
            "traits": {
                "type": "object",
                "properties": {"email": {"type": "string"}, "age": {"type": "integer"}},
                "additionalProperties": False,
            }
        },
    }
    record = {
        "id": "00000000-0000-4000-8000-000000000001",
        "schema_id": "default",
        "state": "active",
        "traits": {"email": "ada@example.org", "age": 36, "nickname": "Ada"},
    }
    with pytest.warns(ConversionWarning, match="'traits.nickname' \\(1 record\\)"):
        original = identities_frame([record], schemas={"default": schema})
    edited = original.copy()
    edited.loc[0, "traits.age"] = 37
    with pytest.raises(InvalidInputError, match="Additional properties are not allowed"):
        plan_changes(original, edited, schemas={"default": schema})


_PATHS = [("a",), ("b",), ("a", "b"), ("a", "c"), ("c", "a", "b"), ("c", "b")]
_TRAITS = st.recursive(
    st.text(alphabet="xyz", min_size=1, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), inner, min_size=1, max_size=3),
    max_leaves=8,
).filter(lambda t: isinstance(t, dict))


def _schema(declared: set[tuple[str, ...]]) -> dict[str, Any]:
    root: dict[str, Any] = {"type": "object", "properties": {}}
    for path in sorted(declared, key=len):
        node = root
        for key in path[:-1]:
            node = node["properties"].setdefault(key, {"type": "object", "properties": {}})
            if "properties" not in node:  # a shorter declared path holds this whole value
                break
        else:
            node["properties"].setdefault(path[-1], {})  # no type: a JSON column holds any value
    return {"type": "object", "properties": {"traits": root}}


@settings(max_examples=150, deadline=None)
@given(_TRAITS, st.sets(st.sampled_from(_PATHS)))
def test_columns_and_extra_fields_give_the_traits_back(traits: dict[str, Any], declared: set[Any]) -> None:
    """Whatever the schema declares, a copy of a read row is created with the traits as they were read
    (or refused, when they do not fit the schema: Kratos would refuse them too)."""
    schema = _schema(declared)
    record = {"id": "00000000-0000-4000-8000-000000000001", "schema_id": "s", "state": "active", "traits": traits}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConversionWarning)
        frame = identities_frame([record], schemas={"s": schema})
    copy = frame.copy()
    copy["id"] = None
    try:
        plan = plan_changes(frame, pd.concat([frame, copy], ignore_index=True), schemas={"s": schema})
    except InvalidInputError:
        assert not jsonschema.Draft7Validator(schema).is_valid({"traits": traits})
        return
    [create] = [op for op in plan.operations if op.action == "create"]
    assert create.body is not None and create.body["traits"] == traits
