"""SandboxMiddleware in-process: API key, stats, rate limits, in-flight limits, fault dice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ory_frames.sandbox._faults import FaultDice, FaultSpec
from ory_frames.sandbox._middleware import SandboxConnectionDropped, SandboxMiddleware
from ory_frames.sandbox._ratelimit import RateLimitConfig, classify, normalize_path

KEY = "ory_pat_s3cr3t-value"
AUTH = {"Authorization": f"Bearer {KEY}"}


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def make_app(gate: asyncio.Event | None = None, writes: list[str] | None = None) -> Starlette:
    async def ok(request: Request) -> Response:
        if writes is not None and request.method != "GET":
            writes.append(f"{request.method} {request.url.path}")
        if gate is not None and request.method != "GET":
            await gate.wait()
        return JSONResponse({"path": request.url.path, "padding": "x" * 200})

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route("/admin/{rest:path}", ok, methods=methods),
            Route("/identities/{rest:path}", ok, methods=methods),
            Route("/schemas", ok),
            Route("/health/alive", ok),
        ]
    )


def call(
    mw: SandboxMiddleware, requests: list[tuple[str, str]], headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=mw)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
            return [await client.request(m, p) for m, p in requests]

    return asyncio.run(go())


def test_classify_buckets_and_prefixless_paths() -> None:
    # wire notes §14 buckets table; wire notes "Conventions": paths also work without /admin.
    assert classify("GET", "/admin/identities/abc").bucket == "kratos-admin-high"  # type: ignore[union-attr]
    assert classify("GET", "/identities").bucket == "kratos-admin-medium"  # type: ignore[union-attr]
    assert classify("GET", "/admin/identities/by/external/x").template == (  # type: ignore[union-attr]
        "GET /admin/identities/by/external/{externalID}"
    )
    assert classify("PATCH", "/admin/sessions/x/extend").bucket == "kratos-admin-low"  # type: ignore[union-attr]
    assert classify("GET", "/admin/schemas/default").template == "GET /schemas/{id}"  # type: ignore[union-attr]
    assert classify("DELETE", "/admin/identities/a/credentials/oidc").in_flight  # type: ignore[union-attr]
    assert not classify("DELETE", "/admin/sessions/a").in_flight  # type: ignore[union-attr]
    assert classify("GET", "/health/alive") is None
    assert normalize_path("/sessions/x") == "/admin/sessions/x"


def test_api_key_required_everywhere_but_health() -> None:
    mw = SandboxMiddleware(make_app(), api_key=KEY)
    missing = call(mw, [("GET", "/admin/identities")])[0]
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/json"
    body = missing.json()["error"]
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["message"]
    wrong = call(mw, [("GET", "/admin/identities")], headers={"Authorization": "Bearer nope"})[0]
    assert wrong.status_code == 401 and KEY not in wrong.text
    good = call(mw, [("GET", "/admin/identities")], headers={"Authorization": f"Bearer {KEY}"})[0]
    assert good.status_code == 200
    health, stats = call(mw, [("GET", "/health/alive"), ("GET", "/__sandbox/stats")])
    assert health.status_code == 200 and stats.status_code == 401  # the sandbox's own routes need the key too
    stats = call(mw, [("GET", "/__sandbox/stats")], headers={"Authorization": f"Bearer {KEY}"})[0]
    assert stats.status_code == 200 and stats.json()["by_status"]["401"] == 3
    assert KEY not in repr(mw)


def test_stats_count_by_status_route_and_reset() -> None:
    mw = SandboxMiddleware(make_app(), api_key=KEY)
    call(mw, [("GET", "/admin/identities"), ("GET", "/admin/identities/abc"), ("GET", "/nowhere")])
    stats = call(mw, [("GET", "/__sandbox/stats")], headers=AUTH)[0].json()
    assert stats["total"] == 3
    assert stats["by_status"] == {"401": 3}
    assert stats["by_route"]["GET /admin/identities/{id}"] == {"401": 1}
    assert "GET (unknown path)" in stats["by_route"]
    reset = call(mw, [("POST", "/__sandbox/stats/reset")], headers=AUTH)[0].json()
    assert reset["total"] == 0 and reset["by_status"] == {}


def test_per_second_limit_and_headers() -> None:
    clock = FakeClock(1000.2)
    mw = SandboxMiddleware(make_app(), rate_limits="production", clock=clock)
    responses = call(mw, [("GET", "/admin/identities")] * 6)  # medium: 5 rps, 90 rpm (wire notes §14)
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    first, last_ok, limited = responses[0], responses[4], responses[5]
    assert first.headers["x-ratelimit-limit"] == "5, 5;w=1, 90;w=60"
    assert first.headers["x-ratelimit-remaining"] == "4"
    assert last_ok.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-reset"] == "1"
    assert limited.json()["error"]["code"] == 429
    # A different bucket has its own windows; the next second opens the medium one again.
    assert call(mw, [("GET", "/admin/identities/x")])[0].status_code == 200
    clock.now = 1001.0
    assert call(mw, [("GET", "/admin/identities")])[0].status_code == 200


def test_per_minute_limit_reports_minute_reset() -> None:
    clock = FakeClock(600.0)
    config = RateLimitConfig(thresholds={"kratos-admin-low": (100, 3)})
    mw = SandboxMiddleware(make_app(), rate_limits=config, clock=clock)
    codes = []
    for i in range(4):
        clock.now = 600.0 + i * 2
        codes.append(call(mw, [("POST", "/admin/recovery/code")])[0])
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert codes[3].headers["x-ratelimit-reset"] == "54"  # window [600, 660) seen at 606
    assert codes[3].headers["x-ratelimit-limit"] == "3, 100;w=1, 3;w=60"
    clock.now = 660.0
    assert call(mw, [("POST", "/admin/recovery/code")])[0].status_code == 200


def test_unknown_tier_and_bad_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit tier 'gold'"):
        SandboxMiddleware(make_app(), rate_limits="gold")
    with pytest.raises(ValueError, match="unknown rate-limit bucket"):
        RateLimitConfig(thresholds={"hydra-admin-low": (1, 1)})


def _concurrent(
    mw: SandboxMiddleware,
    gate: asyncio.Event | None,
    first: tuple[str, str],
    second: tuple[str, str],
) -> tuple[int, int]:
    async def go() -> tuple[int, int]:
        assert gate is not None
        transport = httpx.ASGITransport(app=mw)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            slow = asyncio.create_task(client.request(*first))
            await asyncio.sleep(0.01)
            other = asyncio.create_task(client.request(*second))
            await asyncio.sleep(0.01)
            gate.set()
            return (await slow).status_code, (await other).status_code

    return asyncio.run(go())


def test_in_flight_blocks_same_path_only() -> None:
    gate = asyncio.Event()
    mw = SandboxMiddleware(make_app(gate), rate_limits="enterprise")
    assert _concurrent(mw, gate, ("PATCH", "/admin/identities/a"), ("PATCH", "/identities/a")) == (200, 429)
    gate = asyncio.Event()
    mw = SandboxMiddleware(make_app(gate), rate_limits="enterprise")
    assert _concurrent(mw, gate, ("PATCH", "/admin/identities/a"), ("PATCH", "/admin/identities/b")) == (200, 200)
    gate = asyncio.Event()
    mw = SandboxMiddleware(make_app(gate), rate_limits="enterprise")
    # DELETE /admin/sessions/{id} is only logged, not blocked (wire notes §14).
    assert _concurrent(mw, gate, ("DELETE", "/admin/sessions/a"), ("DELETE", "/admin/sessions/a")) == (200, 200)
    gate = asyncio.Event()
    mw = SandboxMiddleware(make_app(gate), rate_limits=RateLimitConfig.for_tier("enterprise", in_flight=False))
    assert _concurrent(mw, gate, ("POST", "/admin/identities"), ("POST", "/admin/identities")) == (200, 200)


def test_in_flight_released_after_answer() -> None:
    mw = SandboxMiddleware(make_app(), rate_limits="enterprise")
    codes = [r.status_code for r in call(mw, [("POST", "/admin/identities")] * 3)]
    assert codes == [200, 200, 200]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("429=0.5,404=0.1", "unknown fault '404'"),
        ("500=2", "between 0 and 1"),
        ("500=0.6,503=0.6", "add up to 1.2"),
        ("reset", "not of the form kind=rate"),
        ("delay=abc", "'abc' is not a number"),
        ("500=0.1,500=0.2", "given twice"),
        ("delay_seconds=-1", "must not be negative"),
    ],
)
def test_fault_spec_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultSpec.parse(text)


def test_fault_spec_round_trip() -> None:
    spec = FaultSpec.parse(" 429=0.02, reset=0.01 ,delay=0.5,delay_seconds=2.5")
    assert spec.rates == {"429": 0.02, "reset": 0.01, "delay": 0.5}
    assert spec.delay_seconds == 2.5
    assert FaultSpec.parse(str(spec)) == spec


def test_fault_dice_deterministic_and_proportional() -> None:
    spec = FaultSpec.parse("429=0.1,500=0.1,reset=0.05")
    a, b, c = FaultDice(spec, seed=3), FaultDice(spec, seed=3), FaultDice(spec, seed=4)
    seq_a = [a.roll() for _ in range(2000)]
    assert seq_a == [b.roll() for _ in range(2000)]
    assert seq_a != [c.roll() for _ in range(2000)]
    assert 150 < seq_a.count("429") < 250 and 50 < seq_a.count("reset") < 150
    assert FaultDice(FaultSpec(), seed=1).roll() is None


def test_status_faults_skip_the_app_and_are_counted() -> None:
    writes: list[str] = []
    mw = SandboxMiddleware(make_app(writes=writes), faults="429=0.25,500=0.25,502=0.25,503=0.25", fault_seed=1)
    responses = call(mw, [("POST", "/admin/identities")] * 8 + [("GET", "/health/alive")])
    assert writes == []  # every write was refused before it reached the app
    assert {r.status_code for r in responses[:8]} <= {429, 500, 502, 503}
    assert responses[8].status_code == 200  # health is never faulted
    for r in responses[:8]:
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"]["code"] == r.status_code
        if r.status_code == 429:
            assert r.headers["x-ratelimit-reset"] == "1" and r.headers["x-ratelimit-remaining"] == "0"
    stats = call(mw, [("GET", "/__sandbox/stats")])[0].json()
    assert stats["total"] == 9
    assert sum(stats["faults"][k] for k in ("429", "500", "502", "503")) == 8
    assert sum(stats["by_status"].values()) == 9


def test_same_seed_same_faults() -> None:
    def statuses(seed: int) -> list[int]:
        mw = SandboxMiddleware(make_app(), faults="500=0.3,503=0.2", fault_seed=seed)
        return [r.status_code for r in call(mw, [("GET", "/admin/identities")] * 30)]

    assert statuses(11) == statuses(11)
    assert statuses(11) != statuses(12)


def test_reset_and_truncate_in_process_raise_connection_errors() -> None:
    writes: list[str] = []
    mw = SandboxMiddleware(make_app(writes=writes), faults="reset=1")
    with pytest.raises(SandboxConnectionDropped):
        call(mw, [("POST", "/admin/identities")])
    assert writes == []
    mw = SandboxMiddleware(make_app(writes=writes), faults="truncate=1")
    with pytest.raises(ConnectionResetError):
        call(mw, [("POST", "/admin/identities")])
    assert writes == ["POST /admin/identities"]  # a truncated answer means the write happened


def test_delay_then_answer() -> None:
    writes: list[str] = []
    mw = SandboxMiddleware(make_app(writes=writes), faults="delay=1,delay_seconds=0.01")
    response = call(mw, [("POST", "/admin/identities")])[0]
    assert response.status_code == 200 and writes == ["POST /admin/identities"]
    assert call(mw, [("GET", "/__sandbox/stats")])[0].json()["faults"]["delay"] == 1


def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        seen.append(scope["type"])

    mw = SandboxMiddleware(app, api_key=KEY, faults="reset=1")

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        return None

    asyncio.run(mw({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan"]
