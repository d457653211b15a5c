"""`latency_ms`: every answer is held back, and requests wait side by side rather than one after another."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from drift_support import running

LATENCY_MS = 400
PARALLEL = 8


def _timed(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    status = httpx.get(url, timeout=30).status_code
    return status, time.perf_counter() - started


def test_latency_delays_every_answer_concurrently() -> None:
    with running(latency_ms=LATENCY_MS, api_key="k") as url:
        # Every answer, the health check and a refused request included.
        for path in ("/health/ready", "/admin/identities", "/__sandbox/stats"):
            status, seconds = _timed(url + path)
            assert seconds >= LATENCY_MS / 1000, (path, seconds)
            assert status == (200 if path.startswith("/health") else 401)
        started = time.perf_counter()
        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(_timed, [url + "/health/ready"] * PARALLEL))
        wall = time.perf_counter() - started
    assert all(status == 200 and seconds >= LATENCY_MS / 1000 for status, seconds in answers)
    # One after another they would take PARALLEL x the latency (3.2 s); side by side about one latency.
    assert wall < PARALLEL * LATENCY_MS / 1000 / 2, f"{PARALLEL} concurrent requests took {wall:.2f} s"


def test_no_latency_by_default() -> None:
    with running() as url:
        assert min(_timed(url + "/health/ready")[1] for _ in range(3)) < LATENCY_MS / 1000
