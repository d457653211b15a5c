"""Helpers for the reliability tests and the soak benchmark: virtual time, fast clients, sandbox stats, comparisons.

``VirtualClock`` is shared by the client's ``RateBudget`` (``clock``/``sleep``) and the sandbox middleware
(``clock``): virtual time moves only when a client thread sleeps, so minutes of rate-limited traffic run in
seconds. A sleeper waits until no request is between "counted by the budget" and "answered by the server"
(``TrackedBudget`` marks the start, ``TrackedTransport`` the end), so the server always sees a request in
the window the budget counted it in, as it would with no network latency.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
import pyarrow as pa

from ory_frames import Client, RateBudget
from ory_frames.client._budget import TIER_LIMITS, bucket_for
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport

FAULT_KINDS = ("429", "500", "502", "503", "reset", "delay", "truncate")


class VirtualClock:
    """Monotonic virtual seconds; ``sleep`` advances them (earliest wake-up first) instead of waiting."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._cond = threading.Condition()
        self._sending: Counter[int] = Counter()
        self._sleepers: list[tuple[float, int]] = []
        self._order = itertools.count()
        self.slept = 0.0

    def __call__(self) -> float:
        with self._cond:
            return self._now

    def begin_send(self) -> None:
        """The calling thread is about to be counted by the budget and send a request."""
        with self._cond:
            self._sending[threading.get_ident()] = 1

    def end_send(self) -> None:
        """The calling thread's request got its answer (or failed)."""
        with self._cond:
            self._sending.pop(threading.get_ident(), None)
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time: once no request is in flight and no earlier sleeper is due."""
        me = threading.get_ident()
        with self._cond:
            self._sending.pop(me, None)
            entry = (self._now + max(0.0, seconds), next(self._order))
            self._sleepers.append(entry)
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._sending and min(self._sleepers) == entry, timeout=60)
            self._sleepers.remove(entry)
            self.slept += max(0.0, entry[0] - self._now)
            self._now = max(self._now, entry[0])
            self._sending[me] = 1  # the next step of a woken thread is a budget check, usually a send
            self._cond.notify_all()


class TrackedBudget(RateBudget):
    """A RateBudget that tells the virtual clock when a thread is about to send."""

    def __init__(self, vclock: VirtualClock, limits: Mapping[str, Any] | None = None, *, learn: bool = True) -> None:
        super().__init__(limits, learn=learn, clock=vclock, sleep=vclock.sleep)
        self.vclock = vclock

    @classmethod
    def tier(cls, vclock: VirtualClock, tier: str, *, learn: bool = True) -> TrackedBudget:
        """The published limits of a tier, as ``RateBudget.for_tier`` has them."""
        plain = RateBudget.for_tier(tier)
        limits = {bucket: plain.limits(bucket) for bucket in TIER_LIMITS[tier]}  # type: ignore[index]
        return cls(vclock, limits, learn=learn)

    def acquire(self, bucket: str | None) -> float:
        self.vclock.begin_send()
        return super().acquire(bucket)


class TrackedTransport(httpx.BaseTransport):
    """Marks the end of each request for the virtual clock; counts requests that left."""

    def __init__(self, inner: httpx.BaseTransport, vclock: VirtualClock | None) -> None:
        self.inner = inner
        self.vclock = vclock
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            if self.vclock is not None:
                self.vclock.end_send()

    def close(self) -> None:
        self.inner.close()


def fast_client(
    url: str,
    *,
    timeout: float = 30.0,
    vclock: VirtualClock | None = None,
    budget: RateBudget | None = None,
    retries: int = 10,
    api_key: str | None = None,
    sleeps: list[float] | None = None,
) -> tuple[Client, TrackedTransport]:
    """A Client whose retries and budget sleep in virtual time (no real sleep), with a short timeout."""
    vclock = vclock or VirtualClock()
    inner = TrackedTransport(httpx.HTTPTransport(), vclock)

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        vclock.sleep(seconds)

    policy = RetryPolicy(retries=retries, base=0.002, cap=0.02)
    transport = RetryTransport(inner, policy=policy, budget=budget or TrackedBudget(vclock, learn=True), sleep=sleep)
    return Client(url, api_key=api_key, timeout=timeout, transport=transport), inner


def stats(url: str) -> dict[str, Any]:
    """The sandbox's request counters."""
    return dict(httpx.get(url + "/__sandbox/stats", timeout=10).json())


def reset_stats(url: str) -> None:
    httpx.post(url + "/__sandbox/stats/reset", timeout=10).raise_for_status()


def count_429(snapshot: Mapping[str, Any]) -> int:
    return int(snapshot["by_status"].get("429", 0))


def requests_per_bucket(snapshot: Mapping[str, Any]) -> dict[str, int]:
    """Requests per rate-limit bucket, from the stats' ``by_route`` (``"GET /admin/identities/{id}"`` keys)."""
    out: Counter[str] = Counter()
    for route, by_status in snapshot["by_route"].items():
        method, _, path = route.partition(" ")
        bucket = bucket_for(method, path.replace("{", "x").replace("}", "x"))
        if bucket is not None:
            out[bucket] += sum(by_status.values())
    return dict(out)


def minimum_seconds(requests: int, rps: int, rpm: int) -> float:
    """The least time from the first to the last of ``requests`` sends under ``rps``/s and ``rpm``/min windows."""
    times: list[float] = []
    for k in range(requests):
        t = 0.0
        if k >= rps:
            t = max(t, times[k - rps] + 1.0)
        if k >= rpm:
            t = max(t, times[k - rpm] + 60.0)
        times.append(t)
    return times[-1] if times else 0.0


def tier_minimum(tier: str, per_bucket: Mapping[str, int]) -> float:
    """The theoretical minimum time of a run: the slowest bucket, each at its tier's published limits."""
    limits = TIER_LIMITS[tier]  # type: ignore[index]
    return max((minimum_seconds(n, *limits[b]) for b, n in per_bucket.items()), default=0.0)  # type: ignore[index]


def expired_between(got: pa.Table, want: pa.Table, since: datetime) -> list[int]:
    """Rows (of the id-sorted tables) whose ``active`` differs only because the session expired since ``since``.

    A session's ``active`` is computed when it is read (wire notes §8): one that was active in the reference
    export and whose ``expires_at`` passed before this export reads inactive now, and that is correct.
    """
    now = datetime.now(timezone.utc)
    a, b = got.column("active").to_pylist(), want.column("active").to_pylist()
    expires = want.column("expires_at").to_pylist()
    return [
        i
        for i, (x, y, e) in enumerate(zip(a, b, expires, strict=True))
        if x != y and y is True and x is False and e is not None and since <= e <= now
    ]


def differing_columns(got: pa.Table, want: pa.Table, *, since: datetime | None, key: str = "id") -> list[str]:
    """Columns whose values differ between two tables of the same rows (sorted by ``key``)."""
    a, b = got.sort_by(key), want.sort_by(key)
    out = []
    for name in want.column_names:
        if a.column(name).equals(b.column(name)):
            continue
        if name == "active" and "expires_at" in want.column_names and since is not None:
            flips = expired_between(a, b, since)
            left = [
                i
                for i, (x, y) in enumerate(zip(a.column(name).to_pylist(), b.column(name).to_pylist(), strict=True))
                if x != y
            ]
            if left == flips:
                continue
        out.append(name)
    return out


def assert_same_rows(got: pa.Table, want: pa.Table, *, key: str = "id", since: datetime | None = None) -> None:
    """Same rows (no loss, no duplicate) with the same values, whatever the order.

    ``since``: when the reference was read; sessions that expired after it may read inactive now.
    """
    ids = got.column(key).to_pylist()
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicated rows"
    missing = set(want.column(key).to_pylist()) - set(ids)
    assert not missing, f"{len(missing)} rows lost"
    assert got.num_rows == want.num_rows
    assert got.schema.equals(want.schema, check_metadata=False)
    differing = differing_columns(got, want, since=since, key=key)
    assert not differing, f"columns {differing} differ"


def fault_counts(snapshots: Iterable[Mapping[str, Any]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for snap in snapshots:
        total.update({k: int(v) for k, v in snap["faults"].items()})
    return total


def noop(_: float) -> None:
    """A sleep that does not sleep."""


Sleep = Callable[[float], None]
__all__ = [
    "FAULT_KINDS",
    "Sleep",
    "TrackedBudget",
    "TrackedTransport",
    "VirtualClock",
    "assert_same_rows",
    "count_429",
    "differing_columns",
    "fast_client",
    "fault_counts",
    "minimum_seconds",
    "noop",
    "requests_per_bucket",
    "reset_stats",
    "stats",
    "tier_minimum",
]
