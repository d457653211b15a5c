"""How long a set of requests takes: requests per endpoint, and the time a rate budget and a latency allow.

Used by ``Plan.estimate(client)``, ``ory-frames apply`` (printed before sending and with ``--dry-run``)
and the dry run of ``copy_identities``. The model is deliberately simple and says what it assumes:

- each endpoint's requests fall in Ory's rate-limit bucket of that operation (wire notes §14); a bucket
  whose windows allow ``L`` requests per ``S`` seconds needs ``(ceil(n / L) - 1) * S`` seconds for ``n``
  requests sent from an empty window (the first ``L`` go at once);
- every request also takes ``latency`` seconds (an assumption, shown with the figure), and requests
  that go one at a time (batch writes: Ory blocks concurrent ones, wire notes §14) add up, while
  single-identity requests share ``workers`` connections;
- a phase takes the longer of the two, and phases (one per endpoint) run one after another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ory_frames.client._budget import RateBudget, bucket_for

# A round trip to Ory Network from outside its region, including the server's work; shown with every estimate.
DEFAULT_LATENCY_SECONDS = 0.1


@dataclass(frozen=True)
class EndpointCount:
    """The requests to one endpoint: method, path template, how many, and whether they run concurrently."""

    method: str
    path: str
    count: int
    concurrent: bool = False
    where: str = ""  # which project, when an estimate spans two (a copy's source and target)

    @property
    def name(self) -> str:
        """``"METHOD /path"``, after ``where`` if given."""
        return f"{self.where}: {self.method} {self.path}" if self.where else f"{self.method} {self.path}"

    @property
    def bucket(self) -> str | None:
        """Ory's rate-limit bucket of the endpoint (None outside the Identity admin API)."""
        return bucket_for(self.method, self.path.replace("{id}", "x"))


@dataclass(frozen=True)
class Estimate:
    """Requests per endpoint and the expected time at a rate budget, with the latency assumed.

    ``seconds`` is the whole expected time; ``limited_by`` names, per endpoint, what bounds it: the
    rate budget (``"rate limit"``) or the round trips (``"latency"``).
    """

    endpoints: tuple[EndpointCount, ...]
    seconds: float
    latency: float
    workers: int
    limits: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    limited_by: dict[str, str] = field(default_factory=dict)

    @property
    def requests(self) -> dict[str, int]:
        """``{"METHOD /path": count}`` for every endpoint with at least one request."""
        return {e.name: e.count for e in self.endpoints if e.count}

    @property
    def total_requests(self) -> int:
        """All requests together."""
        return sum(e.count for e in self.endpoints)

    def __add__(self, other: Estimate) -> Estimate:
        """Two estimates run one after the other (e.g. reading one project, then writing another)."""
        return Estimate(
            (*self.endpoints, *other.endpoints),
            self.seconds + other.seconds,
            max(self.latency, other.latency),
            max(self.workers, other.workers),
            {**self.limits, **other.limits},
            {**self.limited_by, **other.limited_by},
        )

    def lines(self) -> list[str]:
        """The estimate as text lines (what the CLI prints)."""
        out = [f"estimate: {self.total_requests:,} request(s), about {format_seconds(self.seconds)}"]
        for e in self.endpoints:
            if not e.count:
                continue
            key = e.name
            windows = self.limits.get(e.bucket or "", [])
            pace = ", ".join(f"{n}/{_window(s)}" for n, s in windows) or "unpaced"
            out.append(f"  {key}: {e.count:,} ({e.bucket or 'no bucket'}: {pace}; bound by {self.limited_by[key]})")
        out.append(
            f"  assumes {self.latency * 1000:.0f} ms per request"
            + (f" and {self.workers} concurrent single-identity requests" if self.workers > 1 else "")
        )
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _window(seconds: float) -> str:
    return {1.0: "s", 60.0: "min", 3600.0: "h"}.get(seconds, f"{seconds:g}s")


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def rate_seconds(count: int, windows: list[tuple[int, float]]) -> float:
    """Seconds the windows need for ``count`` requests sent from an empty history."""
    if count <= 0:
        return 0.0
    return max((float(math.ceil(count / max(1, limit)) - 1) * seconds for limit, seconds in windows), default=0.0)


def estimate(
    endpoints: list[EndpointCount],
    budget: RateBudget | None,
    *,
    latency: float | None = None,
    workers: int = 1,
) -> Estimate:
    """The :class:`Estimate` of ``endpoints`` at ``budget`` (None or an empty one: only latency counts).

    Requests to one bucket from different endpoints share its windows: each endpoint's rate time is
    taken at its share of the bucket's requests, so the bucket's whole count is paced once.
    """
    lat = DEFAULT_LATENCY_SECONDS if latency is None else max(0.0, float(latency))
    workers = max(1, workers)
    limits: dict[str, list[tuple[int, float]]] = {}
    per_bucket: dict[str, int] = {}
    for e in endpoints:
        if e.bucket is not None:
            limits.setdefault(e.bucket, budget.limits(e.bucket) if budget is not None else [])
            per_bucket[e.bucket] = per_bucket.get(e.bucket, 0) + e.count
    total = 0.0
    limited_by: dict[str, str] = {}
    for e in endpoints:
        if not e.count:
            continue
        bucket_total = per_bucket.get(e.bucket or "", e.count)
        rate = rate_seconds(bucket_total, limits.get(e.bucket or "", [])) * e.count / max(1, bucket_total)
        trips = e.count * lat / (workers if e.concurrent else 1)
        limited_by[e.name] = "rate limit" if rate > trips else "latency"
        total += max(rate, trips)
    return Estimate(tuple(endpoints), total, lat, workers, limits, limited_by)


def count_requests(requests: Mapping[tuple[str, str, bool], int]) -> list[EndpointCount]:
    """``{(method, path template, concurrent): n}`` as endpoint counts, in the given order."""
    return [EndpointCount(method, path, n, concurrent) for (method, path, concurrent), n in requests.items()]
