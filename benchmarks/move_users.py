"""Move-users benchmark: copy a seeded source of 20 000 identities into an empty sandbox, verify, copy again.

Run with ``python benchmarks/move_users.py [--size N] [--latencies 0,10]``. For each latency (added by both
sandboxes to every answer, ``--latency``; each sandbox runs in a process of its own) it prints the
copy's throughput, checks that traits, state, metadata, external ids, address verification, password
hashes and OIDC subjects equal the source's, counts the rows reported with credentials Ory cannot
import (TOTP, lookup secrets), and times a second run, which must create nothing.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ory_frames import Client, copy_identities, iter_identities


def _identities(client: Client) -> dict[str, dict[str, Any]]:
    pages = iter_identities(client, include_credential=["password", "oidc"])
    return {i["id"]: i for page in pages for i in page.items}


def _kept(identity: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a copy must keep: traits, state, metadata, external id, address verification, hash, OIDC subjects."""
    creds = identity.get("credentials") or {}
    password = (creds.get("password") or {}).get("config") or {}
    providers = ((creds.get("oidc") or {}).get("config") or {}).get("providers") or []
    return (
        identity.get("schema_id"),
        identity.get("traits"),
        identity.get("state"),
        identity.get("metadata_public"),
        identity.get("metadata_admin") or None,
        identity.get("external_id"),
        identity.get("organization_id"),
        sorted((a["value"], a["verified"], a["status"]) for a in identity.get("verifiable_addresses") or []),
        sorted(a["value"] for a in identity.get("recovery_addresses") or []),
        password.get("hashed_password") or None,
        sorted((p["provider"], p["subject"]) for p in providers),
    )


def verify(source: Client, target: Client, mapping: Mapping[str, str]) -> list[str]:
    """Every difference between the source and its copy (empty: equal)."""
    src, dst = _identities(source), _identities(target)
    problems = []
    if len(dst) != len(src) or len(mapping) != len(src) or len(set(mapping.values())) != len(mapping):
        problems.append(f"source {len(src)}, target {len(dst)}, mapped {len(mapping)} / {len(set(mapping.values()))}")
    problems += [s for s, t in mapping.items() if t not in dst or _kept(src[s]) != _kept(dst[t])]
    return problems


@contextmanager
def sandbox_process(*args: str) -> Iterator[str]:
    """``ory-frames sandbox`` in a process of its own (so that the client measured has this one to itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "ory_frames.cli", "sandbox", "--port", str(port), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(size: int, latency_ms: float) -> dict[str, Any]:
    latency = f"{latency_ms:g}"
    with (
        sandbox_process("--seed-identities", str(size), "--seed", "1", "--latency", latency) as src_url,
        sandbox_process("--latency", latency) as dst_url,
        Client(src_url, api_key="") as source,
        Client(dst_url, api_key="") as target,
    ):
        start = time.perf_counter()
        first = copy_identities(source, target)
        seconds = time.perf_counter() - start
        problems = verify(source, target, first.mapping())
        start = time.perf_counter()
        second = copy_identities(source, target)
        again = time.perf_counter() - start
        kinds = first.not_imported["not_imported"].str.split(" | ", regex=False).explode().str.partition(":")[0]
        return {
            "latency_ms": latency_ms,
            "counts": first.counts,
            "seconds": seconds,
            "per_second": size / seconds,
            "differences": len(problems),
            "not_imported_rows": len(first.not_imported),
            "not_imported_kinds": kinds.value_counts().to_dict(),
            "second_run": second.counts,
            "second_seconds": again,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--latencies", default="0,10", help="comma-separated milliseconds (default: 0,10)")
    args = parser.parse_args()
    print(f"copy of a seeded source of {args.size:,} identities into an empty sandbox, one run each")
    print(
        "| latency | copied/s | time | created | failed | differences | rows not imported | 2nd run created | 2nd run |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for latency in (float(x) for x in args.latencies.split(",")):
        r = run(args.size, latency)
        print(
            f"| {latency:g} ms | {r['per_second']:,.0f} | {r['seconds']:.1f} s | {r['counts']['created']:,} | "
            f"{r['counts']['failed']:,} | {r['differences']} | {r['not_imported_rows']:,} {r['not_imported_kinds']} | "
            f"{r['second_run']['created']} (matched {r['second_run']['matched']:,}) | {r['second_seconds']:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
