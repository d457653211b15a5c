"""RateBudget: paces requests per Ory Network rate-limit bucket, learnt from ``x-ratelimit-*`` headers."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, get_args

from ory_frames._errors import InvalidInputError
from ory_frames._types import Tier
from ory_frames.client._retry import parse_reset

Bucket = Literal["kratos-admin-high", "kratos-admin-medium", "kratos-admin-low"]
BUCKETS: tuple[Bucket, ...] = get_args(Bucket)

# Operation -> bucket, the spec's `x-ory-ratelimit-bucket` (wire notes §14, "Buckets").
# Paths are matched at the end of the request path, so a base URL with a path prefix still works;
# more specific patterns come first.
OPERATION_BUCKETS: tuple[tuple[str, str, Bucket], ...] = (
    ("GET", r"admin/identities/by/external/[^/]+", "kratos-admin-medium"),
    ("GET", r"admin/identities/[^/]+/sessions", "kratos-admin-medium"),
    ("GET", r"admin/identities/[^/]+", "kratos-admin-high"),
    ("GET", r"admin/identities", "kratos-admin-medium"),
    ("GET", r"admin/sessions/[^/]+", "kratos-admin-high"),
    ("GET", r"admin/sessions", "kratos-admin-medium"),
    ("GET", r"(?:admin/)?schemas(?:/[^/]+)?", "kratos-admin-medium"),
    ("POST", r"admin/identities", "kratos-admin-low"),
    ("PATCH", r"admin/identities", "kratos-admin-low"),
    ("DELETE", r"admin/identities/[^/]+/credentials/[^/]+", "kratos-admin-low"),
    ("DELETE", r"admin/identities/[^/]+/sessions", "kratos-admin-low"),
    ("PUT", r"admin/identities/[^/]+", "kratos-admin-low"),
    ("PATCH", r"admin/identities/[^/]+", "kratos-admin-low"),
    ("DELETE", r"admin/identities/[^/]+", "kratos-admin-low"),
    ("POST", r"admin/sessions", "kratos-admin-low"),
    ("PATCH", r"admin/sessions/[^/]+/extend", "kratos-admin-low"),
    ("DELETE", r"admin/sessions/[^/]+", "kratos-admin-low"),
    ("POST", r"admin/recovery/(?:code|link)", "kratos-admin-low"),
    ("POST", r"admin/test-login-flows", "kratos-admin-low"),
)
_COMPILED = tuple(
    (method, re.compile(rf"(?:^|/){pattern}/?$"), bucket) for method, pattern, bucket in OPERATION_BUCKETS
)

# (requests per second, requests per minute) per tier, production environment, new policy
# (wire notes §14, "Thresholds"; ory/docs `bucket-to-threshold.csv`).
TIER_LIMITS: dict[Tier, dict[Bucket, tuple[int, int]]] = {
    "developer": {"kratos-admin-high": (5, 40), "kratos-admin-medium": (5, 25), "kratos-admin-low": (5, 80)},
    "production": {"kratos-admin-high": (5, 80), "kratos-admin-medium": (5, 90), "kratos-admin-low": (8, 175)},
    "growth": {"kratos-admin-high": (23, 550), "kratos-admin-medium": (9, 200), "kratos-admin-low": (18, 425)},
    "enterprise": {"kratos-admin-high": (45, 1100), "kratos-admin-medium": (17, 400), "kratos-admin-low": (35, 850)},
}

Limits = Sequence[tuple[int, float]]
"""A bucket's windows: ``(max requests, window in seconds)`` pairs, e.g. ``[(5, 1), (90, 60)]``."""

_INT = re.compile(r"\d+")


def bucket_for(method: str, path: str) -> Bucket | None:
    """The Ory rate-limit bucket of a request, or None for a path outside the Identity admin API."""
    method = method.upper()
    for candidate, pattern, bucket in _COMPILED:
        if candidate == method and pattern.search(path):
            return bucket
    return None


def parse_ratelimit_limit(value: str) -> list[tuple[int, float]]:
    """The windows of an IETF-draft ``x-ratelimit-limit`` such as ``10, 10;w=1, 300;w=60``.

    Items without a ``w=`` parameter (the leading "current quota") carry no window and are skipped.
    """
    windows: list[tuple[int, float]] = []
    for item in value.split(","):
        head, *params = (part.strip() for part in item.split(";"))
        options = dict(param.split("=", 1) for param in params if "=" in param)
        limit_text = options.get("q", head).strip('"')
        window_text = options.get("w")
        if window_text is None or not limit_text.isdigit():
            continue
        try:
            window = float(window_text)
        except ValueError:
            continue
        if window > 0:
            windows.append((int(limit_text), window))
    return windows


def _first_int(value: str | None) -> int | None:
    """The first integer in a header value, if any."""
    match = _INT.search(value) if value else None
    return int(match.group()) if match else None


class _Window:
    """A sliding log of send times: at most ``limit`` sends in any ``seconds`` interval."""

    def __init__(self, limit: int, seconds: float, history: Iterable[float] = ()) -> None:
        self.limit = max(1, limit)
        self.seconds = seconds
        self.sent: deque[float] = deque(history, maxlen=self.limit)

    def wait(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.seconds - now


class _BucketState:
    """The windows of one bucket, plus a hard stop until the server's reset time."""

    def __init__(self, limits: Limits = ()) -> None:
        self.windows = [_Window(limit, seconds) for limit, seconds in limits]
        self.blocked_until = float("-inf")
        # sends while no window is known: the first windows learnt start with them (the server counted them)
        self.unpaced: deque[float] = deque(maxlen=2048)

    def wait(self, now: float) -> float:
        wait = self.blocked_until - now
        for window in self.windows:
            wait = max(wait, window.wait(now))
        return wait

    def record(self, now: float) -> None:
        for log in self._logs():
            log.append(now)

    def _logs(self) -> list[deque[float]]:
        return [window.sent for window in self.windows] if self.windows else [self.unpaced]

    def restamp(self, sent: float, now: float) -> None:
        """Count a request recorded at ``sent`` from ``now`` instead (``now`` is never earlier than any entry)."""
        for log in self._logs():
            with contextlib.suppress(ValueError):  # gone already: it was in flight longer than the window
                log.remove(sent)
            log.append(now)

    def set_limits(self, limits: Limits) -> None:
        old = {window.seconds: window for window in self.windows}
        new = []
        for limit, seconds in limits:
            previous = old.get(seconds)
            if previous is not None and previous.limit == limit:
                new.append(previous)
            else:
                new.append(_Window(limit, seconds, previous.sent if previous else self.unpaced))
        self.windows = new


class RateBudget:
    """Requests per Ory rate-limit bucket; ``acquire`` blocks until a request may go.

    Parameters
    ----------
    limits
        Windows per bucket, ``{"kratos-admin-medium": [(5, 1.0), (90, 60.0)]}``; buckets not named are
        unpaced until the server's headers say otherwise.
    learn
        Replace a bucket's windows by those the server announces in ``x-ratelimit-limit``, and stop
        sending when ``x-ratelimit-remaining`` reaches 0 until ``x-ratelimit-reset`` has passed.
    clock, sleep
        Time source and sleeper (seconds); tests inject fakes.

    Examples
    --------
    >>> budget = RateBudget.for_tier("production")
    >>> budget.limits("kratos-admin-low")
    [(8, 1.0), (175, 60.0)]
    """

    def __init__(
        self,
        limits: Mapping[str, Limits] | None = None,
        *,
        learn: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.learn = learn
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._states: dict[str, _BucketState] = {}
        self._sent = threading.local()  # per thread: bucket -> when its last acquired request was recorded
        for bucket, windows in (limits or {}).items():
            self._states[bucket] = _BucketState([(int(n), float(s)) for n, s in windows])

    @classmethod
    def for_tier(
        cls,
        tier: Tier | str,
        *,
        learn: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateBudget:
        """A budget with Ory Network's per-second and per-minute thresholds of a subscription tier."""
        table = next((limits for name, limits in TIER_LIMITS.items() if name == tier), None)
        if table is None:
            raise InvalidInputError(f"unknown tier {tier!r}; expected one of {', '.join(TIER_LIMITS)}")
        limits: dict[str, Limits] = {bucket: [(rps, 1.0), (rpm, 60.0)] for bucket, (rps, rpm) in table.items()}
        return cls(limits, learn=learn, clock=clock, sleep=sleep)

    @classmethod
    def uniform(
        cls,
        *,
        per_second: int | None = None,
        per_minute: int | None = None,
        learn: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateBudget:
        """A budget with the same numbers for every bucket."""
        windows: list[tuple[int, float]] = []
        if per_second:
            windows.append((per_second, 1.0))
        if per_minute:
            windows.append((per_minute, 60.0))
        limits: dict[str, Limits] = {bucket: windows for bucket in BUCKETS}
        return cls(limits, learn=learn, clock=clock, sleep=sleep)

    def limits(self, bucket: str) -> list[tuple[int, float]]:
        """The windows currently applied to a bucket (empty: unpaced)."""
        with self._lock:
            state = self._states.get(bucket)
            return [(w.limit, w.seconds) for w in state.windows] if state else []

    def acquire(self, bucket: str | None) -> float:
        """Block until a request to the bucket may be sent, record it, and return the seconds waited."""
        if bucket is None:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                state = self._states.setdefault(bucket, _BucketState())
                now = self._clock()
                wait = state.wait(now)
                if wait <= 0:
                    state.record(now)
                    self._sent.__dict__.setdefault("at", {})[bucket] = now
                    return waited
            self._sleep(wait)
            waited += wait

    def finish(self, bucket: str | None) -> None:
        """Count the request this thread last acquired for ``bucket`` from now on: its answer is in (or it failed).

        A server counts a request when it arrives, which can be later than when ``acquire`` let it go,
        and later for one request than for another sent after it; counted from the end of its answer,
        no request can arrive in a server window that the budget believes to be already free. With one
        sender this changes little; with several threads sharing the budget (keyset shards, parallel
        write-back) it keeps them all within the server's windows.
        """
        sent = getattr(self._sent, "at", {}).pop(bucket, None)
        if sent is None or bucket is None:
            return
        with self._lock:
            state = self._states.get(bucket)
            if state is not None:
                state.restamp(sent, self._clock())

    def observe(self, bucket: str | None, headers: Mapping[str, str], status: int | None = None) -> None:
        """Learn from a response's ``x-ratelimit-limit``/``-remaining``/``-reset`` headers."""
        if bucket is None or not self.learn:
            return
        limit_header = headers.get("x-ratelimit-limit")
        windows = parse_ratelimit_limit(limit_header) if limit_header else []
        remaining = _first_int(headers.get("x-ratelimit-remaining"))
        reset = parse_reset(headers)
        with self._lock:
            state = self._states.setdefault(bucket, _BucketState())
            if windows and windows != [(w.limit, w.seconds) for w in state.windows]:
                state.set_limits(windows)
            if reset is not None and (remaining == 0 or status == 429):
                state.blocked_until = max(state.blocked_until, self._clock() + reset)

    def __repr__(self) -> str:
        with self._lock:
            shown = {bucket: [(w.limit, w.seconds) for w in s.windows] for bucket, s in self._states.items()}
        return f"RateBudget({shown!r}, learn={self.learn})"
