"""Plan.estimate and the copy's estimate: requests per endpoint, and the time a tier's limits and a latency need."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from ory_frames import Client, Estimate, RateBudget, plan_changes
from ory_frames.client._estimate import EndpointCount, estimate, format_seconds, rate_seconds


class _Paced:
    """Stands for a client: estimates read only its ``budget``."""

    def __init__(self, budget: RateBudget | None) -> None:
        self.budget = budget


def _patch_plan(n: int) -> object:
    ids = [str(uuid.UUID(int=i + 1)) for i in range(n)]
    original = pd.DataFrame({"id": ids, "traits.email": [f"u{i}@example.org" for i in range(n)]})
    edited = original.assign(**{"traits.email": [f"v{i}@example.org" for i in range(n)]})
    return plan_changes(original, edited)


def test_rate_seconds_counts_whole_windows_after_the_first() -> None:
    assert rate_seconds(0, [(5, 1.0)]) == 0.0
    assert rate_seconds(5, [(5, 1.0)]) == 0.0
    assert rate_seconds(6, [(5, 1.0)]) == 1.0
    assert rate_seconds(100, [(5, 1.0), (40, 60.0)]) == 120.0  # the minute window binds
    assert rate_seconds(100, []) == 0.0


def test_patches_at_the_developer_tier_are_bound_by_its_minute_windows() -> None:
    plan = _patch_plan(100)
    result = plan.estimate(_Paced(RateBudget.for_tier("developer")), latency=0.0)  # type: ignore[attr-defined]
    assert isinstance(result, Estimate)
    assert result.requests == {"GET /admin/identities/{id}": 100, "PATCH /admin/identities/{id}": 100}
    # high bucket 40/min: 100 reads need 2 more minutes; low bucket 80/min: 100 writes 1 more minute.
    assert result.seconds == pytest.approx(180.0)
    assert set(result.limited_by.values()) == {"rate limit"}
    text = str(result)
    assert "kratos-admin-low: 5/s, 80/min" in text and "3 min 0 s" in text


def test_ignore_conflicts_drops_the_reads_and_unpaced_clients_count_latency() -> None:
    plan = _patch_plan(80)
    result = plan.estimate(_Paced(None), latency=0.05, workers=8, ignore_conflicts=True)  # type: ignore[attr-defined]
    assert result.requests == {"PATCH /admin/identities/{id}": 80}
    assert result.seconds == pytest.approx(80 * 0.05 / 8)
    assert result.limited_by == {"PATCH /admin/identities/{id}": "latency"}


def test_creates_are_counted_per_batch_and_sent_one_at_a_time() -> None:
    original = pd.DataFrame({"id": pd.Series([], dtype=object), "traits.email": pd.Series([], dtype=object)})
    edited = pd.DataFrame({"id": [None] * 1500, "traits.email": [f"n{i}@example.org" for i in range(1500)]})
    plan = plan_changes(original, edited)
    with Client("http://127.0.0.1:9", budget="production") as client:  # never sends: only its budget is read
        result = plan.estimate(client, latency=0.2)
    assert result.requests == {"PATCH /admin/identities": 2}
    assert result.seconds == pytest.approx(0.4)


def test_a_bucket_shared_by_two_endpoints_is_paced_once() -> None:
    budget = RateBudget.uniform(per_second=10)
    both = estimate(
        [EndpointCount("GET", "/admin/identities", 15), EndpointCount("GET", "/schemas", 15)], budget, latency=0
    )
    assert both.seconds == pytest.approx(2.0, abs=0.01)  # 30 medium-bucket requests at 10/s


def test_format_seconds() -> None:
    assert format_seconds(4.25) == "4.2 s"
    assert format_seconds(42) == "42 s"
    assert format_seconds(185) == "3 min 5 s"
    assert format_seconds(7800) == "2 h 10 min"
