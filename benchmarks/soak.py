"""Soak: long exports and a write-back under injected faults, and long paced runs against emulated rate limits.

The issue's size: 50 000 identities (about 80 000 sessions) seeded once into a SQLite file, served by sandboxes
with faults (429 with x-ratelimit-reset, 500, 502, 503, resets, delays past the client timeout, truncated
bodies; 8 % of responses) for several fault seeds; each export is compared with a fault-free one, row by row.
Then one write-back under faults (re-applied until complete) and rate-limited runs on the Developer and
Production tiers, paced by RateBudget on a virtual clock shared with the sandbox.

Prints: runs, faults injected by kind (from /__sandbox/stats), rows checked, rows lost, duplicates, 429s
provoked under pacing, virtual vs minimum time, wall time.

Usage: ``python benchmarks/soak.py [--identities 50000] [--seeds 1 2 3]``
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from reliability_support import (  # noqa: E402
    FAULT_KINDS,
    TrackedBudget,
    VirtualClock,
    count_429,
    differing_columns,
    fast_client,
    requests_per_bucket,
    reset_stats,
    stats,
    tier_minimum,
)
from test_writeback_faults import build_plan, check_report, check_server  # noqa: E402

from ory_frames.export import export_identities, export_sessions  # noqa: E402
from ory_frames.frames import read_identities  # noqa: E402
from ory_frames.sandbox import running  # noqa: E402
from ory_frames.sandbox._seed import seed_store  # noqa: E402
from ory_frames.sandbox._store import Store  # noqa: E402

FAULTS = "429=0.015,500=0.015,502=0.01,503=0.01,reset=0.01,delay=0.01,truncate=0.01,delay_seconds=1.5"


def compare(got: pa.Table, want: pa.Table, since: datetime) -> tuple[int, int, int]:
    """(rows checked, rows lost, duplicated rows); values must match for the rows present."""
    ids = got.column("id").to_pylist()
    duplicates = len(ids) - len(set(ids))
    lost = len(set(want.column("id").to_pylist()) - set(ids))
    if not duplicates and not lost:
        differing = differing_columns(got, want, since=since)
        if differing:
            raise SystemExit(f"values differ in columns {differing}")
    return len(ids), lost, duplicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=50_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = str(work / "soak.sqlite")
        t = time.perf_counter()
        seed_store(Store(db), identities=args.identities, seed=1234)
        print(f"seeded {args.identities} identities in {time.perf_counter() - t:.1f}s")

        since = datetime.now(timezone.utc)
        with running(db=db) as url:
            client, _ = fast_client(url)
            with client:
                export_identities(client, work / "clean-ids.parquet")
                export_sessions(client, work / "clean-sessions.parquet")
        want = {
            "ids": pq.read_table(work / "clean-ids.parquet"),
            "sessions": pq.read_table(work / "clean-sessions.parquet"),
        }
        print(f"reference: {want['ids'].num_rows} identities, {want['sessions'].num_rows} sessions")

        for seed in args.seeds:
            t = time.perf_counter()
            with running(db=db, faults=FAULTS, fault_seed=seed) as url:
                client, _ = fast_client(url, timeout=0.5)
                with client:
                    export_identities(client, work / f"ids-{seed}.parquet", page_size=250, batch_rows=5000)
                    export_sessions(client, work / f"sessions-{seed}.parquet", page_size=500, batch_rows=10000)
                snap = stats(url)
            for kind in ("ids", "sessions"):
                name = "ids" if kind == "ids" else "sessions"
                checked, lost, dup = compare(pq.read_table(work / f"{name}-{seed}.parquet"), want[kind], since)
                totals["rows checked"] += checked
                totals["rows lost"] += lost
                totals["duplicates"] += dup
            faults.update({k: int(v) for k, v in snap["faults"].items()})
            totals["runs"] += 1
            totals["requests (faulty exports)"] += snap["total"]
            print(f"export run, fault seed {seed}: {snap['total']} requests, faults {snap['faults']}, "
                  f"{time.perf_counter() - t:.1f}s")  # fmt: skip

    # One write-back under faults, re-applied until every operation is applied.
    t = time.perf_counter()
    with running(seed_identities=3000, seed=77, faults=FAULTS, fault_seed=77) as url:
        client, _ = fast_client(url, timeout=0.5)
        with client:
            original = read_identities(client)
            plan, intended = build_plan(original, creates=600, patches=800, deletes=300, tag="soak")
            applies = 0
            while len(plan.done) < len(plan.operations) and applies < 10:
                report = plan.apply(client, workers=8)
                applies += 1
                check_report(plan, report)
                check_server(client, plan, report, intended, len(original))
            complete = len(plan.done) == len(plan.operations)
        snap = stats(url)
    faults.update({k: int(v) for k, v in snap["faults"].items()})
    totals["runs"] += 1
    print(f"write-back run: {len(plan.operations)} operations, {applies} apply call(s), complete={complete}, "
          f"faults {snap['faults']}, {time.perf_counter() - t:.1f}s")  # fmt: skip
    if not complete:
        raise SystemExit("write-back did not complete")

    # Rate-limited runs: no 429 under pacing, within 1.1x of the tier's minimum.
    for tier in ("developer", "production"):
        t = time.perf_counter()
        vclock = VirtualClock()
        with running(seed_identities=2000, seed=88, rate_limits=tier, clock=vclock) as url:
            client, _ = fast_client(url, vclock=vclock, budget=TrackedBudget.tier(vclock, tier))
            with client:
                export_identities(client, Path(tempfile.mkdtemp()) / "ids.parquet", page_size=20)
                export_snap, export_time = stats(url), vclock()
                original = read_identities(client)
                plan, _ = build_plan(original, creates=100, patches=300, deletes=100, tag=tier)
                reset_stats(url)
                start = vclock()
                plan.apply(client, workers=8)
                apply_snap, apply_time = stats(url), vclock() - start
        for phase, snap, took in (("export", export_snap, export_time), ("apply", apply_snap, apply_time)):
            per_bucket = requests_per_bucket(snap)
            minimum = tier_minimum(tier, per_bucket)
            totals["runs"] += 1
            totals["429s provoked under pacing"] += count_429(snap)
            print(f"rate-limited {phase} ({tier}): {snap['total']} requests {per_bucket}, 429s {count_429(snap)}, "
                  f"virtual {took:.0f}s vs minimum {minimum:.0f}s ({took / minimum:.3f}x)")  # fmt: skip
        print(f"  wall time {time.perf_counter() - t:.1f}s")

    print("\n== soak summary ==")
    print(f"runs: {totals['runs']}")
    print("faults injected: " + ", ".join(f"{k}={faults[k]}" for k in FAULT_KINDS) + f" (total {sum(faults.values())})")
    print(f"rows checked: {totals['rows checked']}")
    print(f"rows lost: {totals['rows lost']}")
    print(f"duplicates: {totals['duplicates']}")
    print(f"429s provoked under pacing: {totals['429s provoked under pacing']}")
    print(f"wall time: {time.perf_counter() - started:.1f}s")
    if totals["rows lost"] or totals["duplicates"] or totals["429s provoked under pacing"]:
        raise SystemExit(1)


if __name__ == "__main__":
    logging.getLogger("ory_frames").setLevel(logging.ERROR)  # retries are expected here; the summary counts them
    main()
