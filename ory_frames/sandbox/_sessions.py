"""Session routes: list, get, disable, extend, identity sessions and bulk management (wire notes §1, §8)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import _wire as w
from ._context import SESSION_LIFESPAN_SECONDS, Context, ctx, query_keys
from ._identity_doc import parse_time
from ._store import created_key

_EXPAND = ("identity", "devices")


def _parse_active(request: Request) -> bool | None:
    raw = request.query_params.get("active")
    if raw is None or raw == "":
        return None
    # Go strconv.ParseBool
    if raw in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if raw in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise w.bad_request(message="could not parse parameter active")


def _parse_expand(request: Request) -> set[str]:
    out = set()
    for value in request.query_params.getlist("expand"):
        low = value.lower()
        if low not in _EXPAND:
            raise w.bad_request(f"Could not parse expand option: {value}")
        out.add(low)
    return out


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def render_session(
    c: Context,
    doc: dict[str, Any],
    *,
    identity: bool,
    devices: bool,
    states: dict[str, str] | None = None,
    now: float,
    devices_default: list[Any] | None = None,
) -> dict[str, Any]:
    """A session's admin JSON in Go order; `active` computed at read time (wire notes §8)."""
    ident_json = None
    if identity:
        blob = c.store.identity_view(doc["identity_id"], "list")
        ident_json = orjson.loads(blob) if blob else None
    active = bool(doc.get("active")) and parse_time(doc["expires_at"]).timestamp() > now
    if ident_json is not None:
        active = active and ident_json.get("state") == "active"
    out: dict[str, Any] = {"id": doc["id"], "active": active}
    for key in ("expires_at", "authenticated_at", "authenticator_assurance_level", "authentication_methods"):
        if key in doc:
            out[key] = doc[key]
    if "issued_at" in doc:
        out["issued_at"] = doc["issued_at"]
    out["identity"] = ident_json
    out["devices"] = (doc.get("devices") or []) if devices else devices_default
    return out


def _listed(item: dict[str, Any]) -> dict[str, Any]:
    """A session as the lists show it: pop's eager load of `Identity` reads the identity row alone, so
    its addresses are missing (persistence/sql/persister_session.go, `EagerPreload`; wire notes §8)."""
    if item["identity"] is not None:
        item["identity"].pop("verifiable_addresses", None)
        item["identity"].pop("recovery_addresses", None)
    return item


def _decode_session_token(token: str) -> tuple[str, str]:
    """(created_key, id) from `base64(id=<uuid>/created_at=<ts>)`, raising Kratos' 400s (wire notes §1)."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise w.bad_request(message="could not parse parameter page_size") from None
    parts = dict(p.split("=", 1) for p in raw.split("/") if "=" in p)
    try:
        sid = w.parse_uuid(parts.get("id", ""))
    except ValueError:
        raise w.bad_request(w.PAGE_TOKEN_INVALID) from None
    created = parts.get("created_at", w.SESSIONS_FIRST_CREATED_AT)
    if "." not in created:
        created += ".000000"
    return created, sid


def session_token(sid: str, created_key: str) -> str:
    """The next-page token: RawStd base64 of `id=…/created_at=…` (wire notes §1)."""
    raw = f"id={sid}/created_at={created_key}".encode()
    return base64.b64encode(raw).rstrip(b"=").decode()


FIRST_SESSION_TOKEN = session_token(w.NIL_UUID, w.SESSIONS_FIRST_CREATED_AT)


async def list_sessions(request: Request) -> Response:
    """GET /admin/sessions: keyset by (created_at DESC, id ASC) (wire notes §1, §8)."""
    c = ctx(request)
    q = request.query_params
    size = w.SESSIONS_DEFAULT_PAGE_SIZE
    if q.get("page_size"):
        try:
            size = w.go_atoi(q["page_size"])
        except ValueError:
            raise w.bad_request(message="could not parse parameter page_size") from None
    if size <= 0:
        size = w.SESSIONS_DEFAULT_PAGE_SIZE
    size = min(size, w.SESSIONS_MAX_PAGE_SIZE)
    after_key, after_id = _decode_session_token(q.get("page_token") or FIRST_SESSION_TOKEN)
    active = _parse_active(request)
    expand = _parse_expand(request)
    now = c.now().timestamp()
    docs = c.store.list_sessions(limit=size + 1, after_key=after_key, after_id=after_id, active=active, now=now)
    next_token = None
    if len(docs) > size:
        last = docs[size - 1]
        next_token = session_token(last["id"], created_key(last["created_at"]))
    body = [
        _listed(render_session(c, d, identity="identity" in expand, devices="devices" in expand, now=now))
        for d in docs[:size]
    ]
    link = w.keyset_link(
        request.url.path, list(q.multi_items()), page_size=size, first_token=FIRST_SESSION_TOKEN, next_token=next_token
    )
    return w.json_response(body, headers={"link": link})


async def get_session(request: Request) -> Response:
    """GET /admin/sessions/{id} (wire notes §8)."""
    c = ctx(request)
    sid = w.uuid_or_400(request.path_params["id"])
    expand = _parse_expand(request)
    doc = c.store.session(sid)
    if doc is None:
        raise w.not_found()
    body = render_session(
        c, doc, identity="identity" in expand, devices="devices" in expand, now=c.now().timestamp(), devices_default=[]
    )
    return w.json_response(body)


async def disable_session(request: Request) -> Response:
    """DELETE /admin/sessions/{id}: idempotent 204 (wire notes §8)."""
    sid = w.uuid_or_400(request.path_params["id"])

    def off(doc: dict[str, Any]) -> None:
        doc["active"] = False

    if ctx(request).store.update_session(sid, off) is None:
        raise w.not_found()
    return Response(status_code=204)


async def extend_session(request: Request) -> Response:
    """PATCH /admin/sessions/{id}/extend: 200 with the session (OSS default) or 204 (wire notes §8)."""
    c = ctx(request)
    sid = w.uuid_or_400(request.path_params["id"])

    def extend(doc: dict[str, Any]) -> None:
        now = c.now()
        # earliest_possible_extend defaults to the lifespan, so the session is always extendable
        if parse_time(doc["expires_at"]) - timedelta(seconds=SESSION_LIFESPAN_SECONDS) < now:
            doc["expires_at"] = _iso(now + timedelta(seconds=SESSION_LIFESPAN_SECONDS))

    doc = c.store.update_session(sid, extend)
    if doc is None:
        raise w.not_found()
    if c.extend_returns_204:
        return Response(status_code=204)
    # session/handler.go (adminSessionExtend) writes the session read with ExpandDefault as a plain Session:
    # its devices are not loaded (`[]`) and the embedded identity has no metadata_admin (wire notes §8).
    body = render_session(c, doc, identity=True, devices=False, now=c.now().timestamp(), devices_default=[])
    if body["identity"] is not None:
        body["identity"].pop("metadata_admin", None)
    return w.json_response(body)


async def list_identity_sessions(request: Request) -> Response:
    """GET /admin/identities/{id}/sessions: offset paging, identity and devices expanded (wire notes §1, §8)."""
    c = ctx(request)
    ident = w.uuid_or_400(request.path_params["id"])
    active = _parse_active(request)
    page, size = parse_offset_paging(request)
    now = c.now().timestamp()
    # Kratos hands the 0-based page to pop's Paginate, which counts from 1 and reads page 0 as 1: pages 0 and 1
    # are both the first (persistence/sql/persister_session.go, ListSessionsByIdentity; wire notes §1).
    offset = max(page - 1, 0) * size
    docs, total = c.store.identity_sessions(ident, limit=size, offset=offset, active=active, now=now)
    body = [_listed(render_session(c, d, identity=True, devices=True, now=now)) for d in docs]
    for item in body:
        if item["identity"] is not None:
            item["identity"]["schema_url"] = ""  # this path never injects the schema URL (wire notes §8)
    link = w.offset_link(
        request.url.path, list(request.query_params.multi_items()), page=page, per_page=size, total=total
    )
    return w.json_response(body, headers={"link": link, "x-total-count": str(total)})


def parse_offset_paging(request: Request) -> tuple[int, int]:
    """(page, size) of the migration paginator: token mode if page_token/page_size present (wire notes §1)."""
    q = request.query_params
    keys = query_keys(request)

    def number(name: str, default: int) -> int:
        try:
            return w.go_atoi(q.get(name, ""))
        except ValueError:
            return default

    if {"page_token", "page_size"} & keys:
        size = number("page_size", w.OFFSET_DEFAULT_PAGE_SIZE)
        size = w.OFFSET_DEFAULT_PAGE_SIZE if size <= 0 else min(size, w.OFFSET_MAX_PAGE_SIZE)
        offset = w.parse_offset_token(q.get("page_token", ""))
        return offset // size, size
    size = number("per_page", w.OFFSET_DEFAULT_PAGE_SIZE)
    size = w.OFFSET_DEFAULT_PAGE_SIZE if size <= 0 else min(size, w.OFFSET_MAX_PAGE_SIZE)
    return max(number("page", 0), 0), size


async def delete_identity_sessions(request: Request) -> Response:
    """DELETE /admin/identities/{id}/sessions: 204, or 404 when nothing was deleted (wire notes §7)."""
    ident = w.uuid_or_400(request.path_params["id"])
    if ctx(request).store.delete_identity_sessions(ident) == 0:
        raise w.not_found()
    return Response(status_code=204)


def _manage_ids(field: str, values: Any) -> list[str] | None:
    if values is None or values == []:
        return None
    if not isinstance(values, list):
        raise w.bad_request(f"Could not parse '{field}' field: expected an array")
    if "*" in values:
        if field == "sessions" or len(values) > 1:
            raise w.bad_request(f"Could not parse '{field}' field: the wildcard '*' is not accepted here")
        return ["*"]
    if len(values) > w.MANAGE_MAX_IDS:
        raise w.bad_request(f"Could not parse '{field}' field: at most 500 IDs may be provided per call")
    out = []
    for value in values:
        try:
            out.append(w.parse_uuid(str(value)))
        except ValueError as exc:
            raise w.bad_request(
                f"Could not parse '{field}' field: could not parse \"{value}\" as UUID: {exc}"
            ) from None
    return out


async def manage_sessions(request: Request) -> Response:
    """POST /admin/sessions: disable or delete sessions in bulk (wire notes §8)."""
    raw = await request.body()
    try:
        body = w.loads_body(raw)
        if not isinstance(body, dict):
            raise ValueError("json: cannot unmarshal value into Go value of type session.manageSessionsBody")
    except (orjson.JSONDecodeError, ValueError) as exc:
        message = (
            "EOF"
            if not raw.strip()
            else str(exc).split(":")[0]
            if isinstance(exc, orjson.JSONDecodeError)
            else str(exc)
        )
        raise w.bad_request("Invalid JSON body.", message=message) from None
    action = body.get("action")
    if action not in ("disable", "delete"):
        raise w.bad_request("The 'action' field must be one of 'disable' or 'delete'.")
    identities = body.get("identities") or None
    sessions = body.get("sessions") or None
    if (identities is None) == (sessions is None):
        raise w.bad_request("Exactly one of 'identities' or 'sessions' must be a non-empty array.")
    store = ctx(request).store
    if identities is not None:
        ids = _manage_ids("identities", identities)
        if ids == ["*"]:
            processed = store.manage_sessions(action, limit=w.MANAGE_WILDCARD_CHUNK)
            return w.json_response({"processed": processed, "more": processed >= w.MANAGE_WILDCARD_CHUNK})
        processed = store.manage_sessions(action, identity_ids=ids)
    else:
        processed = store.manage_sessions(action, session_ids=_manage_ids("sessions", sessions))
    return w.json_response({"processed": processed, "more": False})
