"""`running()` over real HTTP, and paging throughput at 100 000 identities."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sandbox_helpers import link_parts, make_identity

from ory_frames.sandbox import create_app, running


def test_running_serves_and_stops() -> None:
    with running() as url:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/health/ready").json() == {"status": "ok"}
        resp = httpx.post(f"{url}/identities", json={"traits": {"email": "srv@example.com"}})
        assert resp.status_code == 201
        assert resp.headers["location"] == f"{url}/identities/{resp.json()['id']}"
    try:
        httpx.get(f"{url}/health/ready", timeout=0.5)
    except httpx.TransportError:
        pass
    else:
        raise AssertionError("the server is still answering after exit")


def test_paging_100k_identities_is_fast() -> None:
    template = make_identity("template@example.com")
    docs = []
    for i in range(100_000):
        doc = dict(template)
        doc["id"] = f"{i:08x}-0000-4000-8000-{i:012x}"
        email = f"u{i}@example.com"
        doc["traits"] = {"email": email}
        doc["credentials"] = {"password": {**template["credentials"]["password"], "identifiers": [email]}}
        doc["verifiable_addresses"] = [{**template["verifiable_addresses"][0], "value": email}]
        doc["recovery_addresses"] = [{**template["recovery_addresses"][0], "value": email}]
        docs.append(doc)
    app: Any = create_app()
    started = time.perf_counter()
    app.state.store.insert_identities(docs)
    inserted = time.perf_counter() - started
    assert inserted < 30, f"insert took {inserted:.1f}s"
    from ory_frames.sandbox._server import run_in_thread

    with run_in_thread(app) as url, httpx.Client(base_url=url) as http:
        count, next_url = 0, "/admin/identities?page_size=500"
        started = time.perf_counter()
        while next_url:
            resp = http.get(next_url)
            count += len(resp.json())
            next_url = link_parts(resp.headers["link"]).get("next", "")
        elapsed = time.perf_counter() - started
    assert count == 100_000
    print(f"insert {inserted:.1f}s, paging {count / elapsed:.0f} identities/s")
    assert count / elapsed > 10_000, f"{count / elapsed:.0f} identities/s"
