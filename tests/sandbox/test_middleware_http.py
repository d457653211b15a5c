"""SandboxMiddleware over real HTTP (uvicorn on loopback): what a client sees for dropped, cut and slow answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import drift_support
import httpx
import pytest

from ory_frames.sandbox._server import run_in_thread

NEW_IDENTITY = {"schema_id": "default", "traits": {"email": "ada@example.org", "name": {"first": "Ada"}}}


@contextmanager
def served(**kwargs: Any) -> Iterator[tuple[str, Any]]:
    app = drift_support.create_app(**kwargs)
    with run_in_thread(app) as url:
        httpx.post(f"{url}/__sandbox/stats/reset")  # forget the readiness probes
        yield url, app.state.store


def test_reset_drops_the_connection_before_the_write() -> None:
    with served(faults="reset=1") as (url, store):
        with pytest.raises(httpx.TransportError):
            httpx.post(f"{url}/admin/identities", json=NEW_IDENTITY, timeout=5)
        assert store.count_identities() == 0
        stats = httpx.get(f"{url}/__sandbox/stats").json()
        assert stats["faults"]["reset"] == 1 and stats["total"] == 1 and stats["by_status"] == {}


def test_truncate_cuts_the_body_after_the_write() -> None:
    with served(faults="truncate=1") as (url, store):
        with (
            httpx.Client(timeout=5) as client,
            client.stream("POST", f"{url}/admin/identities", json=NEW_IDENTITY) as r,
        ):
            assert r.status_code == 201
            declared = int(r.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError):
                r.read()
        assert declared > 0
        assert store.count_identities() == 1  # the write happened; only the answer was lost
        assert httpx.get(f"{url}/__sandbox/stats").json()["by_status"] == {"201": 1}


def test_delay_outlasting_the_client_timeout_skips_the_write() -> None:
    with served(faults="delay=1,delay_seconds=0.4") as (url, store):
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/admin/identities", json=NEW_IDENTITY, timeout=0.1)
        deadline = time.monotonic() + 3
        while httpx.get(f"{url}/__sandbox/stats").json()["total"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.count_identities() == 0
        assert httpx.get(f"{url}/__sandbox/stats").json()["faults"]["delay"] == 1


def test_delay_shorter_than_the_timeout_answers() -> None:
    with served(faults="delay=1,delay_seconds=0.05") as (url, store):
        response = httpx.post(f"{url}/admin/identities", json=NEW_IDENTITY, timeout=5)
        assert response.status_code == 201 and store.count_identities() == 1


def test_api_key_and_rate_limit_over_http() -> None:
    key = "sandbox-key-123"
    # The server's clock stands still: all 12 requests fall in one second however slow this machine is.
    with drift_support.running(api_key=key, rate_limits="developer", clock=lambda: 1000.0) as url:
        assert httpx.get(f"{url}/admin/identities").status_code == 401
        assert httpx.get(f"{url}/health/ready").status_code == 200
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            answers = [client.get("/admin/identities") for _ in range(12)]  # medium bucket: 5 per second
        codes = [a.status_code for a in answers]
        assert codes == [200] * 5 + [429] * 7, codes
        assert all("x-ratelimit-limit" in a.headers for a in answers)
        limited = answers[codes.index(429)]
        assert int(limited.headers["x-ratelimit-reset"]) >= 1
        assert limited.json()["error"]["code"] == 429
        stats = httpx.get(f"{url}/__sandbox/stats", headers={"Authorization": f"Bearer {key}"}).json()
        assert stats["by_status"]["401"] == 1 and stats["by_status"]["429"] >= 1
        assert stats["by_route"]["GET /admin/identities"]["200"] == codes.count(200)
