"""`running()` over real HTTP, and paging a large bulk-inserted store over it."""

from __future__ import annotations

from typing import Any

import httpx
from drift_support import create_app, running
from sandbox_helpers import link_parts, make_identity

from ory_frames.sandbox._server import run_in_thread

COUNT = 10_000


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


def test_paging_many_identities_sees_each_once_in_id_order() -> None:
    # Bulk-inserted docs paged at the maximum page size over real HTTP. How fast that goes (the former
    # 100 000-identity threshold) is a figure printed by benchmarks/timings.py, not asserted here.
    template = make_identity("template@example.com")
    docs = []
    for i in range(COUNT):
        doc = dict(template)
        doc["id"] = f"{i:08x}-0000-4000-8000-{i:012x}"
        email = f"u{i}@example.com"
        doc["traits"] = {"email": email}
        doc["credentials"] = {"password": {**template["credentials"]["password"], "identifiers": [email]}}
        doc["verifiable_addresses"] = [{**template["verifiable_addresses"][0], "value": email}]
        doc["recovery_addresses"] = [{**template["recovery_addresses"][0], "value": email}]
        docs.append(doc)
    app: Any = create_app()
    app.state.store.insert_identities(docs)
    with run_in_thread(app) as url, httpx.Client(base_url=url) as http:
        seen: list[str] = []
        pages, next_url = 0, "/admin/identities?page_size=500"
        while next_url:
            resp = http.get(next_url)
            seen.extend(item["id"] for item in resp.json())
            pages += 1
            next_url = link_parts(resp.headers["link"]).get("next", "")
    assert seen == sorted(d["id"] for d in docs)  # each once, id ascending (wire notes §1)
    assert pages == COUNT // 500  # an exact multiple: the last full page has no next link
