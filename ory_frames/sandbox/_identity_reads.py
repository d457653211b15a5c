"""Identity reads: list with its filters and both paging modes, get by id and by external id (wire notes §1-§3, §12)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import _wire as w
from ._context import Context, ctx, query_keys
from ._identity_doc import CREDENTIAL_TYPES, render_identity


def _declassify(request: Request, *, list_style: bool) -> list[str]:
    """Parse `include_credential`, with Kratos' two error wordings (wire notes §2, §12)."""
    parsed: list[str] = []
    for value in request.query_params.getlist("include_credential"):
        if value not in CREDENTIAL_TYPES:
            shown = value if list_style else "[" + " ".join(parsed) + "]"
            raise w.bad_request(f"Invalid value `{shown}` for parameter `include_credential`.")
        parsed.append(value)
    return parsed


def _identity_bytes(c: Context, identity_id: str, declassify: list[str]) -> bytes | None:
    if not declassify:
        return c.store.identity_view(identity_id, "creds")
    doc = c.store.identity_doc(identity_id)
    if doc is None:
        return None
    url = c.store.schema_url(doc["schema_id"])
    return orjson.dumps(render_identity(doc, url, credentials=True, declassify=declassify))


def _page_join(blobs: list[bytes]) -> bytes:
    return b"[" + b",".join(blobs) + b"]"


def _list_filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    filters: dict[str, Any] = {}
    ids = q.getlist("ids")
    if ids:
        if len(ids) > w.MAX_IDS_FILTER:
            raise w.bad_request("The number of ids to filter must not exceed 500.")
        parsed = []
        for value in ids:
            try:
                parsed.append(w.parse_uuid(value))
            except ValueError:
                raise w.bad_request(f"Invalid UUID value `{value}` for parameter `ids`.") from None
        filters["ids"] = sorted(set(parsed))
    if q.get("credentials_identifier"):
        filters["identifier"] = q["credentials_identifier"]
    if q.get("preview_credentials_identifier_similar"):
        filters["identifier_prefix"] = q["preview_credentials_identifier_similar"]
    if q.get("organization_id"):
        try:
            filters["organization_id"] = w.parse_uuid(q["organization_id"])
        except ValueError:
            raise w.bad_request(
                f"Invalid UUID value `{q['organization_id']}` for parameter `organization_id`."
            ) from None
    if len(filters) > 1:
        raise w.bad_request("You cannot combine multiple filters in this API")
    return filters


async def list_identities(request: Request) -> Response:
    """GET /admin/identities: keyset or legacy paging with one filter (wire notes §1, §2)."""
    c = ctx(request)
    q = request.query_params
    keys = query_keys(request)
    query = list(q.multi_items())
    filters = _list_filters(request)
    declassify = _declassify(request, list_style=True)
    view: Any = "full" if declassify else ("creds" if {"identifier", "identifier_prefix"} & filters.keys() else "list")

    def render(rows: list[tuple[str, bytes]]) -> list[bytes]:
        if view != "full":
            return [blob for _, blob in rows]
        out = []
        for _, blob in rows:
            doc = orjson.loads(blob)
            url = c.store.schema_url(doc["schema_id"])
            out.append(orjson.dumps(render_identity(doc, url, credentials=True, declassify=declassify)))
        return out

    if "page" in keys and not {"page_token", "page_size"} & keys:
        return _legacy_page(request, c, query, filters, view, render)
    if "per_page" in keys and not {"page_token", "page_size"} & keys:
        # per_page alone is renamed to page_size; links carry page_size (wire notes §1, mode rule 3)
        query = [("page_size", v) if k == "per_page" else (k, v) for k, v in query]
    raw_size = next((v for k, v in query if k == "page_size"), "")
    size = w.IDENTITIES_DEFAULT_PAGE_SIZE
    if raw_size:
        try:
            size = w.go_atoi(raw_size)
        except ValueError as exc:
            raise w.bad_request(str(exc)) from None
    if size <= 0:
        size = w.IDENTITIES_DEFAULT_PAGE_SIZE
    size = min(size, w.IDENTITIES_MAX_PAGE_SIZE)
    token = q.get("page_token") or w.NIL_UUID
    try:
        after = w.parse_uuid(token)
    except ValueError:
        raise w.bad_request(w.PAGE_TOKEN_INVALID) from None
    rows = c.store.list_identities(view=view, limit=size + 1, after=after, **filters)
    next_token = rows[size - 1][0] if len(rows) > size else None
    rows = rows[:size]
    link = w.keyset_link(request.url.path, query, page_size=size, first_token=w.NIL_UUID, next_token=next_token)
    return w.json_response(None, raw=_page_join(render(rows)), headers={"link": link})


def _legacy_page(
    request: Request, c: Context, query: list[tuple[str, str]], filters: dict[str, Any], view: Any, render: Any
) -> Response:
    q = request.query_params
    try:
        page = max(w.go_atoi(q.get("page", "")), 0)
    except ValueError:
        page = 0
    try:
        per_page = w.go_atoi(q.get("per_page", "")) if q.get("per_page") else w.IDENTITIES_DEFAULT_PAGE_SIZE
    except ValueError:
        per_page = w.IDENTITIES_DEFAULT_PAGE_SIZE
    per_page = min(max(per_page, 1), w.IDENTITIES_MAX_PAGE_SIZE)
    if page * per_page > w.LEGACY_MAX_ITEMS:
        raise w.bad_request(
            "Legacy pagination is not supported for enumerating over 1000 items. "
            "Please switch to using page_token and page_size."
        )
    rows = c.store.list_identities(view=view, limit=per_page, offset=page * per_page, **filters)
    # X-Total-Count ignores filters except credentials_identifier (wire notes §1, legacy mode)
    total = len(rows) if "identifier" in filters else c.store.count_identities()
    link = w.offset_link(
        request.url.path, query, page=page, per_page=per_page, total=total, params=("page", "per_page")
    )
    return w.json_response(None, raw=_page_join(render(rows)), headers={"link": link, "x-total-count": str(total)})


def path_identity_id(request: Request) -> str:
    """A path id; a non-UUID becomes the nil UUID and so a 404 later, as x.ParseUUID does (wire notes §7)."""
    try:
        return w.parse_uuid(request.path_params["id"])
    except ValueError:
        return w.NIL_UUID


async def get_identity(request: Request) -> Response:
    """GET /admin/identities/{id} (wire notes §3)."""
    c = ctx(request)
    ident = path_identity_id(request)
    if c.store.identity_view(ident, "list") is None:  # identity/handler.go (get): the lookup, then the parameters
        raise w.not_found()
    blob = _identity_bytes(c, ident, _declassify(request, list_style=False))
    if blob is None:
        raise w.not_found()
    return w.json_response(None, raw=blob)


async def get_identity_by_external_id(request: Request) -> Response:
    """GET /admin/identities/by/external/{externalID} (wire notes §12)."""
    c = ctx(request)
    ident = c.store.id_by_external_id(request.path_params["external_id"])
    if ident is None:  # identity/handler.go (getByExternalID): the lookup, then the parameters
        raise w.not_found()
    blob = _identity_bytes(c, ident, _declassify(request, list_style=False))
    if blob is None:
        raise w.not_found()
    return w.json_response(None, raw=blob)
