"""RateBudget: tier numbers, learning from x-ratelimit-* headers, pacing and thread-safety (section 14)."""

from __future__ import annotations

import threading

import httpx
import pytest
from client_fakes import json_response

from ory_frames._errors import InvalidInputError
from ory_frames.client._budget import TIER_LIMITS, RateBudget, bucket_for, parse_ratelimit_limit

HIGH, MEDIUM, LOW = "kratos-admin-high", "kratos-admin-medium", "kratos-admin-low"


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        # (rps, rpm) per bucket, wire notes §14 "Thresholds".
        ("developer", {HIGH: (5, 40), MEDIUM: (5, 25), LOW: (5, 80)}),
        ("production", {HIGH: (5, 80), MEDIUM: (5, 90), LOW: (8, 175)}),
        ("growth", {HIGH: (23, 550), MEDIUM: (9, 200), LOW: (18, 425)}),
        ("enterprise", {HIGH: (45, 1100), MEDIUM: (17, 400), LOW: (35, 850)}),
    ],
)
def test_tier_numbers(tier, expected):
    budget = RateBudget.for_tier(tier)
    for bucket, (rps, rpm) in expected.items():
        assert budget.limits(bucket) == [(rps, 1.0), (rpm, 60.0)]
    assert TIER_LIMITS[tier] == expected


def test_unknown_tier():
    with pytest.raises(InvalidInputError, match="unknown tier"):
        RateBudget.for_tier("platinum")


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("GET", "/admin/identities/abc", HIGH),
        ("GET", "/admin/sessions/abc", HIGH),
        ("GET", "/admin/identities", MEDIUM),
        ("GET", "/admin/identities/abc/sessions", MEDIUM),
        ("GET", "/admin/sessions", MEDIUM),
        ("GET", "/admin/identities/by/external/ext-1", MEDIUM),
        ("GET", "/schemas", MEDIUM),
        ("GET", "/schemas/ZGVmYXVsdA", MEDIUM),
        ("GET", "/admin/schemas", MEDIUM),
        ("POST", "/admin/identities", LOW),
        ("PATCH", "/admin/identities", LOW),
        ("PUT", "/admin/identities/abc", LOW),
        ("PATCH", "/admin/identities/abc", LOW),
        ("DELETE", "/admin/identities/abc", LOW),
        ("DELETE", "/admin/identities/abc/credentials/oidc", LOW),
        ("DELETE", "/admin/identities/abc/sessions", LOW),
        ("POST", "/admin/sessions", LOW),
        ("DELETE", "/admin/sessions/abc", LOW),
        ("PATCH", "/admin/sessions/abc/extend", LOW),
        ("POST", "/admin/recovery/code", LOW),
        ("POST", "/admin/recovery/link", LOW),
        ("POST", "/admin/test-login-flows", LOW),
        ("GET", "/kratos/admin/identities", MEDIUM),  # a base URL with a path prefix
        ("GET", "/health/ready", None),
    ],
)
def test_bucket_table(method, path, bucket):
    assert bucket_for(method, path) == bucket


def test_parse_ietf_draft_limit():
    assert parse_ratelimit_limit("10, 10;w=1, 300;w=60") == [(10, 1.0), (300, 60.0)]
    assert parse_ratelimit_limit("5") == []
    assert parse_ratelimit_limit("junk;w=abc, 3;w=0") == []


def test_acquire_paces_per_second_and_per_minute(clock):
    budget = RateBudget({MEDIUM: [(2, 1.0), (5, 60.0)]}, clock=clock, sleep=clock.sleep)
    start = clock()
    times = []
    for _ in range(7):
        budget.acquire(MEDIUM)
        times.append(clock() - start)
    assert times[:5] == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert times[5] == pytest.approx(60.0)  # the minute window is full after 5
    assert budget.acquire(HIGH) == 0.0  # other buckets are independent


def test_default_budget_does_not_pace(clock):
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        budget.acquire(LOW)
    assert clock.sleeps == []
    assert budget.acquire(None) == 0.0


def test_learns_windows_from_headers(clock):
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    budget.observe(MEDIUM, {"x-ratelimit-limit": "10, 3;w=1, 300;w=60", "x-ratelimit-remaining": "9"})
    assert budget.limits(MEDIUM) == [(3, 1.0), (300, 60.0)]
    for _ in range(4):
        budget.acquire(MEDIUM)
    assert clock.sleeps == [1.0]


def test_remaining_zero_blocks_until_reset(clock):
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    budget.observe(LOW, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "12"})
    waited = budget.acquire(LOW)
    assert waited == pytest.approx(12.0)
    assert budget.acquire(HIGH) == 0.0


def test_learning_can_be_switched_off(clock):
    budget = RateBudget.for_tier("production", learn=False, clock=clock, sleep=clock.sleep)
    budget.observe(LOW, {"x-ratelimit-limit": "1, 1;w=1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "50"})
    assert budget.limits(LOW) == [(8, 1.0), (175, 60.0)]
    assert budget.acquire(LOW) == 0.0


def test_uniform_numbers():
    budget = RateBudget.uniform(per_second=3, per_minute=100)
    assert budget.limits(HIGH) == budget.limits(LOW) == [(3, 1.0), (100, 60.0)]


def test_thread_safety_never_exceeds_a_window(clock):
    budget = RateBudget({LOW: [(4, 1.0)]}, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            budget.acquire(LOW)
            with lock:
                sent.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(sent) == 80
    sent.sort()
    # The sliding-window guarantee: no 5 sends within one second.
    assert all(sent[i + 4] - sent[i] >= 1.0 for i in range(len(sent) - 4))


def test_client_learns_from_responses_and_paces(make_client, clock):
    headers = {"x-ratelimit-limit": "2, 2;w=1", "x-ratelimit-remaining": "1", "x-ratelimit-reset": "1"}
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    client, recorder = make_client(lambda r: json_response(200, [], headers), budget=budget)
    for _ in range(5):
        client.list_identities()
    assert budget.limits(MEDIUM) == [(2, 1.0)]
    assert len(recorder.requests) == 5
    assert sum(clock.sleeps) >= 1.0


def test_client_budget_by_tier_name():
    from ory_frames.client._client import Client

    client = Client(
        "https://acme.projects.oryapis.com",
        api_key="k",
        budget="growth",
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    assert client.budget is not None
    assert client.budget.limits(HIGH) == [(23, 1.0), (550, 60.0)]
    client.close()
