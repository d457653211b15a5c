"""Snapshot diff of two exports of a million identities: wall time and peak RSS of ``ory-frames diff``.

The two exports are built, not fetched: a seeded sandbox of ``--templates`` identities is exported once
(``export_identities``, real rows), and OLD is that export's rows cloned to ``--size`` rows with fresh
random UUIDs, written a chunk at a time, in no id order (as a sharded export or a CSV may come). NEW is
OLD streamed batch by batch with ``--edits`` rows edited (``traits.name.first`` and ``updated_at``),
``--deletes`` rows dropped and ``--creates`` new rows appended. Neither is ever whole in memory here.

Each diff runs in a fresh interpreter (``ory_frames.cli.main(["diff", OLD, NEW, "--out", …])``), which
reports its wall time and its own peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``); the summary it
prints is checked against the edits made. The same is measured at ``--base-size`` to show that the peak
does not grow with the exports. ``--keep DIR`` keeps the built exports for a second run.

Usage: ``python benchmarks/diff.py [--size 1000000] [--base-size 100000] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_CHILD = """
import json, resource, sys, time, io, contextlib
from ory_frames.cli import main
start = time.perf_counter()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["diff", sys.argv[1], sys.argv[2], "--out", sys.argv[3], "--overwrite"])
seconds = time.perf_counter() - start
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": seconds, "rss_mb": rss_mb, "summary": out.getvalue()}))
"""


def template_export(path: Path, identities: int) -> pa.Table:
    """A real export of a seeded sandbox (built once per --keep directory)."""
    if not path.exists():
        from ory_frames import Client, export_identities, sandbox

        with sandbox.running(seed_identities=identities, seed=0) as url, Client(url) as client:
            export_identities(client, path)
    return pq.read_table(path)


def _random_ids(rng: np.random.Generator, n: int) -> pa.Array:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return pa.array([str(uuid.UUID(bytes=row.tobytes(), version=4)) for row in raw], pa.string())


def build_old(template: pa.Table, path: Path, size: int, rng: np.random.Generator) -> None:
    """``size`` rows cloned from the template with fresh ids, one template-sized row group at a time."""
    with pq.ParquetWriter(path, template.schema) as writer:
        written = 0
        while written < size:
            chunk = template.slice(0, min(template.num_rows, size - written))
            writer.write_table(chunk.set_column(0, template.schema.field(0), _random_ids(rng, chunk.num_rows)))
            written += chunk.num_rows


def build_new(old: Path, template: pa.Table, path: Path, changes: dict[str, int], rng: np.random.Generator) -> None:
    """OLD streamed with some rows edited and some dropped, and new rows appended."""
    size = pq.ParquetFile(old).metadata.num_rows
    chosen = rng.choice(size, changes["edits"] + changes["deletes"], replace=False)
    edit, delete = set(chosen[: changes["edits"]].tolist()), set(chosen[changes["edits"] :].tolist())
    schema = template.schema
    first, updated = schema.get_field_index("traits.name.first"), schema.get_field_index("updated_at")
    now = pa.scalar(1_900_000_000_000_000, pa.timestamp("us", tz="UTC"))
    offset = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in pq.ParquetFile(old).iter_batches(batch_size=20_000):
            positions = np.arange(offset, offset + batch.num_rows)
            offset += batch.num_rows
            edited = pa.array(np.isin(positions, list(edit)))
            keep = pa.array(~np.isin(positions, list(delete)))
            table = pa.Table.from_batches([batch])
            table = table.set_column(
                first, schema.field(first), pc.if_else(edited, pa.scalar("Edited"), table.column(first))
            )
            table = table.set_column(updated, schema.field(updated), pc.if_else(edited, now, table.column(updated)))
            writer.write_table(table.filter(keep))
        created = template.slice(0, changes["creates"])
        writer.write_table(created.set_column(0, schema.field(0), _random_ids(rng, created.num_rows)))


def exports(directory: Path, size: int, changes: dict[str, int], templates: int) -> tuple[Path, Path]:
    """OLD and NEW of ``size`` identities under ``directory`` (kept between runs)."""
    old, new = directory / f"old-{size}.parquet", directory / f"new-{size}.parquet"
    if not (old.exists() and new.exists()):
        rng = np.random.default_rng(size)
        template = template_export(directory / f"template-{templates}.parquet", templates)
        started = time.perf_counter()
        build_old(template, old, size, rng)
        build_new(old, template, new, changes, rng)
        print(f"built {size:,} + {size:,} identities in {time.perf_counter() - started:.0f} s", flush=True)
    return old, new


def run_diff(old: Path, new: Path, out: Path) -> dict[str, Any]:
    """``ory-frames diff`` in a fresh interpreter: its report, as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(old), str(new), str(out)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def check(summary: str, changes: dict[str, int]) -> None:
    """The printed counts are the changes made (two columns changed on each edited row)."""
    wanted = [
        f"added:   {changes['creates']:,}",
        f"removed: {changes['deletes']:,}",
        f"changed: {changes['edits']:,}",
        f"  traits.name.first: {changes['edits']:,}",
    ]
    missing = [line for line in wanted if line not in summary.splitlines()]
    if missing:
        raise AssertionError(f"the summary misses {missing}:\n{summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--base-size", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the built exports in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ory_frames-bench-diff-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        rows = []
        for size in (args.base_size, args.size):
            changes = {"edits": size // 1000, "creates": size // 2000, "deletes": size // 2000}
            old, new = exports(directory, size, changes, args.templates)
            result = run_diff(old, new, Path(scratch) / f"diff-{size}.parquet")
            check(result["summary"], changes)
            mb = (os.path.getsize(old) + os.path.getsize(new)) / 1e6
            rows.append((size, mb, result["seconds"], result["rss_mb"], changes))
            print(
                f"{size:>9,} vs {size:,} identities ({mb:,.0f} MB of Parquet; {changes}): "
                f"{result['seconds']:.1f} s, peak RSS {result['rss_mb']:.0f} MB",
                flush=True,
            )
        print(f"load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
