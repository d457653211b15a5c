"""Export throughput at 0, 10 and 30 ms of added latency, and the exporter's peak memory up to a million identities.

Every measured run is a fresh interpreter (its own peak RSS, ``ru_maxrss``, read in that process) against
a sandbox that runs in a process of its own, on a seeded SQLite file, so that neither shares memory with
the other. Interpreter start is excluded from the times.

The table (``table_rows``), one run per cell, ``--table-size`` identities, page size 500, each row one
added latency (``sandbox.running(latency_ms=…)``):

- bytes: an httpx page loop that only reads the bytes (the floor any sequential cursor pays);
- parse: the same loop parsing each page's JSON;
- SDK: ``ory_client`` paged by hand (``list_identities_with_http_info`` + Link header), then
  ``pandas.json_normalize`` and ``to_parquet``;
- export: ``export_identities`` to Parquet, and export / bytes;
- shards: ``export_identities(..., shards=4)``, four keyset cursors over slices of the id space.

Targets (issue 11): at 10 ms export >= 0.95x bytes; at 0 ms export >= 0.75x parse and >= 5x SDK; at
30 ms shards >= 2.5x export. Each row says which of them it checks.

Against a real Ory Kratos (``kratos_rows``, ``--server kratos``; the binary of ``scripts/install-kratos.sh``):
the same columns at 0 ms on the sandbox and on Kratos (a SQLite file), ``--table-size`` identities (default
20 000) of the same seed documents, the best of ``--runs`` per cell. Beside them, where the time goes: for
each cell its wall time, the client's CPU time (the variant's process), the server's (``/proc``) and
Kratos' own time per page (the ``took`` of its request log). ``benchmarks/export_servers.py`` starts both.

The frame reads (``compare_reads``): ``read_identities`` / ``read_sessions`` into a DataFrame beside
``export_identities`` / ``export_sessions`` to Parquet on the same data at 0 ms, read / export >= 0.8.

The memory check (``rss_check``): ``export_identities`` of ``--base-size`` and of ``--size`` identities
(cloned from a few thousand realistic ones: ``ory_frames.sandbox._seed_fast``); peak RSS at ``--size``
under 400 MB and within 1.3x of the peak at ``--base-size``.

Each part is one function (a variant is one entry of ``VARIANTS`` plus a column of ``COLUMNS``), so that
more rows or columns (shards, reads) are added beside them. ``--db-dir`` keeps the seeded databases, so a
second run does not seed again.

An A/B (``--against COMMIT``): ``export_identities`` of this checkout and of COMMIT's ``ory_frames/`` (``git
archive``, first on ``PYTHONPATH``) alternately on one sandbox at 0 ms, ``--runs`` (3+) times each, and their ratios.

Usage: ``python benchmarks/export.py [--size 1000000] [--quick] [--skip-table] [--skip-reads] [--skip-rss]
[--db-dir DIR] [--server kratos [--runs 3]] [--against COMMIT [--table-size N] [--runs 5]]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from export_servers import (
    Served,
    cpu_seconds,
    kratos_version,
    request_seconds,
    seeded_db,
    seeded_kratos_db,
    serve,
    serve_kratos,
)

PAGE_SIZE = 500
RSS_LIMIT_MB = 400.0
RSS_GROWTH = 1.3

# Each variant's child process: it is given the sandbox URL, an output path and the expected row count, and
# prints one JSON line {"rows", "seconds", "rss_mb"} (report()).
_COMMON = """
import json, resource, sys, time
url, out, expected, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
_cpu = [0.0]
def begin():  # the start of the measured part: its wall clock, and the CPU time of this process (all threads)
    _cpu[0] = time.process_time()
    return time.perf_counter()
def report(rows, seconds, **extra):
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time() - _cpu[0]
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "rss_mb": rss_kb / 1024, **extra}))
"""

_PAGE_LOOP = """
import httpx
from ory_frames.pages._paginators import parse_link_header
from urllib.parse import parse_qs, urlsplit
def pages(http):
    token = None
    while True:
        params = {"page_size": page_size, **({"page_token": token} if token else {})}
        resp = http.get("/admin/identities", params=params)
        resp.raise_for_status()
        yield resp.content
        nxt = parse_link_header(resp.headers.get("link", "")).get("next")
        if not nxt:
            return
        token = parse_qs(urlsplit(nxt).query)["page_token"][0]
"""

VARIANTS: dict[str, str] = {
    "bytes": _PAGE_LOOP
    + """
start = begin()
rows = size = 0
with httpx.Client(base_url=url) as http:
    for body in pages(http):
        rows += body.count(b'"schema_id":')  # one per identity: counted in C, nothing parsed
        size += len(body)
report(rows, time.perf_counter() - start, bytes=size)
""",
    "parse": _PAGE_LOOP
    + """
import orjson
start = begin()
rows = 0
with httpx.Client(base_url=url) as http:
    for body in pages(http):
        rows += len(orjson.loads(body))
report(rows, time.perf_counter() - start)
""",
    "sdk": """
from urllib.parse import parse_qs, urlsplit
import ory_client, pandas as pd
from ory_client.api.identity_api import IdentityApi
from ory_frames.pages._paginators import parse_link_header
start = begin()
api = IdentityApi(ory_client.ApiClient(ory_client.Configuration(host=url)))
rows, token = [], None
while True:
    resp = api.list_identities_with_http_info(page_size=page_size, page_token=token)
    rows.extend(i.to_dict() for i in resp.data)
    headers = resp.headers or {}
    nxt = parse_link_header(headers.get("Link") or headers.get("link") or "").get("next")
    if not nxt:
        break
    token = parse_qs(urlsplit(nxt).query)["page_token"][0]
df = pd.json_normalize(rows)
df = df.astype({c: "string" for c in df.columns if df[c].dtype == object})
df.to_parquet(out)
report(len(df), time.perf_counter() - start)
""",
    # pandas and pyarrow are imported before the clock starts, as the SDK path's are: pa.array over Python
    # objects imports pandas (pyarrow's pandas shim), which would otherwise fall inside the first export
    "export": """
import pandas, pyarrow.compute, pyarrow.parquet
from ory_frames import Client, export_identities
start = begin()
with Client(url) as client:
    result = export_identities(client, out, overwrite=True, page_size=page_size)
report(result.rows, time.perf_counter() - start)
""",
    # four keyset cursors over slices of the id space (ory_frames.pages._shards)
    "shards": """
import pandas, pyarrow.compute, pyarrow.parquet
from ory_frames import Client, export_identities
start = begin()
with Client(url) as client:
    result = export_identities(client, out, overwrite=True, page_size=page_size, shards=4)
report(result.rows, time.perf_counter() - start)
""",
}
# The export of --against: the same (one commit may load pandas with ory_frames, another only inside the export).
VARIANTS["export_warm"] = VARIANTS["export"]
# The frame reads beside the exports they are compared with, each pair on the same data (compare_reads).
VARIANTS.update(
    {
        "read_identities": """
from ory_frames import Client, read_identities
with Client(url) as client:
    start = begin()
    rows = len(read_identities(client, page_size=page_size))
report(rows, time.perf_counter() - start)
""",
        "export_sessions": """
from ory_frames import Client, export_sessions
with Client(url) as client:
    start = begin()
    rows = export_sessions(client, out, overwrite=True).rows
report(rows, time.perf_counter() - start)
""",
        "read_sessions": """
from ory_frames import Client, read_sessions
with Client(url) as client:
    start = begin()
    rows = len(read_sessions(client))
report(rows, time.perf_counter() - start)
""",
    }
)
READ_TARGET = 0.8
# Table columns: (header, variant). A derived column (a ratio) is computed in table_rows.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("bytes-only httpx loop", "bytes"),
    ("parse-only loop", "parse"),
    ("official SDK path", "sdk"),
    ("export_identities", "export"),
    ("export_identities, 4 shards", "shards"),
)


def run_variant(
    name: str, url: str, out: Path, expected: int, page_size: int = PAGE_SIZE, package: Path | None = None
) -> dict[str, Any]:
    """Run one variant in a fresh interpreter (importing ``ory_frames`` from ``package`` if given); its last
    stdout line is the JSON report."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-c", _COMMON + VARIANTS[name], url, str(out), str(expected), str(page_size)],
        capture_output=True,
        text=True,
        check=False,
        env=env if package else None,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"variant {name} failed:\n{proc.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if expected >= 0 and report["rows"] != expected:
        raise RuntimeError(f"variant {name} saw {report['rows']} identities, expected {expected}")
    return report


def measure_row(served: Served, size: int, out: Path, runs: int = 1) -> dict[str, Any]:
    """Identities/s of every column on one server (the best of ``runs``), the ratios, and where the time went.

    For each column, ``split[variant]`` holds the best run's wall seconds, the client's CPU seconds (the
    variant's process, all threads), the server's (its process, read around the run) and, from Kratos'
    log, its own seconds for each page request.
    """
    row: dict[str, Any] = {"split": {}}
    for _, variant in COLUMNS:
        best: dict[str, Any] = {}
        for _ in range(runs):
            cpu_before = cpu_seconds(served.pid)
            log_offset = served.log.stat().st_size if served.log else 0
            rep = run_variant(variant, served.url, out, size)
            cpu_after = cpu_seconds(served.pid)
            if cpu_before is not None and cpu_after is not None:
                rep["server_cpu"] = cpu_after - cpu_before
            if served.log:
                rep["server_pages"] = request_seconds(served.log, log_offset)
            if not best or rep["seconds"] < best["seconds"]:
                best = rep
        row[variant] = best["rows"] / best["seconds"]
        row["split"][variant] = best
    row["export/bytes"] = row["export"] / row["bytes"]
    row["export/parse"] = row["export"] / row["parse"]
    row["export/SDK"] = row["export"] / row["sdk"]
    row["shards/export"] = row["shards"] / row["export"]
    return row


def table_rows(db: Path, size: int, latencies: Sequence[float], out: Path) -> list[dict[str, Any]]:
    """Identities/s of every column at each added latency (one run each), plus export / bytes."""
    rows = []
    for latency in latencies:
        with serve(db, latency) as served:
            row = {"label": f"{latency:g} ms", "latency_ms": latency, **measure_row(served, size, out)}
        print_table([row], header=not rows)
        rows.append(row)
    return rows


def kratos_rows(directory: Path, size: int, out: Path, runs: int) -> list[dict[str, Any]]:
    """The table's columns on the sandbox and on a real Kratos (SQLite file), the same seed documents, 0 ms.

    Printed with the time split of every run: wall, client CPU, server CPU and Kratos' own time per page.
    """
    sandbox_db, kratos_db = seeded_db(directory, size, fast=False), seeded_kratos_db(directory, size)
    rows = []
    with serve(sandbox_db) as served:
        rows.append({"label": "sandbox", "latency_ms": 0.0, **measure_row(served, size, out, runs)})
    print_table(rows)
    with serve_kratos(kratos_db) as served:
        rows.append({"label": f"Kratos {kratos_version()}", "latency_ms": 0.0})
        rows[-1].update(measure_row(served, size, out, runs))
    print_table(rows[-1:], header=False)
    print()
    print_split(rows)
    return rows


def print_table(rows: Sequence[dict[str, Any]], *, header: bool = True) -> None:
    """Markdown rows: identities/s per column and the export / bytes ratio."""
    if header:
        names = [name for name, _ in COLUMNS]
        ratios = " | ".join(RATIOS)
        print("| server, added latency per request | " + " | ".join(names) + f" | {ratios} | targets |")
        print("|---" * (len(names) + len(RATIOS) + 2) + "|")
    for row in rows:
        cells = [f"{row[variant]:,.0f}/s" for _, variant in COLUMNS] + [f"{row[r]:.2f}" for r in RATIOS]
        print(f"| {row['label']} | " + " | ".join(cells) + f" | {targets_met(row)} |", flush=True)


def print_split(rows: Sequence[dict[str, Any]]) -> None:
    """Markdown: per server and column, wall seconds, client and server CPU seconds, and the server's time per page."""
    print("| server | variant | wall s | client CPU s | server CPU s | pages | server's own ms per page (its log) |")
    print("|---" * 7 + "|")
    for row in rows:
        for name, variant in COLUMNS:
            rep = row["split"][variant]
            pages = rep.get("server_pages")
            own = f"{1000 * sum(pages) / len(pages):.1f} (sum {sum(pages):.2f} s)" if pages else "-"
            server_cpu = f"{rep['server_cpu']:.2f}" if "server_cpu" in rep else "-"
            print(
                f"| {row['label']} | {name} | {rep['seconds']:.2f} | {rep['cpu']:.2f} | {server_cpu} | "
                f"{len(pages) if pages else '-'} | {own} |"
            )
    for row in rows:
        rep = row["split"]["bytes"]
        print(f"{row['label']}: {rep['bytes'] / rep['rows']:,.0f} bytes per identity on the wire", flush=True)


RATIOS = ("export/bytes", "export/parse", "export/SDK", "shards/export")


def targets_met(row: dict[str, float]) -> str:
    """The issue's targets that apply at this row's latency, each with met or missed."""
    checks = {
        0.0: [("export/parse", 0.75), ("export/SDK", 5.0)],
        10.0: [("export/bytes", 0.95)],
        30.0: [("shards/export", 2.5)],
    }.get(row["latency_ms"], [])
    verdicts = [f"{name} >= {bound:g}: {'met' if row[name] >= bound else 'missed'}" for name, bound in checks]
    return ", ".join(verdicts) or "-"


def compare_reads(db: Path, identities: int, out: Path) -> bool:
    """The frame reads beside the exports of the same data at 0 ms; True when both ratios meet READ_TARGET.

    The sessions export counts the sessions, which the sessions read must then see.
    """
    ok = True
    with serve(db) as served:
        url = served.url
        for kind, (export_name, read_name) in {
            "identities": ("export", "read_identities"),
            "sessions": ("export_sessions", "read_sessions"),
        }.items():
            export = run_variant(export_name, url, out, identities if kind == "identities" else -1)
            read = run_variant(read_name, url, out, export["rows"])
            rates = {name: rep["rows"] / rep["seconds"] for name, rep in ((export_name, export), (read_name, read))}
            ratio = rates[read_name] / rates[export_name]
            print(
                f"{kind}: {export_name} {rates[export_name]:,.0f}/s (peak RSS {export['rss_mb']:.0f} MB), "
                f"{read_name} {rates[read_name]:,.0f}/s (peak RSS {read['rss_mb']:.0f} MB): "
                f"read / export = {ratio:.2f} (target >= {READ_TARGET})",
                flush=True,
            )
            ok &= ratio >= READ_TARGET
    return ok


def rss_check(directory: Path, sizes: Sequence[int], out: Path) -> bool:
    """Peak RSS of export_identities at each size; the largest under RSS_LIMIT_MB and within RSS_GROWTH of the first."""
    peak: dict[int, float] = {}
    for n in sizes:
        db = seeded_db(directory, n, fast=True)
        with serve(db) as served:
            rep = run_variant("export", served.url, out, n)
        peak[n] = rep["rss_mb"]
        print(
            f"export_identities of {n:>9,} identities: peak RSS {peak[n]:6.1f} MB, {rep['seconds']:6.1f} s, "
            f"{n / rep['seconds']:,.0f}/s",
            flush=True,
        )
    small, large = sizes[0], sizes[-1]
    growth = peak[large] / peak[small]
    ok = peak[large] < RSS_LIMIT_MB and growth <= RSS_GROWTH
    print(
        f"peak RSS at {large:,}: {peak[large]:.1f} MB (target < {RSS_LIMIT_MB:g}); "
        f"{growth:.2f}x the peak at {small:,} (target <= {RSS_GROWTH})"
    )
    return ok


def compare_commit(db: Path, size: int, commit: str, out: Path, runs: int) -> None:
    """The export of this checkout and of ``commit``, alternately; rates and CPU per identity (steadier when busy)."""
    with tempfile.TemporaryDirectory() as other:
        repo = Path(__file__).resolve().parents[1]
        archive = subprocess.run(["git", "archive", commit, "ory_frames"], cwd=repo, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", other], input=archive.stdout, check=True)
        seen: dict[str, list[tuple[float, float]]] = {"this checkout": [], commit: []}  # (rows/s, us CPU/row)
        with serve(db) as served:
            for _ in range(runs):
                for label, package in (("this checkout", None), (commit, Path(other))):
                    rep = run_variant("export_warm", served.url, out, size, package=package)
                    seen[label].append((rep["rows"] / rep["seconds"], rep["cpu"] / rep["rows"] * 1e6))
    for label, values in seen.items():
        print(f"  export_identities, {label}: " + ", ".join(f"{r:,.0f}/s ({c:.1f} us CPU)" for r, c in values))
    mine, theirs = seen["this checkout"], seen[commit]
    rate, cpu = max(mine)[0] / max(theirs)[0], min(c for _, c in theirs) / min(c for _, c in mine)
    print(f"  this checkout / {commit} (best of {runs} each): {rate:.2f} by rate, {cpu:.2f} by CPU per identity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=200_000, help="identities of the memory check (default 200000)")
    parser.add_argument("--base-size", type=int, default=100_000, help="the memory check's reference size")
    parser.add_argument("--table-size", type=int, help="identities of the table (default 50000; 20000 with Kratos)")
    parser.add_argument(
        "--latency", action="append", help="added ms per request, repeatable or comma-separated (default 0,10,30)"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument("--skip-table", action="store_true", help="no latency table")
    parser.add_argument("--skip-rss", action="store_true", help="no memory check")
    parser.add_argument("--skip-reads", action="store_true", help="no read_* / export_* comparison")
    parser.add_argument("--db-dir", type=Path, help="keep the seeded databases here (default: a temporary folder)")
    parser.add_argument(
        "--server",
        choices=("sandbox", "kratos"),
        default="sandbox",
        help="kratos: only the table, at 0 ms, on the sandbox and on a real Kratos (scripts/install-kratos.sh)",
    )
    parser.add_argument("--runs", type=int, default=1, help="with --server kratos: the best of this many runs per cell")
    parser.add_argument(
        "--against",
        metavar="COMMIT",
        help="also: the export of this checkout beside COMMIT's, --runs each (at least 3)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.base_size, args.table_size = 20_000, 2_000, 3_000
    latencies = [float(ms) for text in args.latency or ["0,10,30"] for ms in text.split(",") if ms.strip()]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.db_dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        out = Path(tmp) / "out.parquet"
        if args.server == "kratos":
            rows = kratos_rows(directory, args.table_size or 20_000, out, args.runs)
            args.skip_table = args.skip_reads = args.skip_rss = True
            ok &= all("missed" not in targets_met(row) for row in rows)
        args.table_size = args.table_size or 50_000
        if not (args.skip_table and args.skip_reads):
            table_db = seeded_db(directory, args.table_size, fast=False)
        if not args.skip_table:
            rows = table_rows(table_db, args.table_size, latencies, out)
            ok &= all("missed" not in targets_met(row) for row in rows)
        if not args.skip_reads:
            ok &= compare_reads(table_db, args.table_size, out)
        if not args.skip_rss:
            ok &= rss_check(directory, sorted({args.base_size, args.size}), out)
        if args.against:  # the same run: the table's seeded database when there is one
            db = (
                table_db
                if not (args.skip_table and args.skip_reads)
                else seeded_db(directory, args.table_size, fast=False)
            )
            compare_commit(db, args.table_size, args.against, out, max(args.runs, 3))
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
