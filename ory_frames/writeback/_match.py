"""Rows of an edited identities frame matched to the original by identity id, with every id problem."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ory_frames._errors import Problem

from ._payloads import is_missing, short_repr

ID = "id"


@dataclass
class RowMatch:
    """Positions of matched rows (aligned), new rows (no id), original rows gone from edited, and problems."""

    edited_pos: np.ndarray
    original_pos: np.ndarray
    new_pos: np.ndarray
    missing_pos: np.ndarray
    problems: list[Problem] = field(default_factory=list)


def row_label(frame: pd.DataFrame, pos: Any) -> Any:
    """The index label at a position, as a plain Python value (so messages read ``row 17``)."""
    label = frame.index[int(pos)]
    return label.item() if isinstance(label, np.generic) else label


def frame_problems(original: pd.DataFrame, edited: pd.DataFrame) -> list[Problem]:
    """Problems that make two frames impossible to compare: no ``id`` column, duplicated column names."""
    problems: list[Problem] = []
    for name, frame in (("original", original), ("edited", edited)):
        if ID not in frame.columns:
            problems.append(Problem(None, ID, f"the {name} frame has no 'id' column"))
        # pandas gives a DataFrame, not a column, for a duplicated label: nothing says which one is meant.
        for column in frame.columns[frame.columns.duplicated()].unique():
            problems.append(
                Problem(None, str(column), f"the {name} frame has more than one column named {column!r}; keep one")
            )
    return problems


# Identity ids are UUIDs: Ory answers 400 or 404 for any other id (wire notes §§1, 2 and 7).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _id_values(column: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The ids as text, and masks of the missing ones (None, NaN, '') and the bad ones (not a UUID).

    Missing and bad ids are None in the returned series, so that it holds only hashable strings.
    """
    values = column.to_numpy(dtype=object)
    missing = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    ids = np.empty(len(values), dtype=object)
    for pos, value in enumerate(values):
        if type(value) is not str:
            if isinstance(value, uuid.UUID | str):  # uuid.UUID, numpy and other str subclasses
                value = str(value)
            elif is_missing(value):
                missing[pos] = True
                continue
            else:
                bad[pos] = True
                continue
        if not value:
            missing[pos] = True
        elif _UUID.fullmatch(value) is None:
            bad[pos] = True
        else:
            ids[pos] = value
    return pd.Series(ids, index=column.index, dtype=object), missing, bad


def _not_an_id(frame: pd.DataFrame, pos: Any, which: str) -> Problem:
    value = frame[ID].iloc[int(pos)]
    return Problem(row_label(frame, pos), ID, f"{short_repr(value)}{which} is not an identity id (a UUID)")


def match_rows(original: pd.DataFrame, edited: pd.DataFrame) -> RowMatch:
    """Match edited rows to original rows by ``id``; both frames must pass :func:`frame_problems`."""
    problems: list[Problem] = []
    orig_ids, orig_missing, orig_bad = _id_values(original[ID])
    problems.extend(_not_an_id(original, pos, " in the original frame") for pos in np.flatnonzero(orig_bad))
    orig_valid = ~orig_missing & ~orig_bad
    orig_dup = orig_valid & orig_ids.duplicated(keep=False).to_numpy(dtype=bool)
    for pos in np.flatnonzero(orig_missing | orig_dup):
        problems.append(Problem(row_label(original, pos), ID, "the original frame has a missing or duplicate id"))

    ed_ids, new_mask, ed_bad = _id_values(edited[ID])
    problems.extend(_not_an_id(edited, pos, "") for pos in np.flatnonzero(ed_bad))
    ed_valid = ~new_mask & ~ed_bad
    dup_mask = ed_valid & ed_ids.duplicated(keep=False).to_numpy(dtype=bool)
    for pos in np.flatnonzero(dup_mask):
        problems.append(Problem(row_label(edited, pos), ID, f"duplicate id {ed_ids.iloc[pos]!r} in the edited frame"))

    # The first original row of each id; duplicates among them are reported above.
    first_pos = np.flatnonzero(orig_valid & ~orig_ids.duplicated(keep="first").to_numpy(dtype=bool))
    index = pd.Index(orig_ids.iloc[first_pos].to_numpy(dtype=object))
    lookup = index.get_indexer(ed_ids.where(ed_valid, "").to_numpy(dtype=object))
    unknown_mask = ed_valid & (lookup < 0)
    for pos in np.flatnonzero(unknown_mask):
        problems.append(
            Problem(row_label(edited, pos), ID, f"id {ed_ids.iloc[pos]!r} is not in the original frame (unknown id)")
        )

    matched = np.flatnonzero(ed_valid & ~unknown_mask & ~dup_mask)
    orig_positions = np.asarray(first_pos[lookup[matched]], dtype=np.int64)
    # An original row counts as kept when its id is anywhere in edited, even on a refused row.
    seen = orig_ids.isin(ed_ids[ed_valid]).to_numpy(dtype=bool)
    missing_pos = np.flatnonzero(~seen & orig_valid)
    return RowMatch(matched, orig_positions, np.flatnonzero(new_mask), missing_pos, problems)
