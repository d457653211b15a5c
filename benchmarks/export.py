"""Export throughput and memory: ory_frames vs the official SDK vs a bare httpx loop, against the sandbox.

Each variant runs in a fresh subprocess that reports identities/s and its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``); the sandbox runs in a process of its own.

(a) ``export_identities`` to Parquet;
(b) ``ory_client`` paged by hand (``list_identities_with_http_info`` + Link header), then
    ``pandas.json_normalize`` and ``to_parquet``;
(c) the floor: an httpx page loop that only parses the JSON.

Beside them, the notebook path against the same sandbox (:func:`compare_reads`): ``read_identities`` /
``read_sessions`` into a DataFrame next to ``export_identities`` / ``export_sessions`` to Parquet, with
the ratio read / export (target >= 0.8).

Targets: (a) >= 3x (b) and >= 0.8x (c) in identities/s; peak RSS of (a) at the large size <= 1.3x
its peak RSS at the small size.

Usage: ``python benchmarks/export.py [--quick] [--size N] [--skip-rss] [--reads-only]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_COMMON = """
import json, resource, sys, time
url, out, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
def report(rows, seconds):
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_mb": rss_kb / 1024}))
"""

VARIANTS: dict[str, str] = {
    "a: ory_frames export_identities -> Parquet": """
from ory_frames import Client
from ory_frames import export_identities
start = time.perf_counter()
result = export_identities(Client(url), out, overwrite=True)
report(result.rows, time.perf_counter() - start)
""",
    "b: ory_client + json_normalize + to_parquet": """
import re
from urllib.parse import parse_qs, urlsplit
import ory_client, pandas as pd
from ory_client.api.identity_api import IdentityApi
start = time.perf_counter()
api = IdentityApi(ory_client.ApiClient(ory_client.Configuration(host=url)))
rows, token = [], None
while True:
    resp = api.list_identities_with_http_info(page_size=500, page_token=token)
    rows.extend(i.to_dict() for i in resp.data)
    link = (resp.headers or {}).get("Link") or (resp.headers or {}).get("link") or ""
    nxt = re.search(r'<([^>]*)>;\\s*rel="next"', link)
    if not nxt:
        break
    token = parse_qs(urlsplit(nxt.group(1)).query)["page_token"][0]
df = pd.json_normalize(rows)
df = df.astype({c: "string" for c in df.columns if df[c].dtype == object})
df.to_parquet(out)
report(len(df), time.perf_counter() - start)
""",
    "c: httpx loop, JSON parsing only (floor)": """
import re
from urllib.parse import parse_qs, urlsplit
import httpx, orjson
start = time.perf_counter()
rows, token = 0, None
with httpx.Client(base_url=url) as http:
    while True:
        params = {"page_size": 500}
        if token:
            params["page_token"] = token
        resp = http.get("/admin/identities", params=params)
        rows += len(orjson.loads(resp.content))
        nxt = re.search(r'<([^>]*)>;\\s*rel="next"', resp.headers.get("link", ""))
        if not nxt:
            break
        token = parse_qs(urlsplit(nxt.group(1)).query)["page_token"][0]
report(rows, time.perf_counter() - start)
""",
}


# The frame reads beside the exports they are compared with, each pair on the same data (rows: identities or sessions).
READS: dict[str, str] = {
    "export_identities -> Parquet": """
from ory_frames import Client, export_identities
with Client(url) as client:
    start = time.perf_counter()
    rows = export_identities(client, out, overwrite=True).rows
    report(rows, time.perf_counter() - start)
""",
    "read_identities -> DataFrame": """
from ory_frames import Client, read_identities
with Client(url) as client:
    start = time.perf_counter()
    rows = len(read_identities(client))
    report(rows, time.perf_counter() - start)
""",
    "export_sessions -> Parquet": """
from ory_frames import Client, export_sessions
with Client(url) as client:
    start = time.perf_counter()
    rows = export_sessions(client, out, overwrite=True).rows
    report(rows, time.perf_counter() - start)
""",
    "read_sessions -> DataFrame": """
from ory_frames import Client, read_sessions
with Client(url) as client:
    start = time.perf_counter()
    rows = len(read_sessions(client))
    report(rows, time.perf_counter() - start)
""",
}
READ_TARGET = 0.8


def compare_reads(url: str, out: Path, identities: int) -> bool:
    """Print the frame reads beside the exports of the same data; True when both ratios meet the target.

    The sessions export counts the sessions, which the sessions read must then see.
    """
    ok = True
    for kind, (export_name, read_name) in {
        "identities": ("export_identities -> Parquet", "read_identities -> DataFrame"),
        "sessions": ("export_sessions -> Parquet", "read_sessions -> DataFrame"),
    }.items():
        expected = identities if kind == "identities" else -1
        export = run_variant(READS[export_name], url, out, expected)
        read = run_variant(READS[read_name], url, out, export["rows"])
        rates = {name: rep["rows"] / rep["seconds"] for name, rep in ((export_name, export), (read_name, read))}
        for name, rep in ((export_name, export), (read_name, read)):
            print(f"{name:48s} {rates[name]:>10.0f} {kind}/s   peak RSS {rep['rss_mb']:7.1f} MB", flush=True)
        ratio = rates[read_name] / rates[export_name]
        print(f"{read_name.split()[0]} / {export_name.split()[0]} = {ratio:.2f} (target >= {READ_TARGET})", flush=True)
        ok &= ratio >= READ_TARGET
    return ok


_SERVER = """
import sys
from ory_frames import sandbox
with sandbox.running(seed_identities=int(sys.argv[1])) as url:
    print(url, flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def serve(identities: int) -> Iterator[str]:
    """A seeded sandbox in its own process, so that no variant inherits its memory (ru_maxrss survives exec)."""
    print(f"seeding a sandbox with {identities} identities ...", flush=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(identities)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        url = proc.stdout.readline().strip()
        if not url:
            raise RuntimeError("the sandbox did not start")
        yield url
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


def run_variant(code: str, url: str, out: Path, expected: int) -> dict[str, Any]:
    """Run one variant in a fresh interpreter; its last stdout line is the JSON report."""
    proc = subprocess.run(
        [sys.executable, "-c", _COMMON + code, url, str(out), str(expected)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"variant failed:\n{proc.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if expected >= 0 and report["rows"] != expected:
        raise RuntimeError(f"variant saw {report['rows']} identities, expected {expected}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument("--size", type=int, help="identities for the speed comparison (default 100000)")
    parser.add_argument("--skip-rss", action="store_true", help="only compare speeds")
    parser.add_argument("--reads-only", action="store_true", help="only compare the frame reads with the exports")
    args = parser.parse_args(argv)
    size, small, large = (3_000, 2_000, 20_000) if args.quick else (100_000, 20_000, 200_000)
    size = args.size or size
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.parquet"
        with serve(size) as url:
            ok &= compare_reads(url, out, size)
            if args.reads_only:
                print("all targets met" if ok else "some targets missed")
                return 0 if ok else 1
            speed: dict[str, float] = {}
            for name, code in VARIANTS.items():
                rep = run_variant(code, url, out, size)
                speed[name[0]] = rep["rows"] / rep["seconds"]
                print(f"{name:48s} {speed[name[0]]:>10.0f} identities/s   peak RSS {rep['rss_mb']:7.1f} MB", flush=True)
        ratio_b, ratio_c = speed["a"] / speed["b"], speed["a"] / speed["c"]
        print(f"a/b = {ratio_b:.2f} (target >= 3)   a/c = {ratio_c:.2f} (target >= 0.8)")
        ok &= ratio_b >= 3 and ratio_c >= 0.8
        rss: dict[int, float] = {}
        for n in () if args.skip_rss else (small, large):
            with serve(n) as url:
                rss[n] = run_variant(VARIANTS["a: ory_frames export_identities -> Parquet"], url, out, n)["rss_mb"]
            print(f"(a) peak RSS at {n:>7d} identities: {rss[n]:7.1f} MB", flush=True)
        if rss:
            growth = rss[large] / rss[small]
            print(f"RSS({large}) / RSS({small}) = {growth:.2f} (target <= 1.3)")
            ok &= growth <= 1.3
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
