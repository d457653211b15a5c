"""Against the sandbox emulating Ory Network's tiers, a paced client provokes no 429 and is within 1.1x of the
fastest the tier allows.

The client's RateBudget and the sandbox's rate limiter share one VirtualClock, so virtual time passes only when
the client sleeps: minutes of Developer-tier traffic take a couple of real seconds. The theoretical minimum of
a run is that of its busiest bucket: the requests of each bucket (counted by the sandbox) sent as early as the
tier's per-second and per-minute limits allow.
Size: a 101-request export (5 000 identities, pages of 50) and a 181-operation apply.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from drift_support import running
from reliability_support import (
    TrackedBudget,
    VirtualClock,
    count_429,
    fast_client,
    requests_per_bucket,
    reset_stats,
    stats,
    tier_minimum,
)
from test_writeback_faults import build_plan, check_report, check_server

from ory_frames import export_identities, read_identities
from ory_frames.sandbox._ratelimit import RateLimitConfig

SLACK = 1.1


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("tier", "budget"), [("developer", "tier"), ("production", "tier"), ("developer", "learn"), ("production", "learn")]
)
def test_long_export_is_paced(tier: str, budget: str, seeded_db: str, tmp_path: Path) -> None:
    vclock = VirtualClock()
    # "tier": RateBudget.for_tier's published limits; "learn": no limits given, learnt from x-ratelimit-* headers.
    paced = TrackedBudget.tier(vclock, tier) if budget == "tier" else TrackedBudget(vclock, learn=True)
    with running(db=seeded_db, rate_limits=tier, clock=vclock) as url:
        client, _ = fast_client(url, vclock=vclock, budget=paced)
        with client:
            result = export_identities(client, tmp_path / "ids.parquet", page_size=50)
        snapshot = stats(url)
    elapsed = vclock()
    assert result.rows == 5_000
    assert count_429(snapshot) == 0, snapshot["by_status"]
    per_bucket = requests_per_bucket(snapshot)
    assert per_bucket == {"kratos-admin-medium": 101}
    minimum = tier_minimum(tier, per_bucket)
    assert minimum > 60  # the run is long enough for the per-minute limit to bind
    assert elapsed <= SLACK * minimum, (elapsed, minimum)
    if budget == "tier":
        assert elapsed >= minimum - 1e-6  # the fake clock did not let the client cheat


@pytest.mark.timeout(120)
@pytest.mark.parametrize("tier", ["developer", "production"])
def test_long_apply_is_paced(tier: str) -> None:
    vclock = VirtualClock()
    with running(seed_identities=300, seed=21, rate_limits=tier, clock=vclock) as url:
        client, _ = fast_client(url, vclock=vclock, budget=TrackedBudget.tier(vclock, tier))
        with client:
            original = read_identities(client)
            plan, intended = build_plan(original, creates=30, patches=100, deletes=50, tag=tier)
            reset_stats(url)
            start = vclock()
            report = plan.apply(client, workers=8)
            elapsed = vclock() - start
            snapshot = stats(url)
            check_report(plan, report)
            assert (report["status"] == "applied").all(), report["status"].value_counts()
            check_server(client, plan, report, intended, len(original))
    assert count_429(snapshot) == 0, snapshot["by_status"]
    per_bucket = requests_per_bucket(snapshot)
    assert per_bucket == {"kratos-admin-high": 150, "kratos-admin-low": 151}
    minimum = tier_minimum(tier, per_bucket)
    assert minimum > 60
    assert elapsed <= SLACK * minimum, (elapsed, minimum)


@pytest.mark.timeout(120)
def test_concurrent_writers_are_not_blocked_in_flight() -> None:
    # Limits far above what the run needs, in-flight rule on: only the in-flight rule could answer 429.
    generous = RateLimitConfig(
        thresholds={b: (1000, 60_000) for b in ("kratos-admin-high", "kratos-admin-medium", "kratos-admin-low")},
        in_flight=True,
    )
    with running(seed_identities=300, seed=22, rate_limits=generous) as url:
        client, _ = fast_client(url, retries=0)
        with client:
            original = read_identities(client)
            plan, intended = build_plan(original, creates=250, patches=150, deletes=50, tag="inflight")
            assert len(plan.create_chunks()) >= 2  # several batch requests, sent one at a time
            report = plan.apply(client, workers=8)
            check_report(plan, report)
            assert (report["status"] == "applied").all(), report[report["status"] != "applied"]
            check_server(client, plan, report, intended, len(original))
        snapshot = stats(url)
    assert count_429(snapshot) == 0, snapshot["by_status"]
