"""Ory Network's rate-limit buckets, tier thresholds and endpoint in-flight limits, emulated with fixed windows."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Bucket: TypeAlias = Literal["kratos-admin-high", "kratos-admin-medium", "kratos-admin-low"]
BUCKETS: tuple[Bucket, ...] = ("kratos-admin-high", "kratos-admin-medium", "kratos-admin-low")

# (requests per second, requests per minute) per tier and bucket; the "new policy" table of wire notes §14
# (ory/docs `src/lib/rate-limits/data/bucket-to-threshold.csv`, production environment).
TIER_THRESHOLDS: dict[str, dict[str, tuple[int, int]]] = {
    "developer": {"kratos-admin-high": (5, 40), "kratos-admin-medium": (5, 25), "kratos-admin-low": (5, 80)},
    "production": {"kratos-admin-high": (5, 80), "kratos-admin-medium": (5, 90), "kratos-admin-low": (8, 175)},
    "growth": {"kratos-admin-high": (23, 550), "kratos-admin-medium": (9, 200), "kratos-admin-low": (18, 425)},
    "enterprise": {"kratos-admin-high": (45, 1100), "kratos-admin-medium": (17, 400), "kratos-admin-low": (35, 850)},
}


@dataclass(frozen=True)
class Route:
    """What the middleware knows about one API operation: a stable name, its bucket, whether it is in-flight limited."""

    template: str
    bucket: Bucket
    in_flight: bool = False


_ID = r"[^/]+"
# Operation -> bucket, from the spec's `x-ory-ratelimit-bucket` (wire notes §14 buckets table); in-flight flags from
# the "endpoint in-flight limits" list of wire notes §14 (DELETE /admin/sessions/{id} and extend are only logged there).
_ROUTES: list[tuple[str, re.Pattern[str], Route]] = [
    (m, re.compile(p), Route(f"{m} {t}", b, f))  # type: ignore[arg-type]
    for m, p, t, b, f in [
        ("GET", r"^/admin/identities$", "/admin/identities", "kratos-admin-medium", False),
        ("POST", r"^/admin/identities$", "/admin/identities", "kratos-admin-low", True),
        ("PATCH", r"^/admin/identities$", "/admin/identities", "kratos-admin-low", True),
        (
            "GET",
            rf"^/admin/identities/by/external/{_ID}$",
            "/admin/identities/by/external/{externalID}",
            "kratos-admin-medium",
            False,
        ),
        ("GET", rf"^/admin/identities/{_ID}$", "/admin/identities/{id}", "kratos-admin-high", False),
        ("PUT", rf"^/admin/identities/{_ID}$", "/admin/identities/{id}", "kratos-admin-low", True),
        ("PATCH", rf"^/admin/identities/{_ID}$", "/admin/identities/{id}", "kratos-admin-low", True),
        ("DELETE", rf"^/admin/identities/{_ID}$", "/admin/identities/{id}", "kratos-admin-low", True),
        (
            "DELETE",
            rf"^/admin/identities/{_ID}/credentials/{_ID}$",
            "/admin/identities/{id}/credentials/{type}",
            "kratos-admin-low",
            True,
        ),
        (
            "GET",
            rf"^/admin/identities/{_ID}/sessions$",
            "/admin/identities/{id}/sessions",
            "kratos-admin-medium",
            False,
        ),
        ("DELETE", rf"^/admin/identities/{_ID}/sessions$", "/admin/identities/{id}/sessions", "kratos-admin-low", True),
        ("GET", r"^/admin/sessions$", "/admin/sessions", "kratos-admin-medium", False),
        ("POST", r"^/admin/sessions$", "/admin/sessions", "kratos-admin-low", False),
        ("GET", rf"^/admin/sessions/{_ID}$", "/admin/sessions/{id}", "kratos-admin-high", False),
        ("DELETE", rf"^/admin/sessions/{_ID}$", "/admin/sessions/{id}", "kratos-admin-low", False),
        ("PATCH", rf"^/admin/sessions/{_ID}/extend$", "/admin/sessions/{id}/extend", "kratos-admin-low", False),
        ("POST", r"^/admin/recovery/code$", "/admin/recovery/code", "kratos-admin-low", False),
        ("POST", r"^/admin/recovery/link$", "/admin/recovery/link", "kratos-admin-low", False),
        ("POST", r"^/admin/test-login-flows$", "/admin/test-login-flows", "kratos-admin-low", False),
        ("GET", r"^/schemas$", "/schemas", "kratos-admin-medium", False),
        ("GET", rf"^/schemas/{_ID}$", "/schemas/{id}", "kratos-admin-medium", False),
    ]
]
_ADMIN_ROOTS = ("/identities", "/sessions", "/recovery", "/test-login-flows")


def normalize_path(path: str) -> str:
    """The path as Kratos' handlers see it: `/admin` added where missing, `/admin/schemas` served as `/schemas`."""
    # wire notes "Conventions": admin paths also work without /admin; wire notes §11: schemas are public
    # routes that are also served under /admin/schemas.
    if path.startswith("/admin/schemas"):
        return path[len("/admin") :]
    if path.startswith(_ADMIN_ROOTS):
        return "/admin" + path
    return path


def classify(method: str, path: str) -> Route | None:
    """The known operation a request calls, or None for anything else (health, unknown paths)."""
    norm = normalize_path(path)
    for route_method, pattern, route in _ROUTES:
        if route_method == method and pattern.match(norm):
            return route
    return None


@dataclass(frozen=True)
class RateLimitConfig:
    """Per-bucket thresholds as (requests per second, requests per minute), plus the in-flight switch.

    Examples
    --------
    >>> RateLimitConfig.for_tier("production").thresholds["kratos-admin-low"]
    (8, 175)
    """

    thresholds: Mapping[str, tuple[int, int]] = field(default_factory=lambda: dict(TIER_THRESHOLDS["production"]))
    in_flight: bool = True

    def __post_init__(self) -> None:
        for bucket, pair in self.thresholds.items():
            if bucket not in BUCKETS:
                raise ValueError(f"unknown rate-limit bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")
            if len(pair) != 2 or any(not isinstance(n, int) or n < 1 for n in pair):
                raise ValueError(f"thresholds for {bucket!r} must be two positive integers (rps, rpm), got {pair!r}")

    @classmethod
    def for_tier(cls, tier: str, *, in_flight: bool = True) -> RateLimitConfig:
        """The thresholds of an Ory Network tier: developer, production, growth or enterprise."""
        try:
            table = TIER_THRESHOLDS[tier]
        except KeyError:
            tiers = ", ".join(TIER_THRESHOLDS)
            raise ValueError(f"unknown rate-limit tier {tier!r}; expected one of {tiers}") from None
        return cls(thresholds=dict(table), in_flight=in_flight)

    @classmethod
    def coerce(cls, value: str | RateLimitConfig) -> RateLimitConfig:
        """A config from a tier name or a config."""
        return value if isinstance(value, RateLimitConfig) else cls.for_tier(value)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one admission check: allowed or not, and the x-ratelimit-* headers to send."""

    allowed: bool
    headers: dict[str, str]


def limit_header(rps: int, rpm: int, current: int) -> str:
    """`x-ratelimit-limit` in the IETF draft format, e.g. `5, 5;w=1, 90;w=60` (wire notes §14)."""
    return f"{current}, {rps};w=1, {rpm};w=60"


class RateLimiter:
    """Fixed one-second and one-minute windows per bucket, aligned on the clock; rejected calls do not count."""

    def __init__(self, config: RateLimitConfig, *, clock: Callable[[], float]) -> None:
        self.config = config
        self._clock = clock
        # bucket -> [second window index, count in it, minute window index, count in it]
        self._windows: dict[str, list[int]] = {}

    def admit(self, bucket: str) -> Verdict | None:
        """Count one request against the bucket; None when the bucket has no thresholds."""
        limits = self.config.thresholds.get(bucket)
        if limits is None:
            return None
        rps, rpm = limits
        now = self._clock()
        sec, minute = math.floor(now), math.floor(now / 60)
        state = self._windows.setdefault(bucket, [sec, 0, minute, 0])
        if state[0] != sec:
            state[0], state[1] = sec, 0
        if state[2] != minute:
            state[2], state[3] = minute, 0
        allowed = state[1] < rps and state[3] < rpm
        if allowed:
            state[1] += 1
            state[3] += 1
        left_s, left_m = rps - state[1], rpm - state[3]
        reset_s = max(1, math.ceil(sec + 1 - now))
        reset_m = max(1, math.ceil((minute + 1) * 60 - now))
        # Report the window closest to exhaustion (ties: the one-second window); when both are exhausted the
        # minute window is the one that decides when calls succeed again.
        if left_m < left_s or left_m <= 0:
            current, remaining, reset = rpm, left_m, reset_m
        else:
            current, remaining, reset = rps, left_s, reset_s
        headers = {
            "x-ratelimit-limit": limit_header(rps, rpm, current),
            "x-ratelimit-remaining": str(max(remaining, 0)),
            "x-ratelimit-reset": str(reset),
        }
        return Verdict(allowed, headers)


class InFlight:
    """The set of (method, path) pairs being served, for the endpoint in-flight limits (wire notes §14)."""

    def __init__(self) -> None:
        self._busy: set[tuple[str, str]] = set()

    def try_enter(self, key: tuple[str, str]) -> bool:
        """Mark the key busy; False if it already was."""
        if key in self._busy:
            return False
        self._busy.add(key)
        return True

    def leave(self, key: tuple[str, str]) -> None:
        """Mark the key free again."""
        self._busy.discard(key)
