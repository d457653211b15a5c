"""Property: any edit of a frame gives a valid plan or an InvalidInputError, never another exception."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
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
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["active", "inactive", "a@b.co", "Zoë"]),
    st.builds(np.int64, st.integers(min_value=-1000, max_value=1000)),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3),
    st.lists(st.integers(), max_size=3),
)
edits = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(COLUMNS), cell_values), max_size=8)
new_rows = st.lists(
    st.fixed_dictionaries(
        {"traits.email": st.one_of(st.none(), st.emails(), st.text(max_size=6))},
        optional={
            "traits.age": cell_values,
            "password": st.one_of(st.none(), st.text(max_size=10)),
            "state": cell_values,
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=edits, new=new_rows, drop=st.sets(st.integers(0, 3), max_size=2), allow_delete=st.booleans())
def test_plan_or_invalid_input(
    schemas: dict[str, Any], edits: list[tuple[int, str, Any]], new: list[dict[str, Any]], drop: set[int],
    allow_delete: bool,
) -> None:  # fmt: skip
    original = frame_of(SCHEMA_DIR_DOCS)
    edited = original.copy()
    for column in COLUMNS:
        edited[column] = edited[column].astype(object)
    for row, column, value in edits:
        edited.at[row, column] = value
    edited = edited.drop(index=sorted(drop))
    if new:
        edited = pd.concat([edited, pd.DataFrame(new)], ignore_index=True)
    try:
        plan = plan_changes(original, edited, schemas=schemas, allow_delete=allow_delete)
    except InvalidInputError as exc:
        assert exc.problems
        return
    payloads = plan.payloads(reveal_passwords=True)
    assert _plain(payloads)
    json.dumps(payloads, allow_nan=False)
    for request in payloads:
        if request["method"] == "PATCH" and request["path"] != "/admin/identities":
            assert all(op["op"] in ("add", "remove", "replace") for op in request["body"])
    text = plan.to_json(include_passwords=True)
    assert Plan.from_json(text).payloads(reveal_passwords=True) == payloads
