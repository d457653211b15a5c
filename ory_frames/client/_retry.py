"""Which failures are retried, and how long to wait before the next attempt.

Rules (wire notes §14: prefer ``x-ratelimit-reset``, else exponential backoff capped at 30 s
with jitter):

- GET, HEAD, OPTIONS, PUT and DELETE of a resource are idempotent: retried on 429, 500, 502, 503,
  504, on connection errors and on timeouts or dropped/truncated answers.
- POST and PATCH are retried only when the failure proves the request was not processed: a 429
  (rate limit or in-flight block) or an error raised before the request was sent (connect errors,
  a connect or pool timeout).
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_CAP = 30.0
# A server-given wait longer than this is treated as bogus and replaced by the backoff cap.
MAX_HEADER_WAIT = 300.0

# Errors raised before any byte of the request left: repeating cannot duplicate a write.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Errors after which the server may or may not have processed the request.
_AMBIGUOUS_ERRORS: tuple[type[Exception], ...] = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.CloseError,
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def is_idempotent(method: str) -> bool:
    """Whether repeating a request with this method cannot change the outcome."""
    return method.upper() in IDEMPOTENT_METHODS


def should_retry_status(method: str, status: int) -> bool:
    """Whether a response with this status may be retried for this method."""
    if status == 429:
        # Ory refuses rate-limited and in-flight-blocked requests before processing them (section 14).
        return True
    return status in RETRY_STATUSES and is_idempotent(method)


def should_retry_exception(method: str, exc: BaseException) -> bool:
    """Whether a transport-level failure may be retried for this method."""
    if isinstance(exc, _NOT_SENT_ERRORS):
        return True
    return isinstance(exc, _AMBIGUOUS_ERRORS) and is_idempotent(method)


def parse_reset(headers: Mapping[str, str]) -> float | None:
    """Seconds until the rate-limit window resets, from ``x-ratelimit-reset`` (first number)."""
    value = headers.get("x-ratelimit-reset")
    if not value:
        return None
    match = _NUMBER.search(value)
    return float(match.group()) if match else None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if _NUMBER.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def server_wait(status: int, headers: Mapping[str, str]) -> float | None:
    """The wait the server asked for: on a 429 ``x-ratelimit-reset`` first, then ``Retry-After``.

    Ory Network sends ``x-ratelimit-*`` on every answer, so the reset of a 5xx is only the end of
    the current window, not a hint about the failure; it is ignored there.
    """
    wait = parse_reset(headers) if status == 429 else None
    if not wait:
        wait = parse_retry_after(headers.get("retry-after"))
    if wait is None or wait <= 0 or wait > MAX_HEADER_WAIT:
        return None
    return wait


@dataclass
class RetryPolicy:
    """How many times to retry and how long to wait: full-jitter exponential backoff, capped.

    ``random`` returns a float in [0, 1); tests inject a fixed one.
    """

    retries: int = 5
    base: float = 0.5
    cap: float = DEFAULT_CAP
    random: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        """Full-jitter wait before retry number ``attempt`` (0-based): uniform in [0, min(cap, base*2**n)]."""
        ceiling = min(self.cap, self.base * (2.0 ** min(attempt, 32)))
        return ceiling * self.random()

    def delay(self, attempt: int, status: int | None = None, headers: Mapping[str, str] | None = None) -> float:
        """The wait before retry number ``attempt``: what the server asked for, else backoff."""
        if status is not None and headers is not None:
            wait = server_wait(status, headers)
            if wait is not None:
                return wait
        return self.backoff(attempt)
