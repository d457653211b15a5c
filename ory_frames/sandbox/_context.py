"""What every route needs: the store, the schemas and the sandbox's configuration."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ._schemas import SchemaRegistry
from ._store import Store

SESSION_LIFESPAN_SECONDS = 24 * 3600
RECOVERY_LIFESPAN_SECONDS = 3600
FLOW_LIFESPAN_SECONDS = 3600


@dataclass
class Context:
    """Shared state of one sandbox app (`app.state.ctx`)."""

    store: Store
    schemas: SchemaRegistry
    public_url: str
    oidc_providers: tuple[str, ...]
    extend_returns_204: bool = False


def ctx(request: Request) -> Context:
    """The app's Context."""
    found: Context = request.app.state.ctx
    return found


def query_keys(request: Request) -> set[str]:
    """Names of the query parameters present, even with empty values."""
    return {k for k, _ in request.query_params.multi_items()}
