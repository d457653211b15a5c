"""Random, hostile edited frames: ``plan_changes`` gives a valid plan or an InvalidInputError, never another
exception, and the sandbox accepts every payload of every valid plan (no 400).

Frames mix dtypes, None/NaN/NaT/NA, unicode, huge strings, duplicate ids, duplicate columns and clashing nested
columns (``traits.name`` next to ``traits.name.first``). Each example re-reads six identities of a loopback
sandbox and applies its plan there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from drift_support import running
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ory_frames import Client
from ory_frames._errors import InvalidInputError
from ory_frames.frames import read_identities
from ory_frames.writeback import Plan, plan_changes

EDITABLE = [
    "traits.email",
    "traits.name.first",
    "traits.name.last",
    "traits.age",
    "traits.newsletter",
    "state",
    "schema_id",
    "external_id",
    "metadata_public",
    "metadata_admin",
]
# `id` holding odd values is covered by test_unhashable_id_is_invalid_input and tests/writeback/test_bad_input.py.
EXTRA = ["traits.name", "traits.name.first.given", "traits.émoji 😀", "traits.a~b/c", "password", "credentials"]

huge = st.builds(
    lambda c, n: c * n, st.sampled_from(["x", "é", "😀", "\u202e", "a\u0000b"]), st.sampled_from([1_000, 120_000])
)
cells = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(pd.NaT),
    st.just(pd.NA),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=16),
    st.emails(),
    huge,
    st.sampled_from(["active", "inactive", "deleted", "default", "username", "b2b", "Zoë", "名前", "\ud7ff", "  "]),
    st.just(pd.Timestamp("2024-02-29T12:00:00Z")),
    st.builds(np.int64, st.integers(min_value=-200, max_value=200)),
    st.builds(np.float32, st.floats(width=32, allow_nan=True)),
    st.dictionaries(st.text(max_size=4), st.none() | st.integers() | st.text(max_size=6) | st.floats(), max_size=3),
    st.lists(st.integers() | st.text(max_size=3), max_size=3),
)
STRING_ONLY = ("schema_id", "external_id")  # non-string values: see test_non_string_id_fields_are_invalid_input below
columns = st.sampled_from([c for c in EDITABLE + EXTRA if c not in STRING_ONLY])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8) | huge,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
names = st.text(max_size=100) | st.none() | st.just(np.nan) | st.sampled_from(["Zoë", "名前", "😀" * 25, "O'Brien"])
# Values the schemas accept, so that many examples give valid plans whose payloads reach the sandbox.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "traits.email": st.emails(),
    "traits.name.first": names,
    "traits.name.last": names,
    "traits.age": st.integers(13, 130) | st.none() | st.just(pd.NA) | st.builds(np.int64, st.integers(13, 130)),
    "traits.newsletter": st.booleans() | st.none() | st.just(np.bool_(True)),
    "state": st.sampled_from(["active", "inactive"]),
    "metadata_public": json_values,
    "metadata_admin": json_values,
    "external_id": st.text(min_size=1, max_size=40) | st.none(),
}
plausible_set = st.one_of(*(st.tuples(st.just("set"), st.integers(0, 5), st.just(c), v) for c, v in PLAUSIBLE.items()))
plausible_new = st.fixed_dictionaries(
    {"schema_id": st.just("default"), "traits.email": st.emails()},
    optional={**{c: v for c, v in PLAUSIBLE.items() if c != "traits.email"}, "password": st.text(min_size=8)},
).map(lambda row: ("new", row))
steps = st.lists(
    st.one_of(
        plausible_set,
        plausible_set,
        plausible_new,
        st.tuples(st.just("set"), st.integers(0, 5), columns, cells),
        st.tuples(
            st.just("set"), st.integers(0, 5), st.sampled_from(STRING_ONLY), st.text(max_size=10) | st.none() | huge
        ),
        st.tuples(st.just("dup_id"), st.integers(0, 5), st.integers(0, 5)),
        st.tuples(st.just("cast"), st.sampled_from(EDITABLE), st.sampled_from(["string", "float", "object"])),
        st.tuples(st.just("drop"), st.integers(0, 5)),
        st.tuples(st.just("new"), st.dictionaries(columns, cells, max_size=4)),
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, Client]]:
    with running(seed_identities=150, seed=31) as url, Client(url) as client:
        yield url, client


def _fresh_original(client: Client, offset: int) -> pd.DataFrame:
    """Six current identities of the default schema (deletes of earlier examples use up others)."""
    frame = read_identities(client, page_size=500)
    default = frame[frame["schema_id"] == "default"]
    start = (offset * 6) % max(1, len(default) - 6)
    return default.iloc[start : start + 6].reset_index(drop=True)


def _edit(original: pd.DataFrame, ops: list[tuple[Any, ...]]) -> pd.DataFrame:
    edited = original.copy()
    for column in EDITABLE:
        edited[column] = edited[column].astype(object)
    new_rows = []
    for op in ops:
        if op[0] == "set" and op[1] < len(edited):
            if op[2] not in edited.columns:
                edited[op[2]] = pd.Series([None] * len(edited), index=edited.index, dtype=object)
            if not isinstance(edited[op[2]], pd.DataFrame):
                edited[op[2]] = edited[op[2]].astype(object)
                edited.iat[op[1], edited.columns.get_loc(op[2])] = op[3]
        elif op[0] == "new":
            new_rows.append(op[1])
        elif op[0] == "drop" and op[1] < len(edited):
            edited = edited.drop(index=edited.index[op[1]])
    if new_rows:
        edited = pd.concat([edited, pd.DataFrame(new_rows, index=range(10**6, 10**6 + len(new_rows)))])
    for op in ops:
        if op[0] == "dup_id" and max(op[1], op[2]) < len(edited):
            edited.iat[op[1], edited.columns.get_loc("id")] = edited["id"].iloc[op[2]]
        elif op[0] == "cast" and not isinstance(edited[op[1]], pd.DataFrame):
            with contextlib.suppress(TypeError, ValueError, OverflowError):  # not castable: keep object
                edited[op[1]] = edited[op[1]].astype(op[2])
    return edited


counter = iter(range(10**9))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ops=steps, allow_delete=st.booleans())
@pytest.mark.timeout(200)
def test_plan_is_valid_or_invalid_input_and_the_sandbox_accepts_it(
    sandbox: tuple[str, Client], ops: list[tuple[Any, ...]], allow_delete: bool
) -> None:
    _url, client = sandbox
    original = _fresh_original(client, next(counter))
    edited = _edit(original, ops)
    try:
        plan = plan_changes(original, edited, allow_delete=allow_delete)
    except InvalidInputError as exc:
        event("InvalidInputError")
        assert exc.problems
        assert all(p.reason for p in exc.problems)
        return
    assert isinstance(plan, Plan)
    event(f"valid plan: {dict(plan.summary()[plan.summary() > 0])}")
    report = plan.apply(client, workers=4)
    assert len(report) == len(plan.operations)
    rejected = report[report["http_status"].isin([400, 422]) | (report["http_status"] >= 500)]
    assert rejected.empty, rejected[["action", "http_status", "reason", "message"]].to_dict("records")
    # Anything else that failed can only be a duplicate identifier or external id (409).
    failed = report[report["status"] == "failed"]
    assert failed["http_status"].isin([409]).all(), failed[["action", "http_status", "reason"]].to_dict("records")


def _one_default(client: Client) -> pd.DataFrame:
    return _fresh_original(client, 0).iloc[:3].reset_index(drop=True)


def test_duplicate_columns_are_invalid_input(sandbox: tuple[str, Client]) -> None:
    # pandas gives a DataFrame, not a Series, for a duplicated label; `_diff._plain` reads `.dtype` of it.
    original = _one_default(sandbox[1])
    edited = pd.concat([original, original[["traits.email"]]], axis=1)
    with pytest.raises(InvalidInputError):
        plan_changes(original, edited)


@pytest.mark.parametrize("column", STRING_ONLY)
@pytest.mark.parametrize("value", [{}, {"a": 1}, ["default"]])
def test_non_string_id_fields_are_invalid_input(sandbox: tuple[str, Client], column: str, value: Any) -> None:
    # A number or an unknown schema id is refused at planning time; a dict or a list is planned and sent.
    original = _one_default(sandbox[1])
    edited = original.copy()
    edited[column] = edited[column].astype(object)
    edited.at[0, column] = value
    with pytest.raises(InvalidInputError):
        plan_changes(original, edited)


@pytest.mark.parametrize("path", ["/schema_id", "/external_id"])
@pytest.mark.parametrize("value", [{}, ["default"]])
def test_sandbox_answers_400_not_500_for_non_string_id_fields(
    sandbox: tuple[str, Client], path: str, value: Any
) -> None:
    from ory_frames._errors import BadRequestError

    identity_id = _one_default(sandbox[1])["id"].iloc[0]
    with pytest.raises(BadRequestError):
        sandbox[1].patch_identity(identity_id, [{"op": "add", "path": path, "value": value}])


def test_unhashable_id_is_invalid_input(sandbox: tuple[str, Client]) -> None:
    original = _one_default(sandbox[1])
    new = pd.DataFrame([{"schema_id": "default", "traits.email": "x@example.org", "id": {}}], index=[99])
    with pytest.raises(InvalidInputError):
        plan_changes(original, pd.concat([original, new]))


def test_categorical_column_with_missing_values() -> None:
    # A sandbox of its own: the property test above edits and deletes the shared one's identities.
    with running(seed_identities=30, seed=31) as url, Client(url) as client:
        everyone = read_identities(client)
    default = everyone[everyone["schema_id"] == "default"]
    original = default[default["traits.age"].notna()].iloc[:3].reset_index(drop=True)
    assert len(original) == 3, "the seeded user base has identities with an age"
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.at[0, "traits.age"] = None
    edited["traits.age"] = edited["traits.age"].astype("category")
    plan = plan_changes(original, edited)  # a valid plan (remove /traits/age), or InvalidInputError
    assert plan.summary()["patch"] >= 1
