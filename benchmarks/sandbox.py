"""Benchmark the sandbox: seed time, then paging rates for identities (500/page) and sessions (1000/page).

Run with `.venv/bin/python benchmarks/sandbox.py [--identities 100000]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from ory_frames import sandbox


def next_link(link: str | None) -> str | None:
    """The relative URL of the Link header's rel="next", if any."""
    for part in (link or "").split(","):
        url, _, rel = part.partition(";")
        if rel.strip() == 'rel="next"':
            return url.strip()[1:-1]
    return None


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--identities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with sandbox.running(seed_identities=args.identities, seed=args.seed) as url:
        seed_seconds = time.perf_counter() - started
        print(f"seeded {args.identities} identities and started in {seed_seconds:.1f} s")
        with httpx.Client(base_url=url, timeout=60) as client:
            ids, seconds = page_all(client, "/admin/identities", 500)
            if len(ids) != args.identities or len(set(ids)) != len(ids):
                print(f"FAIL: saw {len(ids)} ids ({len(set(ids))} distinct), expected {args.identities}")
                return 1
            print(f"identities: {len(ids)} in {seconds:.2f} s = {len(ids) / seconds:,.0f}/s (page_size=500)")
            sids, seconds = page_all(client, "/admin/sessions", 1000)
            if len(set(sids)) != len(sids):
                print(f"FAIL: {len(sids) - len(set(sids))} session ids seen twice")
                return 1
            print(
                f"sessions:   {len(sids)} in {seconds:.2f} s = {len(sids) / max(seconds, 1e-9):,.0f}/s (page_size=1000)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
