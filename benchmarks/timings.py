"""Print the timing figures the test suite checks only for correctness: sandbox insert, seeding, paging, conversion.

The tests assert what these steps produce (tests/sandbox/test_server_and_perf.py, tests/sandbox/test_seed.py,
tests/frames/test_convert.py); how long they take depends on the machine, so it is measured here and printed
next to the aim it used to be asserted against. The exit status is 1 only when a count comes out wrong.

Usage: ``.venv/bin/python benchmarks/timings.py [--identities 100000] [--seeded 10000] [--converted 20000]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ory_frames import identities_frame
from ory_frames.pages._paginators import parse_link_header
from ory_frames.sandbox import create_app
from ory_frames.sandbox._seed import iter_seed_docs, seed_store
from ory_frames.sandbox._server import run_in_thread
from ory_frames.sandbox._store import Store

SCHEMAS = Path(__file__).resolve().parents[1] / "ory_frames" / "sandbox" / "schemas"


def bulk_docs(count: int) -> list[dict[str, Any]]:
    """``count`` minimal identity docs with distinct ids and e-mails, in the seeder's stored format."""
    stamp = "2024-01-02T03:04:05Z"
    docs = []
    for i in range(count):
        ident = f"{i:08x}-0000-4000-8000-{i:012x}"
        email = f"u{i}@example.com"
        password = {"type": "password", "identifiers": [email], "version": 1, "created_at": stamp}
        password |= {"updated_at": stamp, "config": {"hashed_password": "$2a$10$" + "x" * 53}}
        address = {"value": email, "via": "email", "created_at": stamp, "updated_at": stamp}
        docs.append(
            {
                "id": ident,
                "credentials": {"password": password},
                "schema_id": "default",
                "state": "active",
                "traits": {"email": email},
                "verifiable_addresses": [{"id": ident, "verified": False, "status": "pending", **address}],
                "recovery_addresses": [{"id": ident, **address}],
                "metadata_public": None,
                "metadata_admin": None,
                "created_at": stamp,
                "updated_at": stamp,
                "organization_id": None,
            }
        )
    return docs


def next_link(link: str | None) -> str | None:
    """The relative URL of the Link header's rel="next", if any (read by the client's own Link parser)."""
    return parse_link_header(link or "").get("next")


def insert_and_page(count: int) -> bool:
    """Bulk insert ``count`` identities into a fresh sandbox store, then page them all over HTTP at 500."""
    docs = bulk_docs(count)
    app: Any = create_app()
    started = time.perf_counter()
    app.state.store.insert_identities(docs)
    inserted = time.perf_counter() - started
    print(f"insert:  {count:,} identities in {inserted:.1f} s (aim: under 30 s for 100 000)")
    seen = 0
    with run_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        next_url: str | None = "/admin/identities?page_size=500"
        started = time.perf_counter()
        while next_url is not None:
            resp = http.get(next_url)
            resp.raise_for_status()
            seen += len(resp.json())
            next_url = next_link(resp.headers.get("link"))
            assert next_url is None or parse_qs(urlsplit(next_url).query)["page_size"] == ["500"], next_url
        elapsed = time.perf_counter() - started
    print(f"paging:  {seen:,} identities in {elapsed:.2f} s = {seen / elapsed:,.0f}/s (aim: over 10 000/s)")
    return seen == count


def seeding(count: int) -> bool:
    """Seed ``count`` realistic identities (and their sessions) into a fresh store."""
    store = Store()
    started = time.perf_counter()
    seed_store(store, identities=count, seed=3)
    elapsed = time.perf_counter() - started
    print(
        f"seeding: {count:,} identities, {store.count_sessions():,} sessions in {elapsed:.1f} s (aim: 10 000 in 10 s)"
    )
    return store.count_identities() == count


def conversion(count: int) -> bool:
    """``identities_frame`` over ``count`` seeded identities with every credential config, best of three."""
    docs = [doc for doc, _sessions in iter_seed_docs(count, seed=5)]
    schemas = {p.stem: json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.json"))}
    identities_frame(docs[:100], schemas=schemas)  # warm up
    best, rows = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        rows = len(identities_frame(docs, schemas=schemas))
        best = min(best, time.perf_counter() - started)
    print(
        f"convert: {count:,} identities to a frame in {best:.2f} s = {count / best:,.0f}/s"
        " (the suite used to ask over 20 000/s of the Arrow step alone)"
    )
    return rows == count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--identities", type=int, default=100_000, help="bulk-inserted and paged")
    parser.add_argument("--seeded", type=int, default=10_000, help="seeded with realistic data")
    parser.add_argument("--converted", type=int, default=20_000, help="converted to a DataFrame")
    args = parser.parse_args(argv)
    results = [insert_and_page(args.identities), seeding(args.seeded), conversion(args.converted)]
    if not all(results):
        print("FAIL: a count came out wrong")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
