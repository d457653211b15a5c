"""How long ``plan_changes`` takes on a large frame with edits, new rows and deletes, each run in a fresh process.

Every run plans once in a new interpreter (jsonschema imported beforehand, as an application that validates
would have it), so the figure is what a notebook or ``ory-frames apply`` pays for its one plan, collector
passes included: the frames' JSON cells are live dicts, and a full pass of the cyclic GC over them costs a
few tenths of a second at 100 000 rows. The median and the minimum of ``--runs`` runs are printed.

Usage: ``.venv/bin/python benchmarks/plan.py [--rows 100000] [--runs 5] [--edited 0.1] [--new 0.01] [--deleted 0.01]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "name": {"type": "object", "properties": {"first": {"type": "string"}, "last": {"type": "string"}}},
                "age": {"type": "integer", "minimum": 13},
                "newsletter": {"type": "boolean"},
            },
            "required": ["email"],
        }
    },
}


def frames(rows: int, edited_share: float, new_share: float, deleted_share: float) -> tuple[Any, Any]:
    """An identities frame shaped like ``read_identities`` output, and its edited copy."""
    import numpy as np
    import pandas as pd

    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rng = np.random.default_rng(0)
    original = pd.DataFrame(
        {
            "id": pd.array([str(uuid.UUID(int=i + 1)) for i in range(rows)], dtype="string"),
            "schema_id": pd.array(["default"] * rows, dtype="string"),
            "state": pd.Categorical(["active"] * rows, categories=["active", "inactive"]),
            "updated_at": pd.Series([base + timedelta(seconds=i) for i in range(rows)]).astype("datetime64[us, UTC]"),
            "traits.email": pd.array([f"user{i}@example.com" for i in range(rows)], dtype="string"),
            "traits.name.first": pd.array([f"First{i % 500}" for i in range(rows)], dtype="string"),
            "traits.name.last": pd.array(["Last"] * rows, dtype="string"),
            "traits.age": pd.array(rng.integers(13, 90, rows), dtype="Int64"),
            "traits.newsletter": pd.array(rng.integers(0, 2, rows).astype(bool), dtype="boolean"),
            "metadata_admin": [{"tier": i % 3} for i in range(rows)],
        }
    )
    edited = original.copy()
    picked = np.random.default_rng(1).permutation(rows)
    changed = picked[: int(rows * edited_share)]
    half = len(changed) // 2
    edited.loc[changed[:half], "traits.name.first"] = "Edited"
    edited.loc[changed[half:], "traits.age"] = 55
    edited.loc[changed[: len(changed) // 10], "state"] = "inactive"
    gone = picked[len(changed) : len(changed) + int(rows * deleted_share)]
    edited = edited.drop(index=gone)
    count = int(rows * new_share)
    new = original.iloc[:count].copy()
    new["id"] = pd.array([None] * count, dtype="string")
    new["traits.email"] = pd.array([f"new{i}@example.com" for i in range(count)], dtype="string")
    new.index = range(rows, rows + count)
    return original, pd.concat([edited, new])


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the frames, then time one ``plan_changes`` call (the first of this process)."""
    import jsonschema  # noqa: F401  (imported before timing: validation needs it, the plan does not pay for it)

    from ory_frames import plan_changes

    original, edited = frames(args.rows, args.edited, args.new, args.deleted)
    cpu, wall = time.process_time(), time.perf_counter()
    plan = plan_changes(original, edited, schemas={"default": SCHEMA}, allow_delete=True)
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "summary": {k: int(v) for k, v in plan.summary().items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--edited", type=float, default=0.1, help="share of rows with an edited cell")
    parser.add_argument("--new", type=float, default=0.01, help="new rows, as a share of --rows")
    parser.add_argument("--deleted", type=float, default=0.01, help="share of rows dropped (planned as deletes)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args)))
        return
    child = [sys.executable, __file__, "--child", *sys.argv[1:]]
    runs = []
    for _ in range(args.runs):
        runs.append(json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout))
    walls, cpus = [r["wall"] for r in runs], [r["cpu"] for r in runs]
    print(f"plan_changes: {args.rows} rows -> {runs[0]['summary']}, {args.runs} runs, one fresh process each")
    print(f"  wall: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s")
    print(f"  cpu:  median {statistics.median(cpus):.2f} s, min {min(cpus):.2f} s")


if __name__ == "__main__":
    main()
