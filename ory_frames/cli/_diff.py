"""`ory-frames diff OLD NEW`: which identities two exports added, removed or changed; a summary, and the rows."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ory_frames.cli._common import EXIT_CODES, usage_error, wrap_help

if TYPE_CHECKING:
    from ory_frames.snapshots import DiffSummary

__all__ = ["add_diff", "cmd_diff", "summary_lines"]

# Columns listed one per line in the summary; the rest are counted in one line (the file has them all).
SHOWN_COLUMNS = 30


def add_diff(subparsers: Any) -> None:
    """`ory-frames diff OLD NEW [--out FILE] [--ignore COLUMN ...]`."""
    p = subparsers.add_parser(
        "diff",
        help="compare two identity exports: who was added, removed or changed",
        description=wrap_help(
            "Compare two exports of identities (Parquet files, partitioned Parquet datasets, CSV or JSON Lines, "
            "as 'ory-frames export identities' writes them), matching rows by id. Prints how many identities "
            "were added, removed and changed, and how many changed in each column; --out writes one row per "
            "identity that differs (id, change, columns, and old.<column> / new.<column> values). "
            "Runs in constant memory: the exports are compared a range of ids at a time."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", help="the earlier export (path or URL)")
    p.add_argument("new", help="the later export (path or URL)")
    p.add_argument("--out", default=None, metavar="FILE", help="write the differing rows to this Parquet file")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--ignore",
        action="append",
        default=None,
        metavar="COLUMN",
        help="a column not to compare, e.g. updated_at (repeat for more)",
    )
    p.add_argument(
        "--column",
        action="append",
        default=None,
        metavar="COLUMN",
        help="compare only this column (repeat for more; default: every column)",
    )
    p.add_argument("--tmp-dir", default=None, metavar="DIR", help="where large exports are spread while compared")
    p.set_defaults(run=cmd_diff)


def summary_lines(summary: DiffSummary, shown: int = SHOWN_COLUMNS) -> list[str]:
    """The printed summary: identities added, removed and changed, then changes per column, most first."""
    lines = [f"added:   {summary.added:,}", f"removed: {summary.removed:,}", f"changed: {summary.changed:,}"]
    per_column = sorted(((n, c) for c, n in summary.per_column.items() if n), key=lambda x: (-x[0], x[1]))
    for count, column in per_column[:shown]:
        lines.append(f"  {column}: {count:,}")
    if len(per_column) > shown:
        lines.append(f"  ... and {len(per_column) - shown} more columns changed")
    if summary.columns_added:
        lines.append("columns only in NEW: " + ", ".join(summary.columns_added))
    if summary.columns_removed:
        lines.append("columns only in OLD: " + ", ".join(summary.columns_removed))
    if summary.ignored:
        lines.append("ignored: " + ", ".join(summary.ignored))
    return lines


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare OLD and NEW, write --out as the rows come (one bucket of ids at a time), print the summary."""
    out = args.out
    if out is not None and os.path.exists(out) and not args.overwrite:
        return usage_error("diff", f"--out {out} exists; pass --overwrite to replace it")
    for flag, path in (("OLD", args.old), ("NEW", args.new)):
        if "://" not in path and not os.path.exists(path):
            return usage_error("diff", f"{flag} {path} does not exist")
    # Imported here, not with the parser: `ory-frames --help` loads neither pandas nor pyarrow.
    import pyarrow.parquet as pq

    from ory_frames._errors import InvalidInputError
    from ory_frames.snapshots import iter_diff, open_snapshot

    started = time.perf_counter()
    try:
        old, new = open_snapshot(args.old, "OLD"), open_snapshot(args.new, "NEW")
    except InvalidInputError as exc:
        # A snapshot that cannot be read: a runtime error, one line (exit code 1, as cli/_main.py gives).
        print(f"ory-frames diff: {'; '.join(p.reason for p in exc.problems)}", file=sys.stderr)
        return 1
    known = set(old.schema.names) | set(new.schema.names)
    for flag, names in (("--ignore", args.ignore or []), ("--column", args.column or [])):
        unknown = [name for name in names if name not in known]
        if unknown:
            return usage_error("diff", f"{flag} {', '.join(unknown)}: no such column in OLD or NEW")
    plan, tables = iter_diff(old, new, columns=args.column, ignore=args.ignore, tmp_dir=args.tmp_dir)
    tmp = None if out is None else f"{out}.tmp-{os.getpid()}"
    writer = None if tmp is None else pq.ParquetWriter(tmp, plan.schema)
    try:
        for table in tables:
            if writer is not None and table.num_rows:
                writer.write_table(table)
    except BaseException:
        if writer is not None:
            writer.close()
            os.remove(tmp)  # type: ignore[arg-type]
        raise
    if writer is not None and tmp is not None and out is not None:
        writer.close()
        os.replace(tmp, out)  # appears under its name only once complete, as an export does
    for line in summary_lines(plan.summary):
        print(line)
    rows = plan.summary.added + plan.summary.removed + plan.summary.changed
    where = f" → {out}" if out is not None else ""
    print(f"{rows:,} rows{where} in {time.perf_counter() - started:.1f} s")
    return 0
