"""A local server faithful to Ory's Identity admin API, wire for wire.

Use :func:`create_app` for an ASGI app (in-process tests) and :func:`running` for a real
loopback server in a background thread. Needs the ``ory-frames[sandbox]`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["create_app", "running", "serve"]

_EXTRA_HINT = "the sandbox needs starlette and uvicorn: pip install 'ory-frames[sandbox]'"


def create_app(
    *,
    db: str = ":memory:",
    api_key: str | None = None,
    rate_limits: Any = None,
    faults: Any = None,
    fault_seed: int = 0,
    oidc_providers: Sequence[str] = ("google", "github"),
    seed_identities: int = 0,
    seed: int = 0,
    public_url: str | None = None,
    extend_returns_204: bool = False,
    clock: Callable[[], float] | None = None,
    now: datetime | None = None,
) -> Starlette:
    """Build the sandbox as a Starlette app.

    Parameters
    ----------
    db
        SQLite database path, or ``":memory:"``.
    api_key
        If set, requests must carry ``Authorization: Bearer <key>`` (checked by the sandbox middleware).
    rate_limits, faults, fault_seed
        Rate-limit emulation and fault injection, passed to the sandbox middleware.
    oidc_providers
        OIDC provider ids that test login flows accept.
    seed_identities, seed
        Number of generated identities (with sessions) and the generator's seed.
    public_url
        Base of ``schema_url`` and recovery links; defaults to ``http://127.0.0.1:4433``.
    extend_returns_204
        Answer ``PATCH /admin/sessions/{id}/extend`` with 204 as the Network does, instead of OSS's 200.
    clock
        Monotonic seconds for the rate-limit windows (default ``time.monotonic``); tests share a fake one
        with the client's ``RateBudget`` so that only virtual time passes.
    now
        Where the sandbox's wall clock starts (timezone-aware); it then advances in real time, so expiries and
        ``active`` still behave. Seeded data is generated relative to it, so the same ``now`` and ``seed`` give
        the same documents. Default: the real time.

    Returns
    -------
    starlette.applications.Starlette
        The app; its store is ``app.state.store``.

    Raises
    ------
    ImportError
        If the ``sandbox`` extra is not installed.
    ValueError
        If ``now`` is a naive datetime.

    Examples
    --------
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(create_app())
    >>> client.get("/admin/identities").json()
    []
    """
    try:
        from ._app import build_app
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_EXTRA_HINT) from exc
    return build_app(
        db=db,
        api_key=api_key,
        rate_limits=rate_limits,
        faults=faults,
        fault_seed=fault_seed,
        oidc_providers=oidc_providers,
        seed_identities=seed_identities,
        seed=seed,
        public_url=public_url,
        extend_returns_204=extend_returns_204,
        clock=clock,
        now=now,
    )


@contextmanager
def running(*, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[str]:
    """Run the sandbox on a loopback port in a background thread and yield its base URL.

    Parameters
    ----------
    host, port
        Where to listen; port 0 picks a free port.
    **kwargs
        Passed to :func:`create_app`.

    Yields
    ------
    str
        The base URL, for example ``"http://127.0.0.1:53817"``.

    Examples
    --------
    >>> import httpx
    >>> with running() as url:
    ...     httpx.get(url + "/health/ready").json()
    {'status': 'ok'}
    """
    app = create_app(**kwargs)
    try:
        from ._server import run_in_thread
    except ImportError as exc:  # pragma: no cover
        raise ImportError(_EXTRA_HINT) from exc
    with run_in_thread(app, host=host, port=port) as url:
        yield url


def serve(*, host: str = "127.0.0.1", port: int = 4434, **kwargs: Any) -> None:
    """Serve the sandbox in the foreground (the ``ory-frames sandbox`` command)."""
    app = create_app(**kwargs)
    try:
        from ._server import serve as _serve
    except ImportError as exc:  # pragma: no cover
        raise ImportError(_EXTRA_HINT) from exc
    _serve(app, host=host, port=port)
