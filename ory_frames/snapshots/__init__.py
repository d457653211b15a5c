"""Snapshot diffs: which identities were added, removed or changed between two reads or exports.

:func:`diff_snapshots` returns a DataFrame; the command line's ``ory-frames diff`` streams the same
rows to a file (:func:`iter_diff`). The inputs are opened by :mod:`._sources`, spread over buckets of
id ranges by :mod:`._buckets` (so two exports of a million identities are compared a range at a time),
compared by value by :mod:`._compare` and turned into rows by :mod:`._diff`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._diff import CHANGES, DiffPlan, DiffSummary, iter_diff
from ._sources import Snapshot, open_snapshot

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CHANGES", "DiffPlan", "DiffSummary", "Snapshot", "diff_snapshots", "iter_diff", "open_snapshot"]


def diff_snapshots(
    old: Any,
    new: Any,
    *,
    columns: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    tmp_dir: str | None = None,
) -> pd.DataFrame:
    """Compare two identity snapshots: one row per identity added, removed or changed, with old and new values.

    Rows are matched by ``id``. Values are compared as write-back compares an edited frame: lists and
    structs (addresses, ``emails``) by their values, JSON columns (metadata) by their parsed value,
    timestamps by the instant, and every kind of missing value (None, NaN, NaT, NA) alike. A column
    that only one snapshot has (a new trait) counts as changed wherever it holds a value.

    Parameters
    ----------
    old, new : pandas.DataFrame, pyarrow.Table, str or os.PathLike
        An identities frame (``read_identities``), its Arrow table, or the path or URL of an export
        (``export_identities``): a Parquet file, a partitioned Parquet dataset (a directory), a CSV
        or a JSON Lines file. Exports are read a batch at a time and spread over temporary files by
        ranges of ids, then compared a range at a time: memory stays at about 25 000 identities per
        side whatever the size of the exports.
    columns : sequence of str, optional
        Compare only these columns (default: every column of either snapshot).
    ignore : sequence of str, optional
        Columns not to compare, e.g. ``["updated_at"]``, which changes with every edit.
    tmp_dir : str, optional
        Where the temporary files of large exports go (default: the system's temporary directory).
        They take about a third of the exports' size on disk and are removed at the end.

    Returns
    -------
    pandas.DataFrame
        One row per identity that differs, in id order: ``id``; ``change`` (category: ``added``,
        ``removed`` or ``changed``); ``columns``, the list of column names that differ (for an
        added or removed identity, the columns that hold a value); and for each compared column
        ``c`` the pair ``old.c`` / ``new.c``, typed as ``c`` is in each snapshot. A changed row fills
        the pair only for the columns it names (null elsewhere: unchanged, not erased); an added row
        fills every ``new.c``, a removed row every ``old.c``. ``df.attrs["ory_frames"]["diff"]`` holds
        the summary: ``added``, ``removed``, ``changed`` (identities), ``per_column`` (identities
        changed per column), ``columns_added`` and ``columns_removed`` (columns only ``new`` or
        only ``old`` has) and ``ignored``.

    Raises
    ------
    InvalidInputError
        An input that is not a snapshot (no ``id`` column, an id missing or repeated, a path that
        does not exist), or ``columns``/``ignore`` naming a column neither snapshot has.

    Examples
    --------
    >>> from ory_frames import Client, diff_snapshots, plan_changes, read_identities, sandbox
    >>> with sandbox.running(seed_identities=20, seed=0) as url, Client(url) as client:
    ...     before = read_identities(client)
    ...     edited = before.drop(index=[1]).copy()
    ...     edited.loc[0, "traits.name.first"] = "Ada"
    ...     _ = plan_changes(before, edited, allow_delete=True).apply(client)
    ...     after = read_identities(client)
    >>> diff = diff_snapshots(before, after, ignore=["updated_at"])
    >>> diff["change"].value_counts().sort_index().to_dict()
    {'added': 0, 'removed': 1, 'changed': 1}
    >>> changed = diff[diff["change"] == "changed"].iloc[0]
    >>> changed["columns"], changed["new.traits.name.first"]
    (['traits.name.first'], 'Ada')
    >>> diff.attrs["ory_frames"]["diff"]["per_column"]["traits.name.first"]
    1
    """
    import pandas as pd
    import pyarrow as pa

    from ory_frames.convert import ATTRS_KEY, table_to_frame

    plan, tables = iter_diff(
        open_snapshot(old, "old"), open_snapshot(new, "new"), columns=columns, ignore=ignore, tmp_dir=tmp_dir
    )
    table = pa.concat_tables([plan.schema.empty_table(), *tables]).combine_chunks()
    df = table_to_frame(table)
    df["change"] = df["change"].astype(str).astype(pd.CategoricalDtype(list(CHANGES)))
    df.attrs[ATTRS_KEY] = {"kind": "identity_diff", "diff": plan.summary.as_dict()}
    return df
