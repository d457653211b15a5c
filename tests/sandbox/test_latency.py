"""`latency_ms`: every answer is held back, and requests wait side by side rather than one after another."""

from __future__ import annotations

import itertools
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


def _finished_at(url: str) -> tuple[int, float, float]:
    status, seconds = _timed(url)
    return status, seconds, time.perf_counter()


def test_latency_delays_every_answer_concurrently() -> None:
    with running(latency_ms=LATENCY_MS, api_key="k") as url:
        # Every answer, the health check and a refused request included.
        for path in ("/health/ready", "/admin/identities", "/__sandbox/stats"):
            status, seconds = _timed(url + path)
            assert seconds >= LATENCY_MS / 1000, (path, seconds)
            assert status == (200 if path.startswith("/health") else 401)
        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(_finished_at, [url + "/health/ready"] * PARALLEL))
    assert all(status == 200 and seconds >= LATENCY_MS / 1000 for status, seconds, _ in answers)
    # Held one after another, the answers would end at least one latency apart; held side by side, most
    # end together. Judged by the order of the ends, not by a wall-clock bound, so a loaded machine does not
    # fail it (timings belong in benchmarks/).
    ends = sorted(end for _, _, end in answers)
    close = sum(later - earlier < LATENCY_MS / 1000 / 2 for earlier, later in itertools.pairwise(ends))
    assert close >= (PARALLEL - 1) // 2, f"answers ended at {[round(e - ends[0], 2) for e in ends]} s"


def test_no_latency_by_default() -> None:
    with running() as url:
        assert min(_timed(url + "/health/ready")[1] for _ in range(3)) < LATENCY_MS / 1000
