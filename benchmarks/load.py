"""Loading identities into DuckDB with dlt: ``ory_source`` against dlt's generic ``rest_api`` source, same run.

Three variants, each into a fresh DuckDB file, against one sandbox in a process of its own on a seeded SQLite
file (``--size`` identities, cloned by ``export_servers.seeded_db``; kept in ``--db-dir``):

- rest_api: dlt's ``rest_api_source`` pointed at ``GET /admin/identities`` (``header_link`` paginator,
  ``page_size=500``, primary key ``id``, write disposition ``merge``): dlt's JSON normaliser does the work;
- ory_source: ``ory_frames.dlt.ory_source`` with its ``identities`` resource only (``merge`` too): Arrow
  batches, which dlt writes to Parquet without normalising them;
- export + DuckDB: ``export_identities`` to Parquet, then ``CREATE TABLE ... AS SELECT * FROM read_parquet``,
  the floor any load of these rows pays.

Target (issue 20): ory_source >= 10x rest_api. Prints identities per second for each run of each variant
(``--runs`` rounds, the variants taking turns within a round, so that a busy spell of a shared machine falls on
all of them), then the best of each and the ratio of the best.

Usage: ``python benchmarks/load.py [--size 50000] [--runs 1] [--db-dir DIR]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt's usage telemetry: a benchmark sends nothing out

import dlt
import duckdb
from dlt.sources.rest_api import rest_api_source
from export_servers import seeded_db, serve

from ory_frames import Client, export_identities
from ory_frames.dlt import ory_source


def pipeline(work: Path, name: str) -> dlt.Pipeline:
    """A pipeline of its own, writing a fresh DuckDB file in ``work``."""
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(work / f"{name}.duckdb")),
        dataset_name="ory",
        pipelines_dir=str(work / "pipelines"),
    )


def load_rest_api(url: str, work: Path) -> int:
    source = rest_api_source(
        {
            "client": {"base_url": url, "paginator": {"type": "header_link"}},
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {"name": "identities", "endpoint": {"path": "admin/identities", "params": {"page_size": 500}}}
            ],
        }
    )
    p = pipeline(work, "rest_api")
    p.run(source)
    return rows(work / "rest_api.duckdb")


def load_ory_source(url: str, work: Path) -> int:
    p = pipeline(work, "ory_source")
    p.run(ory_source(url=url).with_resources("identities"))
    return rows(work / "ory_source.duckdb")


def export_then_duckdb(url: str, work: Path) -> int:
    out = work / "identities.parquet"
    with Client(url) as client:
        export_identities(client, out, overwrite=True)
    with duckdb.connect(str(work / "export.duckdb")) as db:
        db.execute("CREATE SCHEMA ory")
        db.execute(f"CREATE TABLE ory.identities AS SELECT * FROM read_parquet('{out}')")
    return rows(work / "export.duckdb")


def rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as db:
        found = db.execute("SELECT count(*) FROM ory.identities").fetchone()
    return int(found[0]) if found else 0


VARIANTS: dict[str, Callable[[str, Path], int]] = {
    "rest_api": load_rest_api,
    "ory_source": load_ory_source,
    "export + DuckDB": export_then_duckdb,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=50_000, help="identities (default 50 000)")
    parser.add_argument("--runs", type=int, default=1, help="rounds of the three variants (default 1)")
    parser.add_argument("--db-dir", type=Path, default=None, help="keep the seeded sandbox database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db_dir = args.db_dir or Path(scratch)
        db_dir.mkdir(parents=True, exist_ok=True)
        db = seeded_db(db_dir, args.size, fast=True)
        rates: dict[str, float] = dict.fromkeys(VARIANTS, 0.0)
        with serve(db) as served:
            for run in range(args.runs):
                for name, variant in VARIANTS.items():
                    work = Path(scratch) / f"{name.replace(' ', '')}-{run}"
                    work.mkdir()
                    start = time.perf_counter()
                    loaded = variant(served.url, work)
                    seconds = time.perf_counter() - start
                    assert loaded == args.size, f"{name} loaded {loaded} of {args.size} identities"
                    rates[name] = max(rates[name], loaded / seconds)
                    rate = loaded / seconds
                    print(f"{name:>15}: {loaded} identities in {seconds:6.1f} s = {rate:8.0f}/s", flush=True)
        print("best: " + ", ".join(f"{name} {rate:.0f}/s" for name, rate in rates.items()))
        ratio = rates["ory_source"] / rates["rest_api"]
        print(f"ory_source / rest_api = {ratio:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
