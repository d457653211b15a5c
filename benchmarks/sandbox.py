"""Benchmark the sandbox: seed time and paging rates, then concurrent clients mixing reads and writes.

Run with `.venv/bin/python benchmarks/sandbox.py [--identities 100000] [--load-seconds 60] [--clients 64]`.

The load phase serves `ory-frames sandbox` in its own process on a SQLite file with an API key, so the clients
(asyncio, one connection each) do not share an interpreter with it. Each client loops over a weighted mix of the
identity and session operations and remembers every write the server acknowledged; at the end every one of them is
read back. It reports requests/s, p50/p99 latency, 5xx answers and dropped connections, and exits 1 if any write is
missing, any answer was a 5xx or any connection dropped. `tests/sandbox/test_load.py` runs a short version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ory_frames import sandbox
from ory_frames.pages._paginators import parse_link_header

# (operation, weight): mostly reads, as an analyst's notebook does, with a steady stream of writes.
MIX = (
    ("get_identity", 30),
    ("list_identities", 12),
    ("list_sessions", 8),
    ("list_identity_sessions", 5),
    ("create_identity", 15),
    ("batch_create", 5),
    ("patch_identity", 15),
    ("update_identity", 5),
    ("delete_identity", 5),
)
WRITES = ("create_identity", "batch_create", "patch_identity", "update_identity", "delete_identity")


@dataclass
class LoadReport:
    """What a load run saw: requests, latencies, failures and the acknowledged writes it read back."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_operation: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # transport errors by exception class
    write_requests: int = 0  # writes answered 2xx
    writes_acknowledged: int = 0  # identities whose last acknowledged write is to be read back
    writes_verified: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)

    def percentile(self, q: float) -> float:
        """Latency at quantile `q`, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def ok(self) -> bool:
        """No 5xx, no dropped connection, every acknowledged write read back."""
        complete = self.writes_verified == self.writes_acknowledged
        return self.server_errors == 0 and not self.dropped and not self.missing and complete

    def lines(self) -> list[str]:
        """The report as printed."""
        rate = self.requests / self.seconds if self.seconds else 0.0
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.by_status.items()))
        mix = ", ".join(f"{name} {n}" for name, n in sorted(self.by_operation.items()))
        return [
            f"load: {self.clients} clients for {self.seconds:.1f} s: {self.requests} requests = {rate:,.0f} requests/s",
            f"latency: p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms",
            f"answers: {statuses}; 5xx: {self.server_errors}; dropped connections: {self.dropped.total()}"
            + (f" ({dict(self.dropped)})" if self.dropped else ""),
            f"operations: {mix}",
            f"writes: {self.write_requests} write requests acknowledged, touching {self.writes_acknowledged} "
            f"identities; {self.writes_verified} read back in their last acknowledged state, "
            f"{len(self.missing)} missing",
        ]


@dataclass
class _Client:
    """One simulated client: its own identities and the state the server acknowledged for each."""

    number: int
    rng: random.Random
    expected: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # id -> metadata_public, None: deleted
    writes: int = 0

    def marker(self) -> dict[str, Any]:
        """A metadata value no other write of this run carries."""
        self.writes += 1
        return {"client": self.number, "write": self.writes}

    def email(self) -> str:
        return f"load-{self.number}-{self.writes}-{self.rng.getrandbits(32):08x}@example.org"

    def own(self) -> str | None:
        alive = [i for i, state in self.expected.items() if state is not None]
        return self.rng.choice(alive) if alive else None


def _new_identity(email: str, marker: dict[str, Any]) -> dict[str, Any]:
    return {"schema_id": "default", "traits": {"email": email, "name": {"first": "Load"}}, "metadata_public": marker}


async def _step(http: httpx.AsyncClient, me: _Client, op: str, seeded: list[str], report: LoadReport) -> None:
    """Send one operation and remember what the server acknowledged."""
    rng = me.rng
    target = me.own()
    if op in ("patch_identity", "update_identity", "delete_identity") and target is None:
        op = "create_identity"
    marker = me.marker()
    request: tuple[str, str, Any]
    if op == "get_identity":
        request = ("GET", f"/admin/identities/{rng.choice(seeded)}", None)
    elif op == "list_identities":
        request = ("GET", f"/admin/identities?page_size=100&page_token={rng.choice(seeded)}", None)
    elif op == "list_sessions":
        request = ("GET", "/admin/sessions?page_size=100", None)
    elif op == "list_identity_sessions":
        request = ("GET", f"/admin/identities/{rng.choice(seeded)}/sessions", None)
    elif op == "create_identity":
        request = ("POST", "/admin/identities", _new_identity(me.email(), marker))
    elif op == "batch_create":
        items = [{"create": _new_identity(me.email(), {**marker, "item": n})} for n in range(5)]
        request = ("PATCH", "/admin/identities", {"identities": items})
    elif op == "patch_identity":
        request = (
            "PATCH",
            f"/admin/identities/{target}",
            [{"op": "replace", "path": "/metadata_public", "value": marker}],
        )
    elif op == "update_identity":
        request = ("PUT", f"/admin/identities/{target}", _new_identity(me.email(), marker))
    else:
        request = ("DELETE", f"/admin/identities/{target}", None)
    method, path, body = request
    started = time.perf_counter()
    try:
        response = await http.request(method, path, json=body)
    except httpx.TransportError as exc:
        report.dropped[type(exc).__name__] += 1
        return
    report.latencies.append(time.perf_counter() - started)
    report.by_operation[op] += 1
    report.by_status[response.status_code] += 1
    if response.status_code >= 300:
        return
    report.write_requests += op in WRITES
    if op == "create_identity":
        me.expected[response.json()["id"]] = marker
    elif op == "batch_create":
        for n, item in enumerate(response.json()["identities"]):
            if item["action"] == "create":
                me.expected[item["identity"]] = {**marker, "item": n}
    elif op in ("patch_identity", "update_identity"):
        assert target is not None
        me.expected[target] = marker
    elif op == "delete_identity":
        assert target is not None
        me.expected[target] = None


async def _verify(http: httpx.AsyncClient, me: _Client, report: LoadReport) -> None:
    """Read back every identity this client wrote: the last acknowledged state, or gone."""
    for ident, state in me.expected.items():
        try:
            response = await http.get(f"/admin/identities/{ident}")
        except httpx.TransportError as exc:  # counted as a failure of the server, then read again
            report.dropped[type(exc).__name__] += 1
            response = await http.get(f"/admin/identities/{ident}")
        if state is None:
            found = response.status_code == 404
        else:
            found = response.status_code == 200 and response.json()["metadata_public"] == state
        if found:
            report.writes_verified += 1
        else:
            report.missing.append(f"{ident}: expected {state}, got {response.status_code} {response.text[:200]}")


async def run_load(
    url: str, *, clients: int = 64, seconds: float = 60.0, api_key: str | None = None, seed: int = 0
) -> LoadReport:
    """Drive the sandbox at `url` with `clients` concurrent clients for `seconds`, then read every write back.

    Each client has its own connection (its own `httpx.AsyncClient`), as separate users would; one pool shared by
    64 connections costs the client more CPU than the server spends.
    """
    report = LoadReport(clients=clients)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    https = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for _ in range(clients)]
    try:
        first = await https[0].get("/admin/identities?page_size=500")
        first.raise_for_status()
        seeded = [i["id"] for i in first.json()] or ["00000000-0000-4000-8000-000000000000"]
        names, weights = [name for name, _ in MIX], [weight for _, weight in MIX]
        people = [_Client(n, random.Random(seed * 1000 + n)) for n in range(clients)]
        deadline = time.perf_counter() + seconds

        async def work(http: httpx.AsyncClient, me: _Client) -> None:
            while time.perf_counter() < deadline:
                await _step(http, me, me.rng.choices(names, weights)[0], seeded, report)

        started = time.perf_counter()
        await asyncio.gather(*(work(http, me) for http, me in zip(https, people, strict=True)))
        report.seconds = time.perf_counter() - started
        report.writes_acknowledged = sum(len(me.expected) for me in people)
        await asyncio.gather(*(_verify(http, me, report) for http, me in zip(https, people, strict=True)))
    finally:
        await asyncio.gather(*(http.aclose() for http in https))
    return report


# ---- paging benchmark ------------------------------------------------------------------------------------------


def next_link(link: str | None) -> str | None:
    """The relative URL of the Link header's rel="next", if any (read by the client's own Link parser)."""
    return parse_link_header(link or "").get("next")


def page_all(client: httpx.Client, path: str, page_size: int) -> tuple[list[str], float]:
    """Every item id of a keyset-paged list, following Link headers; returns (ids, seconds)."""
    ids: list[str] = []
    url: str | None = f"{path}?page_size={page_size}"
    started = time.perf_counter()
    while url is not None:
        response = client.get(url)
        response.raise_for_status()
        ids.extend(item["id"] for item in response.json())
        url = next_link(response.headers.get("link"))
        if url is not None:
            assert parse_qs(urlsplit(url).query)["page_size"] == [str(page_size)], url
    return ids, time.perf_counter() - started


def paging(identities: int, seed: int) -> int:
    """Seed `identities` in-process and page through identities and sessions."""
    started = time.perf_counter()
    with sandbox.running(seed_identities=identities, seed=seed) as url:
        seed_seconds = time.perf_counter() - started
        print(f"seeded {identities} identities and started in {seed_seconds:.1f} s")
        with httpx.Client(base_url=url, timeout=60) as client:
            ids, seconds = page_all(client, "/admin/identities", 500)
            if len(ids) != identities or len(set(ids)) != len(ids):
                print(f"FAIL: saw {len(ids)} ids ({len(set(ids))} distinct), expected {identities}")
                return 1
            print(f"identities: {len(ids)} in {seconds:.2f} s = {len(ids) / seconds:,.0f}/s (page_size=500)")
            sids, seconds = page_all(client, "/admin/sessions", 1000)
            if len(set(sids)) != len(sids):
                print(f"FAIL: {len(sids) - len(set(sids))} session ids seen twice")
                return 1
            rate = len(sids) / max(seconds, 1e-9)
            print(f"sessions:   {len(sids)} in {seconds:.2f} s = {rate:,.0f}/s (page_size=1000)")
    return 0


# ---- load benchmark --------------------------------------------------------------------------------------------


def load(clients: int, seconds: float, identities: int, seed: int) -> int:
    """Serve `ory-frames sandbox` on a SQLite file in its own process and run the load against it."""
    key = f"load-{random.getrandbits(64):016x}"
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "load.db")
        cmd = [sys.executable, "-m", "ory_frames.cli", "sandbox", "--port", "0", "--db", db, "--api-key", key]
        cmd += ["--seed-identities", str(identities), "--seed", str(seed)]
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None
            banner = server.stdout.readline()
            if not banner.startswith("Ory sandbox on "):
                print(f"FAIL: the sandbox did not start: {banner!r}")
                return 1
            url = banner.split()[3]
            _wait_ready(url)
            print(f"load: sandbox with {identities} seeded identities on {url}, db on disk, API key required")
            report = asyncio.run(run_load(url, clients=clients, seconds=seconds, api_key=key, seed=seed))
        finally:
            server.terminate()
            server.wait(timeout=30)
    for line in report.lines():
        print(line)
    for problem in report.missing[:10]:
        print(f"MISSING {problem}")
    return 0 if report.ok() else 1


def _wait_ready(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=100_000, help="identities seeded for the paging rates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load-seconds", type=float, default=60.0, help="length of the load phase (0 skips it)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients in the load phase")
    parser.add_argument("--load-identities", type=int, default=10_000, help="identities seeded for the load phase")
    parser.add_argument("--skip-paging", action="store_true", help="run the load phase only")
    args = parser.parse_args(argv)
    code = 0 if args.skip_paging else paging(args.identities, args.seed)
    if args.load_seconds > 0:
        code = max(code, load(args.clients, args.load_seconds, args.load_identities, args.seed))
    return code


if __name__ == "__main__":
    sys.exit(main())
