"""What every route needs: the store, the schemas and the sandbox's configuration."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from starlette.requests import Request

from ._schemas import SchemaRegistry
from ._store import Store

SESSION_LIFESPAN_SECONDS = 24 * 3600
RECOVERY_LIFESPAN_SECONDS = 3600
FLOW_LIFESPAN_SECONDS = 3600

WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real current time, UTC."""
    return datetime.now(timezone.utc)


def wall_clock(start: datetime | None = None, *, monotonic: Callable[[], float] = time.monotonic) -> WallClock:
    """A clock reading real time, or one that reads `start` now and then advances in real time.

    Raises
    ------
    ValueError
        If `start` is a naive datetime.
    """
    if start is None:
        return utc_now
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {start.isoformat()}")
    origin, began = start.astimezone(timezone.utc), monotonic()
    return lambda: origin + timedelta(seconds=monotonic() - began)


def rfc3339(moment: datetime) -> str:
    """`moment` in RFC 3339 UTC with microseconds, as Go marshals a UTC time."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Context:
    """Shared state of one sandbox app (`app.state.ctx`)."""

    store: Store
    schemas: SchemaRegistry
    public_url: str
    oidc_providers: tuple[str, ...]
    extend_returns_204: bool = False
    now: WallClock = field(default=utc_now)
    """The app's wall clock (`create_app(now=...)`); every timestamp the sandbox writes or compares reads it."""

    def now_rfc3339(self) -> str:
        """The wall clock's current time in RFC 3339, as Go marshals a UTC time."""
        return rfc3339(self.now())


def ctx(request: Request) -> Context:
    """The app's Context."""
    found: Context = request.app.state.ctx
    return found


def query_keys(request: Request) -> set[str]:
    """Names of the query parameters present, even with empty values."""
    return {k for k, _ in request.query_params.multi_items()}
