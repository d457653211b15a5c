"""Two snapshots in, the identities added, removed or changed out: one Arrow table per bucket of ids, and a summary.

The output has one row per identity that differs: ``id``, ``change`` (``added``, ``removed`` or
``changed``), ``columns`` (the names of the columns that differ) and, for every compared column ``c``,
``old.c`` and ``new.c`` typed as ``c`` is in its snapshot. A changed row fills both for the columns
it names and leaves the others null; an added row fills every ``new.c``, a removed row every
``old.c`` (and ``columns`` then names the columns that hold a value). Rows are in id order.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ory_frames._errors import InvalidInputError, Problem
from ory_frames._schema import JSON_FIELD_METADATA

from ._buckets import bucket_count, read_bucket, split, spread
from ._compare import changed_cells, is_json, plain
from ._sources import ID, Snapshot

__all__ = ["CHANGES", "DiffPlan", "DiffSummary", "iter_diff"]

Change = Literal["added", "removed", "changed"]
CHANGES: tuple[Change, ...] = ("added", "removed", "changed")
_CHANGE_TYPE = pa.dictionary(pa.int8(), pa.string())


@dataclass
class DiffSummary:
    """Counts of a diff: identities added, removed and changed, changes per column, columns only one side has."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    per_column: dict[str, int] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for ``df.attrs`` and JSON."""
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "per_column": dict(self.per_column),
            "columns_added": list(self.columns_added),
            "columns_removed": list(self.columns_removed),
            "ignored": list(self.ignored),
        }


@dataclass
class DiffPlan:
    """The columns compared and the output schema, decided from the two snapshots' schemas before any row is read."""

    old: Snapshot
    new: Snapshot
    compared: list[str]
    old_columns: list[str]  # read from old: id and the compared columns old has
    new_columns: list[str]
    schema: pa.Schema
    summary: DiffSummary

    @classmethod
    def make(
        cls, old: Snapshot, new: Snapshot, columns: Iterable[str] | None, ignore: Iterable[str] | None
    ) -> DiffPlan:
        old_names, new_names = [c for c in old.schema.names if c != ID], [c for c in new.schema.names if c != ID]
        ignored = [c for c in dict.fromkeys(ignore or ()) if c != ID]
        wanted = None if columns is None else [c for c in dict.fromkeys(columns) if c != ID]
        problems = [
            Problem(None, c, f"{flag}: no such column in either snapshot")
            for flag, names in (("ignore", ignored), ("columns", wanted or []))
            for c in names
            if c not in old_names and c not in new_names
        ]
        if problems:
            raise InvalidInputError(problems)
        union = list(dict.fromkeys([*old_names, *new_names]))
        compared = [c for c in (wanted if wanted is not None else union) if c not in ignored]
        fields = [
            pa.field(ID, pa.string()),
            pa.field("change", _CHANGE_TYPE),
            pa.field("columns", pa.list_(pa.string())),
        ]
        for side, snapshot in (("old", old), ("new", new)):
            for c in compared:
                source = snapshot.schema.field(c) if c in snapshot.schema.names else _other(old, new, snapshot, c)
                fields.append(_output_field(f"{side}.{c}", source))
        summary = DiffSummary(
            per_column=dict.fromkeys(compared, 0),
            columns_added=[c for c in compared if c not in old_names],
            columns_removed=[c for c in compared if c not in new_names],
            ignored=ignored,
        )
        return cls(
            old,
            new,
            compared,
            [ID, *[c for c in compared if c in old_names]],
            [ID, *[c for c in compared if c in new_names]],
            pa.schema(fields),
            summary,
        )


def _other(old: Snapshot, new: Snapshot, snapshot: Snapshot, column: str) -> pa.Field:
    return (new if snapshot is old else old).schema.field(column)


def _output_field(name: str, source: pa.Field) -> pa.Field:
    """The output field of a value column: the source's type, categories decoded, JSON kept as marked JSON text."""
    value_type = source.type.value_type if pa.types.is_dictionary(source.type) else source.type
    if is_json(source):
        return pa.field(name, value_type, metadata=JSON_FIELD_METADATA)
    return pa.field(name, value_type)


def _checked_ids(table: pa.Table, label: str) -> pa.Array:
    ids = plain(table.column(ID)).cast(pa.string())
    problems = []
    if ids.null_count:
        problems.append(Problem(None, ID, f"{label} has {ids.null_count} row(s) without an id"))
    counts = pc.value_counts(ids.drop_null())
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1)).to_pylist()
    problems.extend(Problem(None, ID, f"{label} holds id {i!r} more than once") for i in repeated[:20])
    if problems:
        raise InvalidInputError(problems)
    return ids


def _present(array: pa.Array) -> np.ndarray:
    present = array.is_valid()
    if pa.types.is_floating(array.type):
        present = pc.and_(present, pc.invert(pc.fill_null(pc.is_nan(array), True)))
    return np.asarray(present.to_numpy(zero_copy_only=False), bool)


def _value_column(table: pa.Table, column: str, positions: np.ndarray, shown: np.ndarray, target: pa.Field) -> pa.Array:
    """``column`` of ``table`` at ``positions`` where ``shown``, else null, as the output field's type."""
    if column not in table.column_names:
        return pa.nulls(len(positions), target.type)
    indices = pa.array(positions, pa.int64(), mask=~shown)
    values = table.column(column).combine_chunks().take(indices)
    if isinstance(values, pa.ExtensionArray):
        values = values.storage
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if values.type == target.type else values.cast(target.type)


def diff_bucket(plan: DiffPlan, old: pa.Table, new: pa.Table) -> pa.Table:
    """The output rows for one bucket of ids (both snapshots' rows for the same id range), in id order."""
    old_ids, new_ids = _checked_ids(old, plan.old.label), _checked_ids(new, plan.new.label)
    index = pc.index_in(new_ids, value_set=old_ids)
    matched_new = np.flatnonzero(np.asarray(index.is_valid().to_numpy(zero_copy_only=False), bool))
    matched_old = np.asarray(pc.fill_null(index, 0).to_numpy(zero_copy_only=False), np.int64)[matched_new]
    added = np.flatnonzero(~np.asarray(index.is_valid().to_numpy(zero_copy_only=False), bool))
    kept = np.asarray(pc.is_in(old_ids, value_set=new_ids).to_numpy(zero_copy_only=False), bool)
    removed = np.flatnonzero(~kept)

    width = len(plan.compared)
    masks = np.zeros((len(matched_new), width), dtype=bool)
    added_has = np.zeros((len(added), width), dtype=bool)
    removed_has = np.zeros((len(removed), width), dtype=bool)
    for j, c in enumerate(plan.compared):
        in_old, in_new = c in old.column_names, c in new.column_names
        o = plain(old.column(c)) if in_old else None
        n = plain(new.column(c)) if in_new else None
        if o is not None and n is not None:
            old_json, new_json = is_json(old.schema.field(c)), is_json(new.schema.field(c))
            masks[:, j] = changed_cells(
                o.take(pa.array(matched_old)), n.take(pa.array(matched_new)), old_json=old_json, new_json=new_json
            )
        elif n is not None:  # a column only the new snapshot has: a change wherever it holds a value
            masks[:, j] = _present(n.take(pa.array(matched_new)))
        elif o is not None:
            masks[:, j] = _present(o.take(pa.array(matched_old)))
        if n is not None:
            added_has[:, j] = _present(n.take(pa.array(added)))
        if o is not None:
            removed_has[:, j] = _present(o.take(pa.array(removed)))

    changed = np.flatnonzero(masks.any(axis=1))
    summary = plan.summary
    summary.added += len(added)
    summary.removed += len(removed)
    summary.changed += len(changed)
    for j, count in enumerate(masks.sum(axis=0).tolist()):
        if count:
            summary.per_column[plan.compared[j]] += count
    return _rows(
        plan,
        old,
        new,
        old_ids,
        new_ids,
        (matched_old[changed], matched_new[changed], masks[changed]),
        (added, added_has),
        (removed, removed_has),
    )


def _rows(
    plan: DiffPlan,
    old: pa.Table,
    new: pa.Table,
    old_ids: pa.Array,
    new_ids: pa.Array,
    changed: tuple[np.ndarray, np.ndarray, np.ndarray],
    added: tuple[np.ndarray, np.ndarray],
    removed: tuple[np.ndarray, np.ndarray],
) -> pa.Table:
    """Assemble the output table: changed, added and removed rows, then sorted by id."""
    (old_pos, new_pos, masks), (added_pos, added_has), (removed_pos, removed_has) = changed, added, removed
    n_changed, n_added, n_removed = len(old_pos), len(added_pos), len(removed_pos)
    total = n_changed + n_added + n_removed
    if total == 0:
        return plan.schema.empty_table()
    zeros = np.zeros
    # Positions into old and new per output row (0 where not shown), and which values each row shows.
    old_at = np.concatenate([old_pos, zeros(n_added, np.int64), removed_pos])
    new_at = np.concatenate([new_pos, added_pos, zeros(n_removed, np.int64)])
    width = len(plan.compared)
    old_shown = np.concatenate([masks, zeros((n_added, width), bool), np.ones((n_removed, width), bool)])
    new_shown = np.concatenate([masks, np.ones((n_added, width), bool), zeros((n_removed, width), bool)])
    names = np.asarray(plan.compared, dtype=object)
    listed = np.concatenate([masks, added_has, removed_has])
    ids = pa.concat_arrays(
        [old_ids.take(pa.array(old_pos)), new_ids.take(pa.array(added_pos)), old_ids.take(pa.array(removed_pos))]
    )
    change = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(3, dtype=np.int8), [n_changed, n_added, n_removed])),
        pa.array(["changed", "added", "removed"]),
    )
    columns = [ids, change, pa.array([names[row].tolist() for row in listed], pa.list_(pa.string()))]
    fields = iter(plan.schema)
    next(fields), next(fields), next(fields)
    for table, at, shown in ((old, old_at, old_shown), (new, new_at, new_shown)):
        for j, c in enumerate(plan.compared):
            columns.append(_value_column(table, c, at, shown[:, j], next(fields)))
    out = pa.Table.from_arrays(columns, schema=plan.schema)
    return out.take(pc.sort_indices(ids))


def iter_diff(
    old: Snapshot,
    new: Snapshot,
    *,
    columns: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    tmp_dir: str | None = None,
) -> tuple[DiffPlan, Iterator[pa.Table]]:
    """The plan (schema, summary filled as the tables come) and the output tables, one per bucket of ids."""
    plan = DiffPlan.make(old, new, columns, ignore)
    return plan, _tables(plan, tmp_dir)


def _tables(plan: DiffPlan, tmp_dir: str | None) -> Iterator[pa.Table]:
    buckets = bucket_count(plan.old, plan.new)
    with tempfile.TemporaryDirectory(prefix="ory_frames-diff-", dir=tmp_dir) as directory:
        sides = []
        for name, snapshot, wanted in (("old", plan.old, plan.old_columns), ("new", plan.new, plan.new_columns)):
            schema = pa.schema([snapshot.schema.field(c) for c in wanted])
            if snapshot.table is not None:
                sides.append(split(snapshot.table.select(wanted), buckets))
            elif buckets == 1:
                batches = list(snapshot.batches(wanted))
                sides.append(iter([pa.Table.from_batches(batches, schema=schema)]))
            else:
                side_dir = f"{directory}/{name}"
                paths = spread(snapshot, wanted, schema, buckets, _mkdir(side_dir))
                sides.append(read_bucket(p) for p in paths)
        for old_bucket, new_bucket in zip(*sides, strict=True):
            yield diff_bucket(plan, old_bucket, new_bucket)


def _mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path
