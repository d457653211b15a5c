"""create_app: the Starlette app with routes for the 21 IdentityApi operations, schemas, health and sandbox extras."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import _flows, _identities, _identity_reads, _sessions
from . import _wire as w
from ._context import Context, ctx, wall_clock
from ._drift import DriftMiddleware
from ._limits import DEFAULT_MAX_BODY_BYTES
from ._middleware import SandboxMiddleware
from ._schemas import SchemaRegistry
from ._seed import seed_store
from ._sessions import parse_offset_paging
from ._store import Store
from ._user_schemas import SchemaSource, check_schema_document, load_schemas

# Kratos adds `/admin` to admin-port paths that lack it (wire notes "Conventions"); these are served as they are.
_UNPREFIXED = ("/admin", "/health", "/schemas", "/__sandbox")


class AdminPrefix:
    """Pure ASGI wrapper adding `/admin` to paths without it, as Kratos' admin router does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if not any(path == p or path.startswith(p + "/") for p in _UNPREFIXED):
                scope = {**scope, "path": "/admin" + path, "raw_path": b"/admin" + scope.get("raw_path", b"")}
        await self.app(scope, receive, send)


async def health(request: Request) -> Response:
    """/health/alive and /health/ready."""
    return w.json_response({"status": "ok"})


async def list_schemas(request: Request) -> Response:
    """GET /schemas: `[{id, schema}]` in config order, offset paging (wire notes §11)."""
    registry = ctx(request).schemas
    page, size = parse_offset_paging(request)
    ids = registry.ids
    # Kratos slices (page + 1) * size schemas from page * size, so page p > 0 carries more than `size`
    # (schema/schema.go `Schemas.List`, which passes pagination.Index its arguments as limit, offset; v1.3.1
    # and master alike, and what a real Kratos answers: wire notes §11).
    chunk = ids[page * size : page * size + (page + 1) * size]
    body = b"[" + b",".join(
        b'{"id":"' + sid.encode() + b'","schema":' + registry.require(sid).raw + b"}" for sid in chunk
    )
    link = w.offset_link(
        request.url.path, list(request.query_params.multi_items()), page=page, per_page=size, total=len(ids)
    )
    return w.json_response(None, raw=body + b"]", headers={"link": link, "x-total-count": str(len(ids))})


async def get_schema(request: Request) -> Response:
    """GET /schemas/{id}: the raw schema, by plain or base64url id (wire notes §11)."""
    registry = ctx(request).schemas
    wanted = request.path_params["id"]
    found = registry.get(wanted)
    if found is None:
        decoded = w.url_part_to_schema_id(wanted)
        found = registry.get(decoded) if decoded else None
    if found is None:
        raise w.WireError(404, reason=f"Identity schema `{wanted}` could not be found.")
    return w.json_response(None, raw=found.raw)


async def sandbox_put_schema(request: Request) -> Response:
    """PUT /__sandbox/schemas/{id}: serve the body, a JSON Schema, as identity schema `id` from now on (sandbox only).

    As a change to an Ory project's configuration: 201 for a new id (listed last by `GET /schemas`), 200 for a
    replaced one, with `{id, schema}` as `GET /schemas` lists it; 400 if the body is not a valid JSON Schema.
    """
    schema_id = request.path_params["id"]
    try:
        document = check_schema_document(schema_id, w.loads_body(await request.body()))
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError too
        raise w.bad_request(f"The request body is not a valid identity schema: {exc}") from None
    registry = ctx(request).schemas
    created = registry.add(schema_id, document)
    body = b'{"id":' + json.dumps(schema_id).encode() + b',"schema":' + registry.require(schema_id).raw + b"}"
    return w.json_response(None, 201 if created else 200, raw=body)


def _routes() -> list[Route]:
    i, r, s, f = _identities, _identity_reads, _sessions, _flows
    table: Sequence[tuple[str, Any, list[str]]] = [
        ("/admin/identities", r.list_identities, ["GET"]),
        ("/admin/identities", i.create_identity, ["POST"]),
        ("/admin/identities", i.batch_patch_identities, ["PATCH"]),
        ("/admin/identities/by/external/{external_id:path}", r.get_identity_by_external_id, ["GET"]),
        ("/admin/identities/{id}", r.get_identity, ["GET"]),
        ("/admin/identities/{id}", i.update_identity, ["PUT"]),
        ("/admin/identities/{id}", i.patch_identity, ["PATCH"]),
        ("/admin/identities/{id}", i.delete_identity, ["DELETE"]),
        ("/admin/identities/{id}/credentials/{type}", i.delete_identity_credentials, ["DELETE"]),
        ("/admin/identities/{id}/sessions", s.list_identity_sessions, ["GET"]),
        ("/admin/identities/{id}/sessions", s.delete_identity_sessions, ["DELETE"]),
        ("/admin/sessions", s.list_sessions, ["GET"]),
        ("/admin/sessions", s.manage_sessions, ["POST"]),
        ("/admin/sessions/{id}", s.get_session, ["GET"]),
        ("/admin/sessions/{id}", s.disable_session, ["DELETE"]),
        ("/admin/sessions/{id}/extend", s.extend_session, ["PATCH"]),
        ("/admin/recovery/code", f.create_recovery_code, ["POST"]),
        ("/admin/recovery/link", f.create_recovery_link, ["POST"]),
        ("/admin/test-login-flows", f.create_test_login_flow, ["POST"]),
        ("/schemas", list_schemas, ["GET"]),
        ("/schemas/{id}", get_schema, ["GET"]),
        ("/admin/schemas", list_schemas, ["GET"]),
        ("/admin/schemas/{id}", get_schema, ["GET"]),
        ("/health/alive", health, ["GET"]),
        ("/health/ready", health, ["GET"]),
        ("/__sandbox/recoveries", f.sandbox_list_recoveries, ["GET"]),
        ("/__sandbox/schemas/{id}", sandbox_put_schema, ["PUT"]),
        ("/__sandbox/test-login-flows/{id}", f.sandbox_get_test_login_flow, ["GET"]),
        ("/__sandbox/test-login-flows/{id}/complete", f.sandbox_complete_test_login_flow, ["POST"]),
    ]
    return [Route(path, fn, methods=methods) for path, fn, methods in table]


async def _wire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, w.WireError)
    return w.error_response(exc, request.headers.get("x-request-id"))


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, sorted: the `Allow` of Go's http.ServeMux 405 (wire notes §13).

    Starlette answers 405 from the first route whose path matches, so it would name that route's methods only.
    Routes with GET also serve HEAD, in Starlette as in Go.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    err = w.WireError(exc.status_code, message=w.DEFAULT_MESSAGE.get(exc.status_code, str(exc.detail)))
    response = w.error_response(err, request.headers.get("x-request-id"))
    if exc.status_code == 405:
        response.headers["allow"] = _allowed_methods(request)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return w.error_response(w.WireError(500), request.headers.get("x-request-id"))


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
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    latency_ms: float = 0,
    drift: bool = False,
    schemas: SchemaSource | None = None,
    bundled_schemas: bool = True,
) -> Starlette:
    """Build the sandbox as a Starlette app.

    Parameters
    ----------
    db
        SQLite database path, or ``":memory:"``. A new file is created readable and writable by its owner only
        (0600), and an existing one is narrowed to that: a sandbox of copied users holds their password hashes.
    api_key
        If set, every request except ``/health/alive`` and ``/health/ready`` must carry
        ``Authorization: Bearer <key>``, the sandbox's own ``/__sandbox/*`` routes included; else 401.
    rate_limits, faults, fault_seed
        Rate-limit emulation (a tier name) and fault injection (e.g. ``"503=0.02,reset=0.01"``) and its seed.
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
    max_body_bytes
        Largest request body accepted, 8 MiB by default (``None``: no limit). A larger body is answered 413 in
        Ory's error envelope before it is read in full.
    latency_ms
        Hold every answer back by this many milliseconds, like a server across a network; requests wait
        concurrently, so throughput behaves as it would against a remote Kratos.
    drift
        Drift mode: answers gain fields and enum values no client knows yet (a ``region``, an unknown credential
        type, address ``via`` and identity ``state``, ``aal3``, unknown keys in addresses, devices and sessions,
        unknown error ids), deterministically per ``seed``; stored data is unchanged (``sandbox/_drift.py``).
    schemas
        The project's own identity schemas, served beside the bundled ones (after them; one of the same id
        replaces it): a mapping of schema id to JSON Schema, a directory of ``<schema id>.json`` files, or a file
        holding a ``GET /schemas`` answer. ``PUT /__sandbox/schemas/{id}`` (or :func:`ory_frames.sandbox.add_schema`)
        adds or replaces one while the sandbox runs.
    bundled_schemas
        Serve the four bundled schemas (``default``, ``username``, ``phone``, ``b2b``); False serves ``schemas``
        only, which seeded identities (written against the bundled ones) cannot go with.

    Returns
    -------
    starlette.applications.Starlette
        The app; its store is ``app.state.store``.

    Raises
    ------
    ImportError
        If the ``sandbox`` extra is not installed (raised when ``create_app`` is first looked up).
    ValueError
        If ``now`` is a naive datetime, ``max_body_bytes`` or ``latency_ms`` is negative, a schema of ``schemas``
        is not a valid JSON Schema, or ``bundled_schemas=False`` comes with ``seed_identities`` or without
        ``schemas``.

    Examples
    --------
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(create_app())
    >>> client.get("/admin/identities").json()
    []
    """
    if max_body_bytes is not None and max_body_bytes < 0:
        raise ValueError(f"max_body_bytes must not be negative, got {max_body_bytes}")
    if latency_ms < 0:
        raise ValueError(f"latency_ms must not be negative, got {latency_ms}")
    registry = _schema_registry(schemas, bundled=bundled_schemas, seeded=bool(seed_identities))
    url = (public_url or "http://127.0.0.1:4433").rstrip("/")
    clock_start = wall_clock(now)
    store = Store(db, public_url=url)
    app = Starlette(
        routes=_routes(),
        exception_handlers={w.WireError: _wire_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.ctx = Context(
        store=store,
        schemas=registry,
        public_url=url,
        oidc_providers=tuple(oidc_providers),
        extend_returns_204=extend_returns_204,
        now=clock_start,
    )
    app.state.store = store
    if seed_identities:
        seed_store(store, identities=seed_identities, seed=seed, now=now)
    if drift:
        app.add_middleware(DriftMiddleware, seed=seed)  # inside the front door: it sees routed answers only
    app.add_middleware(
        SandboxMiddleware,
        api_key=api_key,
        rate_limits=rate_limits,
        faults=faults,
        fault_seed=fault_seed,
        max_body_bytes=max_body_bytes,
        latency_ms=latency_ms,
        **({"clock": clock} if clock is not None else {}),
    )
    app.add_middleware(_PrefixMiddleware)  # outermost: everything inside sees `/admin/...` paths
    return app


def _schema_registry(schemas: SchemaSource | None, *, bundled: bool, seeded: bool) -> SchemaRegistry:
    """The schemas to serve: the bundled ones (unless ``bundled`` is False), then the user's."""
    own = load_schemas(schemas) if schemas is not None else {}
    if not bundled and not own:
        raise ValueError("bundled_schemas=False needs schemas= (the sandbox would serve no identity schema)")
    if not bundled and seeded:
        raise ValueError("seed_identities needs the bundled schemas: seeded identities are written against them")
    registry = SchemaRegistry.bundled() if bundled else SchemaRegistry({})
    for schema_id, document in own.items():
        registry.add(schema_id, document)
    return registry


class _PrefixMiddleware(AdminPrefix):
    """AdminPrefix in the shape `add_middleware` expects."""


def context_of(app: Starlette) -> Context:
    """The Context of an app built here."""
    found: Context = app.state.ctx
    return found
