"""Property: any edit of a frame gives a valid plan or an InvalidInputError, never another exception.

Edits include odd ids (dicts, lists, non-UUID text), objects in the string fields, casts to category (with
NaN), string, float and object, and duplicated column names.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import numpy as np
import orjson
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from writeback_fakes import frame_of, identity

from ory_frames._errors import InvalidInputError
from ory_frames.writeback import Plan, plan_changes

SCHEMA_DIR_DOCS = [identity(n) for n in range(4)]
COLUMNS = ["traits.email", "traits.name.first", "traits.age", "traits.newsletter", "state", "metadata_admin", "email"]

cell_values = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(pd.NA),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["active", "inactive", "a@b.co", "Zoë"]),
    st.builds(np.int64, st.integers(min_value=-1000, max_value=1000)),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3),
    st.lists(st.integers(), max_size=3),
)
edits = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(COLUMNS), cell_values), max_size=8)
# Cells for the id fields: Ory wants a UUID in ``id`` and strings in ``schema_id``/``external_id``.
odd_ids = st.one_of(
    cell_values,
    st.just(""),
    st.uuids(),
    st.uuids().map(str),
    st.sampled_from([str(identity(n)["id"]) for n in range(6)]),
)
id_edits = st.lists(
    st.one_of(
        st.tuples(st.integers(0, 3), st.just("id"), odd_ids),
        st.tuples(st.integers(0, 3), st.sampled_from(["schema_id", "external_id"]), cell_values),
    ),
    max_size=3,
)
casts = st.lists(
    st.tuples(st.sampled_from([*COLUMNS, "schema_id"]), st.sampled_from(["category", "string", "float", "object"])),
    max_size=3,
)
doubled = st.lists(st.sampled_from([*COLUMNS, "id"]), max_size=2)
new_rows = st.lists(
    st.fixed_dictionaries(
        {"traits.email": st.one_of(st.none(), st.emails(), st.text(max_size=6))},
        optional={
            "traits.age": cell_values,
            "password": st.one_of(st.none(), st.text(max_size=10)),
            "state": cell_values,
            "id": odd_ids,
            "schema_id": cell_values,
            "external_id": cell_values,
        },
    ),
    max_size=3,
)


def _plain(value: Any) -> bool:
    """Only dict, list, str, int, float, bool, None (no numpy, no pandas)."""
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def _edited(
    edits: list[tuple[int, str, Any]], new: list[dict[str, Any]], drop: set[int], casts: list[tuple[str, str]]
) -> pd.DataFrame:
    edited = original_frame()
    for column in [*COLUMNS, "id", "schema_id", "external_id"]:
        edited[column] = edited[column].astype(object) if column in edited.columns else None
    for row, column, value in edits:
        cells = edited[column].tolist()
        cells[row] = value  # a list, not `.at`: `.at` stores some arrays as 0-d arrays
        edited[column] = pd.Series(cells, index=edited.index, dtype=object)
    for column, dtype in casts:
        with contextlib.suppress(TypeError, ValueError, OverflowError):  # not castable: keep object
            edited[column] = edited[column].astype(dtype)
    edited = edited.drop(index=sorted(drop))
    if new:
        edited = pd.concat([edited, pd.DataFrame(new)], ignore_index=True)
    return edited


def original_frame() -> pd.DataFrame:
    return frame_of(SCHEMA_DIR_DOCS)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=edits,
    id_edits=id_edits,
    new=new_rows,
    drop=st.sets(st.integers(0, 3), max_size=2),
    casts=casts,
    doubled=doubled,
    allow_delete=st.booleans(),
    with_schemas=st.booleans(),
)
def test_plan_or_invalid_input(
    schemas: dict[str, Any], edits: list[tuple[int, str, Any]], id_edits: list[tuple[int, str, Any]],
    new: list[dict[str, Any]], drop: set[int], casts: list[tuple[str, str]], doubled: list[str], allow_delete: bool,
    with_schemas: bool,
) -> None:  # fmt: skip
    original = original_frame()
    edited = _edited(edits + id_edits, new, drop, casts)
    if doubled:
        edited = pd.concat([edited, edited[doubled]], axis=1)
    try:
        plan = plan_changes(original, edited, schemas=schemas if with_schemas else None, allow_delete=allow_delete)
    except InvalidInputError as exc:
        assert exc.problems
        assert all(p.reason for p in exc.problems)
        assert len(str(exc)) < 20_000  # huge values are cut short in messages
        return
    assert not doubled
    payloads = plan.payloads(reveal_passwords=True)
    assert _plain(payloads)
    json.dumps(payloads, allow_nan=False)
    orjson.dumps(payloads)  # what the client sends with: no integer beyond 64 bits
    for request in payloads:
        if request["method"] == "PATCH" and request["path"] != "/admin/identities":
            assert all(op["op"] in ("add", "remove", "replace") for op in request["body"])
            for op in request["body"]:
                if op["path"] in ("/schema_id", "/external_id") and op["op"] != "remove":
                    assert isinstance(op["value"], str), op
        if request["path"] == "/admin/identities" and request["method"] == "PATCH":
            for item in request["body"]["identities"]:
                assert isinstance(item["create"]["schema_id"], str)
                assert isinstance(item["create"].get("external_id", ""), str)
    for op in plan.operations:
        if op.identity_id is not None:
            assert str(uuid.UUID(op.identity_id)) == op.identity_id
    text = plan.to_json(include_passwords=True)
    assert Plan.from_json(text).payloads(reveal_passwords=True) == payloads
