"""SandboxMiddleware: the sandbox's front door (latency, API key, size limits, rate limits, faults, request stats).

It is a pure ASGI wrapper that knows no route handler and no store; it recognises operations by method and path.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._faults import FAULTS, Fault, FaultDice, FaultSpec
from ._limits import DEFAULT_MAX_BODY_BYTES, BodyTooLarge, check_declared_size, counting_receive
from ._ratelimit import InFlight, RateLimitConfig, RateLimiter, Route, classify, limit_header, normalize_path
from ._wire import WireError, error_response, json_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATS_PATH = "/__sandbox/stats"
STATS_RESET_PATH = "/__sandbox/stats/reset"
_SANDBOX_PREFIXES = ("/health/", "/__sandbox/")  # not Ory operations: never faulted, named by path in the stats
_OPEN_PATHS = frozenset({"/health/alive", "/health/ready"})  # the only paths served without the key when one is set

# Ory Network's body for a missing or wrong key is not documented (wire notes §13 covers herodot only); this is
# herodot's ErrUnauthorized with a reason of our own.
_MISSING_KEY = "The request did not include an API key. Send it as 'Authorization: Bearer <key>'."
_WRONG_KEY = "The API key is invalid or has been revoked."
_IN_FLIGHT = "Another request to this path is still in progress; concurrent requests to it are not allowed."
_FAULT_MESSAGES = {
    "429": "Too many requests (injected by the sandbox)",
    "500": "An internal server error occurred, please contact the system administrator",
    "502": "Bad Gateway (injected by the sandbox)",
    "503": "Service Unavailable (injected by the sandbox)",
}


class SandboxConnectionDropped(ConnectionResetError):
    """Raised in-process (no socket to close) where the sandbox drops a connection for a `reset`/`truncate` fault."""


class Stats:
    """Counts of the requests the middleware saw: by status, by route (then status) and by injected fault."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.total = 0
        self.by_status: Counter[str] = Counter()
        self.by_route: dict[str, Counter[str]] = {}
        self.faults: Counter[str] = Counter({kind: 0 for kind in FAULTS})

    def record(self, route: str, status: int | None, fault: Fault | None) -> None:
        """Count one finished request; `status` is None when no status line was sent (dropped connection)."""
        self.total += 1
        key = str(status) if status is not None else "none"
        if status is not None:
            self.by_status[key] += 1
        self.by_route.setdefault(route, Counter())[key] += 1
        if fault is not None:
            self.faults[fault] += 1

    def snapshot(self) -> dict[str, Any]:
        """The JSON document `GET /__sandbox/stats` answers."""
        return {
            "total": self.total,
            "by_status": dict(sorted(self.by_status.items())),
            "by_route": {route: dict(sorted(c.items())) for route, c in sorted(self.by_route.items())},
            "faults": {kind: self.faults[kind] for kind in FAULTS},
        }


class SandboxMiddleware:
    """Wrap an ASGI app with Ory Network's front-door behaviour, each part off unless configured.

    Parameters
    ----------
    app
        The ASGI app to protect.
    api_key
        When set, every request except to `/health/alive` and `/health/ready` needs `Authorization: Bearer
        <api_key>`, else it gets 401 in Ory's error envelope; `/__sandbox/*` included, as it lists recovery codes.
    rate_limits
        A tier name (`developer`, `production`, `growth`, `enterprise`) or a `RateLimitConfig`: per-bucket
        per-second and per-minute limits on fixed windows aligned on `clock`, with `x-ratelimit-*` headers on
        every answer of a bucketed operation, plus the endpoint in-flight limits (wire notes §14).
    faults
        A `FaultSpec` or its text form, e.g. `"429=0.02,503=0.01,reset=0.01,delay=0.01,truncate=0.01"`.
    fault_seed
        Seed of the dice: the same seed and the same request order give the same faults.
    clock
        Seconds, monotonic; tests pass a fake one.
    max_body_bytes
        Largest request body accepted (None: no limit). A larger declared Content-Length is answered 413 before any
        of the body is read; a chunked body is counted as it streams and refused as soon as it passes the limit.
    latency_ms
        Milliseconds every answer is held back (an awaited sleep, so concurrent requests wait side by side).

    Notes
    -----
    `GET /__sandbox/stats` answers the counters since start (or the last `POST /__sandbox/stats/reset`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        api_key: str | None = None,
        rate_limits: str | RateLimitConfig | None = None,
        faults: str | FaultSpec | None = None,
        fault_seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
        latency_ms: float = 0,
    ) -> None:
        if max_body_bytes is not None and max_body_bytes < 0:
            raise ValueError(f"max_body_bytes must not be negative, got {max_body_bytes}")
        if latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, got {latency_ms}")
        self.app = app
        self._max_body = max_body_bytes
        self._latency = latency_ms / 1000
        self._key = f"Bearer {api_key}".encode() if api_key else None
        config = RateLimitConfig.coerce(rate_limits) if rate_limits is not None else None
        self._limiter = RateLimiter(config, clock=clock) if config is not None else None
        self._in_flight = InFlight() if config is not None and config.in_flight else None
        spec = FaultSpec.coerce(faults) if faults is not None else None
        self._dice = FaultDice(spec, fault_seed) if spec is not None else None
        self.stats = Stats()

    def __repr__(self) -> str:
        key = "***" if self._key else None
        limits = self._limiter.config if self._limiter else None
        faults = str(self._dice.spec) if self._dice else None
        return (
            f"SandboxMiddleware(api_key={key}, rate_limits={limits!r}, faults={faults!r}, "
            f"max_body_bytes={self._max_body}, latency_ms={self._latency * 1000:g})"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._latency:
            await asyncio.sleep(self._latency)
        method, path = scope["method"], scope["path"]
        refusal = self._key_refusal(scope)
        if refusal is None and path == STATS_PATH and method == "GET":
            await json_response(self.stats.snapshot())(scope, receive, send)
            return
        if refusal is None and path == STATS_RESET_PATH and method == "POST":
            self.stats.reset()
            await json_response(self.stats.snapshot())(scope, receive, send)
            return

        route = classify(method, path)
        exempt = path.startswith(_SANDBOX_PREFIXES)
        name = route.template if route else (f"{method} {path}" if exempt else f"{method} (unknown path)")
        status: list[int] = []
        fault: list[Fault] = []

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            if refusal is not None:
                await error_response(refusal, _header(scope, b"x-request-id"))(scope, receive, counting_send)
            else:
                await self._handle(scope, receive, counting_send, route, exempt, fault, lambda: bool(status))
        finally:
            self.stats.record(name, status[0] if status else None, fault[0] if fault else None)

    def _key_refusal(self, scope: Scope) -> WireError | None:
        """The 401 for a request without the right key (when a key is set), else None; health checks need none."""
        if self._key is None or scope["path"] in _OPEN_PATHS:
            return None
        given = _header(scope, b"authorization")
        if given and hmac.compare_digest(given.encode(), self._key):
            return None
        return WireError(401, reason=_WRONG_KEY if given else _MISSING_KEY)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        exempt: bool,
        fault: list[Fault],
        started: Callable[[], bool],
    ) -> None:
        """After the key: size limits, then Ory Network's rate limit and in-flight limit, then faults and the app."""
        request_id = _header(scope, b"x-request-id")
        too_large = check_declared_size(scope.get("headers", []), scope.get("query_string", b""), self._max_body)
        if too_large is not None:
            await error_response(too_large, request_id)(scope, receive, send)
            return
        if self._max_body is not None:
            receive = counting_receive(receive, self._max_body)

        extra: dict[str, str] = {}
        if self._limiter is not None and route is not None:
            verdict = self._limiter.admit(route.bucket)
            if verdict is not None:
                extra = verdict.headers
                if not verdict.allowed:
                    reason = f"Rate limit of bucket {route.bucket} exceeded."
                    await _send_error(WireError(429, reason=reason), request_id, extra, scope, receive, send)
                    return

        busy: tuple[str, str] | None = None
        if self._in_flight is not None and route is not None and route.in_flight:
            busy = (scope["method"], normalize_path(scope["path"]))
            if not self._in_flight.try_enter(busy):
                await _send_error(WireError(429, reason=_IN_FLIGHT), request_id, {}, scope, receive, send)
                return
        try:
            kind = self._dice.roll() if self._dice is not None and not exempt else None
            if kind is not None:
                fault.append(kind)
            await self._serve(scope, receive, send, route, kind, extra, request_id)
        except BodyTooLarge as exc:  # raised by the counting receive where no route handler turned it into a 413
            if not started():
                await error_response(exc, request_id)(scope, receive, send)
        finally:
            if busy is not None and self._in_flight is not None:
                self._in_flight.leave(busy)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        kind: Fault | None,
        extra: dict[str, str],
        request_id: str | None,
    ) -> None:
        """Answer with the fault, or call the app (after a delay, or with a truncated answer)."""
        if kind is not None and kind in _FAULT_MESSAGES:
            code = int(kind)
            headers: dict[str, str] = {}
            if code == 429:
                headers = dict(extra) or _fault_ratelimit_headers(route, self._limiter)
                headers["x-ratelimit-remaining"] = "0"
            err = WireError(code, message=_FAULT_MESSAGES[kind])
            await _send_error(err, request_id, headers, scope, receive, send)
            return
        if kind == "reset":
            await _drop_connection(send, abort=True)
            return
        if kind == "delay":
            delayed = await self._delay(receive)
            if delayed is None:  # the client gave up while waiting: the app never sees the request
                return
            receive = delayed

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *_encode(extra)]
            await send(message)

        if kind == "truncate":
            await self.app(scope, receive, _Truncator(send_with_headers))
        else:
            await self.app(scope, receive, send_with_headers)

    async def _delay(self, receive: Receive) -> Receive | None:
        """Hold the request for `delay_seconds`; None if the client disconnected, else a replaying receive."""
        assert self._dice is not None
        buffered: list[Message] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            buffered.append(message)
            if not message.get("more_body", False):
                break
        try:
            message = await asyncio.wait_for(receive(), timeout=self._dice.spec.delay_seconds)
        except asyncio.TimeoutError:
            pass
        else:
            if message["type"] == "http.disconnect":
                return None

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        return replay


class _Truncator:
    """A `send` that buffers the app's answer, then sends its head and half its body, and drops the connection."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body.append(bytes(message.get("body", b"")))
        if message.get("more_body", False):
            return
        body = b"".join(self._body)
        start = dict(self._start)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        start["headers"] = [*headers, (b"content-length", str(len(body)).encode())]
        await self._send(start)
        if not body:  # nothing to cut (e.g. 204): the answer goes out whole
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self._send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await _drop_connection(self._send, abort=False)


async def _send_error(
    err: WireError, request_id: str | None, headers: dict[str, str], scope: Scope, receive: Receive, send: Send
) -> None:
    """Send Ory's error envelope plus extra headers."""
    response = error_response(err, request_id)
    for name, value in headers.items():
        response.headers[name] = value
    await response(scope, receive, send)


def _fault_ratelimit_headers(route: Route | None, limiter: RateLimiter | None) -> dict[str, str]:
    """x-ratelimit-* headers for an injected 429 when no real limit applies: production thresholds, reset in 1 s."""
    config = limiter.config if limiter else RateLimitConfig.for_tier("production")
    rps, rpm = config.thresholds.get(route.bucket if route else "kratos-admin-medium", (5, 90))
    return {"x-ratelimit-limit": limit_header(rps, rpm, rps), "x-ratelimit-reset": "1"}


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _find_transport(send: Callable[..., Any], depth: int = 0) -> tuple[Any, Any] | None:
    """The asyncio transport behind a server's `send` (uvicorn's bound method, maybe inside wrapper closures)."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        return owner, transport
    if depth >= 6:
        return None
    candidates: list[Any] = []
    for cell in getattr(send, "__closure__", None) or ():
        try:
            candidates.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    holder = owner if owner is not None else send  # a bound method's object, or a callable object itself
    if not hasattr(send, "__code__") and hasattr(holder, "__dict__"):
        candidates.extend(vars(holder).values())
    for value in candidates:
        if callable(value) and value is not send:
            found = _find_transport(value, depth + 1)
            if found is not None:
                return found
    return None


async def _drop_connection(send: Send, *, abort: bool) -> None:
    """Close the client's connection with no (further) bytes: abort for a reset, close after flushing for truncate."""
    found = _find_transport(send)
    if found is None:
        raise SandboxConnectionDropped("sandbox fault: connection dropped")
    owner, transport = found
    if abort:
        transport.abort()
    else:
        transport.close()
    # Let the server notice the loss, so it neither answers 500 nor logs an incomplete response.
    for _ in range(50):
        if getattr(owner, "disconnected", True):
            break
        await asyncio.sleep(0.001 if transport.is_closing() else 0)
