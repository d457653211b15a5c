"""Write-back benchmarks: planning 100 000 identities with 10% edited, and apply throughput.

Run with ``python benchmarks/writeback.py``. Apply throughput is measured against the sandbox with
20 ms of latency per request, injected by the sandbox's own ``delay`` fault (rate 1.0).
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from ory_frames import Client
from ory_frames.sandbox import running
from ory_frames.writeback import plan_changes

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


def synthetic_frame(n: int) -> pd.DataFrame:
    """An identities frame shaped like ``read_identities`` output, without a server."""
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": pd.array([str(uuid.UUID(int=i + 1)) for i in range(n)], dtype="string"),
            "schema_id": pd.array(["default"] * n, dtype="string"),
            "state": pd.Categorical(["active"] * n, categories=["active", "inactive"]),
            "updated_at": pd.Series([base + timedelta(seconds=i) for i in range(n)]).astype("datetime64[us, UTC]"),
            "traits.email": pd.array([f"user{i}@example.com" for i in range(n)], dtype="string"),
            "traits.name.first": pd.array([f"First{i % 500}" for i in range(n)], dtype="string"),
            "traits.name.last": pd.array(["Last"] * n, dtype="string"),
            "traits.age": pd.array(rng.integers(13, 90, n), dtype="Int64"),
            "traits.newsletter": pd.array(rng.integers(0, 2, n).astype(bool), dtype="boolean"),
            "metadata_admin": [{"tier": i % 3} for i in range(n)],
        }
    )


def bench_plan(n: int = 100_000, fraction: float = 0.1) -> float:
    original = synthetic_frame(n)
    edited = original.copy()
    rows = np.random.default_rng(1).choice(n, int(n * fraction), replace=False)
    half = len(rows) // 2
    edited.loc[rows[:half], "traits.name.first"] = "Edited"
    edited.loc[rows[half:], "traits.age"] = 55
    edited.loc[rows[: len(rows) // 10], "state"] = "inactive"
    start = time.perf_counter()
    plan = plan_changes(original, edited, schemas={"default": SCHEMA})
    elapsed = time.perf_counter() - start
    print(f"plan: {n} rows, {len(rows)} edited -> {plan.summary()['patch']} patches in {elapsed:.2f} s")
    return elapsed


def bench_apply(rows: int = 200, workers: tuple[int, ...] = (1, 8, 32), latency: float = 0.02) -> None:
    faults = f"delay=1.0,delay_seconds={latency}"
    for count in workers:
        with running(seed_identities=rows, faults=faults) as url, Client(url) as client:
            from ory_frames.frames import read_identities

            original = read_identities(client)
            edited = original.copy()
            edited["metadata_admin"] = [{"bench": i} for i in range(len(edited))]
            plan = plan_changes(original, edited)
            start = time.perf_counter()
            report = plan.apply(client, workers=count)
            elapsed = time.perf_counter() - start
            applied = int((report["status"] == "applied").sum())
            print(
                f"apply: {applied}/{len(report)} patches (GET + PATCH each), {latency * 1000:.0f} ms latency, "
                f"{count:>2} workers: {elapsed:.2f} s, {applied / elapsed:.0f} identities/s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--apply-rows", type=int, default=200)
    parser.add_argument("--skip-apply", action="store_true")
    args = parser.parse_args()
    bench_plan(args.rows)
    if not args.skip_apply:
        bench_apply(args.apply_rows)


if __name__ == "__main__":
    main()
