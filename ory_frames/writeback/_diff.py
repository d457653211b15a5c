"""The frame diff: which rows and cells differ between an original and an edited identities frame.

Rows are matched by id in ``_match.py``. The comparison runs column by column over whole arrays
(:func:`diff_frames`); Python code only visits the cells that changed, which ``_build.py`` turns
into typed, validated operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ory_frames._errors import Problem
from ory_frames._schema import is_nested_arrow
from ory_frames.convert import EXTRA_COLUMN, SUMMARY_COLUMNS

from ._match import ID, frame_problems, match_rows, row_label
from ._payloads import is_missing, json_equal, to_json_value
from ._pointers import column_tokens

PASSWORD = "password"
# Columns that carry write-back inputs rather than identity fields.
INPUT_COLUMNS: frozenset[str] = frozenset({ID, PASSWORD})


@dataclass
class FrameDiff:
    """Positions of what changed. ``edited_pos``/``original_pos`` are aligned per matched row."""

    edited_pos: np.ndarray
    original_pos: np.ndarray
    # column -> indices into edited_pos/original_pos of the rows whose cell changed
    changed: dict[str, np.ndarray] = field(default_factory=dict)
    new_pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    missing_pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    problems: list[Problem] = field(default_factory=list)


def _cell_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a_missing, b_missing = is_missing(a), is_missing(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    try:
        return json_equal(to_json_value(a), to_json_value(b))
    except ValueError:
        return False


_cell_equal_ufunc = np.frompyfunc(_cell_equal, 2, 1)


def _plain(values: pd.Series) -> pd.Series:
    """A series whose dtype compares by value: categories become their values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        try:
            return values.astype(values.cat.categories.dtype)
        except (TypeError, ValueError):  # integer or boolean categories cannot hold NaN
            return values.astype(object)
    return values


def _arrow_nested(values: pd.Series) -> pa.Array | None:
    """The Arrow data of a list or struct column read as ``pd.ArrowDtype``, else None."""
    dtype = values.dtype
    if not (isinstance(dtype, pd.ArrowDtype) and is_nested_arrow(dtype.pyarrow_dtype)):
        return None
    data = pa.array(values.array)  # the column's own Arrow data (pandas' __arrow_array__)
    return data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data


# Rows compared at once in Arrow before Python looks at single cells (see _nested_changed).
_BLOCK = 512


def _nested_changed(old: pd.Series, new: pd.Series) -> np.ndarray | None:
    """Changed cells of two Arrow-backed nested columns of one type, or None if they are not both that.

    Arrow has no cell-wise equality for lists and structs, but compares whole slices exactly: equal
    blocks of rows are unchanged, and only the cells of differing blocks are compared one by one.
    """
    a, b = _arrow_nested(old), _arrow_nested(new)
    if a is None or b is None or a.type != b.type:
        return None
    changed = np.zeros(len(a), dtype=bool)
    for start in range(0, len(a), _BLOCK):
        block_a, block_b = a.slice(start, _BLOCK), b.slice(start, _BLOCK)
        if block_a.equals(block_b):
            continue
        pairs = zip(block_a.to_pylist(), block_b.to_pylist(), strict=True)
        changed[start : start + len(block_a)] = [not _cell_equal(x, y) for x, y in pairs]
    return changed


def changed_mask(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Boolean array: True where the two aligned series differ (all missing kinds are equal).

    Nested cells compare by JSON value whatever holds them: ``pd.ArrowDtype`` columns as read, or
    Python lists and dicts a user assigned (an object column).
    """
    old, new = _plain(old.reset_index(drop=True)), _plain(new.reset_index(drop=True))
    nested = _nested_changed(old, new)
    if nested is not None:
        return nested
    old_na, new_na = old.isna().to_numpy(), new.isna().to_numpy()
    # No == between Arrow lists or structs (pandas answers False everywhere): those go cell by cell below.
    arrow_nested = _arrow_nested(old) is not None or _arrow_nested(new) is not None
    if not arrow_nested and old.dtype != object and new.dtype != object:
        try:
            equal = (old == new).to_numpy(dtype=bool, na_value=False)
            return np.asarray((old_na != new_na) | (~old_na & ~new_na & ~equal))
        except (TypeError, ValueError, NotImplementedError):  # pandas' Arrow == on a struct against dicts
            pass
    equal = _cell_equal_ufunc(old.to_numpy(dtype=object), new.to_numpy(dtype=object)).astype(bool)
    return np.asarray(~equal)


def diff_frames(original: pd.DataFrame, edited: pd.DataFrame) -> FrameDiff:
    """Match rows by ``id`` and find changed cells, new rows, rows gone from edited, and id problems."""
    empty = np.empty(0, dtype=np.int64)
    problems = frame_problems(original, edited)
    if problems:
        return FrameDiff(empty, empty, problems=problems)

    match = match_rows(original, edited)
    problems.extend(match.problems)
    matched, orig_positions = match.edited_pos, match.original_pos

    diff = FrameDiff(matched, orig_positions, new_pos=match.new_pos, missing_pos=match.missing_pos)
    for column in edited.columns:
        if column in INPUT_COLUMNS or not isinstance(column, str):
            if not isinstance(column, str):
                problems.append(Problem(None, str(column), "column names must be strings"))
            continue
        new_values = edited[column].iloc[matched]
        if column in original.columns:
            old_values = original[column].iloc[orig_positions]
        else:
            old_values = pd.Series([None] * len(matched), dtype=object)
        mask = changed_mask(old_values, new_values)
        if not mask.any():
            continue
        where = np.flatnonzero(mask)
        if column_tokens(column) is None:
            for i in where[:1000]:
                problems.append(Problem(row_label(edited, matched[i]), column, _read_only_reason(column)))
            continue
        diff.changed[column] = where
    if PASSWORD in edited.columns and len(matched):
        has_pw = edited[PASSWORD].iloc[matched].notna().to_numpy(dtype=bool)
        for i in np.flatnonzero(has_pw):
            problems.append(
                Problem(row_label(edited, matched[i]), PASSWORD, "a password can only be given for a new row (no id)")
            )
    diff.problems = problems
    return diff


def _read_only_reason(column: str) -> str:
    if column in SUMMARY_COLUMNS:
        return (
            f"{column!r} is a summary derived from the verifiable addresses and cannot be written; "
            "change the trait it comes from (e.g. 'traits.email') instead"
        )
    if column == EXTRA_COLUMN:
        return (
            f"{column!r} keeps what Ory sent that has no column (undeclared traits among it) and cannot be "
            "written to an existing identity; its traits go along as they are"
        )
    if column in ("created_at", "updated_at", "state_changed_at", "organization_id", "schema_url"):
        return f"{column!r} is set by Ory and cannot be changed"
    if column.startswith("credential") or column in ("verifiable_addresses", "recovery_addresses"):
        return f"{column!r} is read-only here; credentials and addresses follow from the traits"
    return (
        f"{column!r} is not a patchable identity field (a derived summary or unknown column); "
        "edit the traits.* column it comes from instead"
    )
