"""A list answer's body decoded: its JSON array, then the Page its paginator makes of it, with its headers.

A body that is not a JSON array of objects with a string ``id`` is an
:class:`~ory_frames.UnexpectedResponseError` (wire notes §§3, 8, 11).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from ory_frames._errors import UnexpectedResponseError
from ory_frames._redact import mask_url
from ory_frames.pages._paginators import Page, Paginator

__all__ = ["page_data", "page_of", "ratelimit_headers"]


def _json_body(response: httpx.Response) -> Any:
    """The parsed body of a list answer; bad JSON is an UnexpectedResponseError."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(
            f"{where}: {response.status_code} answer is not valid JSON ({len(response.content)} bytes): {exc}"
        ) from exc


def page_data(response: httpx.Response, paginator: Paginator) -> list[Any]:
    """The JSON array of a list answer, before the paginator reads it (``null`` where it stands for ``[]``)."""
    items = _json_body(response)
    if items is None and paginator.null_is_empty:
        # Go encodes an empty nil slice as null: Kratos v1.3.1 answers `GET /schemas` past the last page
        # so (schema/handler.go `getAll`); master sends []. Either is an empty page there.
        items = []
    if not isinstance(items, list):
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(f"{where}: expected a JSON array of objects")
    return items


def page_of(response: httpx.Response, paginator: Paginator, items: list[Any]) -> Page:
    """The Page of ``items``, the answer's page once its paginator has read it (``update_state``).

    Every identity, session and schema Ory lists is an object with a string id, and an identity's
    traits are an object (wire notes §§3, 8, 11). A row without them cannot be matched back to Ory later
    (write-back would take it for a new identity), so the page is refused rather than read.
    """
    malformed = _first_malformed(items)
    if malformed is not None:
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(f"{where}: item {malformed[0]} {malformed[1]}")
    total = response.headers.get("x-total-count")
    return Page(
        items=items,
        next_token=paginator.next_token,
        page_size=paginator.page_size,
        request_id=response.headers.get("x-request-id"),
        total_count=int(total) if total and total.strip().isdigit() else None,
        ratelimit=ratelimit_headers(response.headers),
        nbytes=len(response.content),
    )


def ratelimit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers, keys lower-cased (wire notes §14)."""
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}


def _first_malformed(items: list[Any]) -> tuple[int, str] | None:
    """The index of the first item that is not an object with a string ``id`` and object ``traits``, and why."""
    for index, item in enumerate(items):
        if type(item) is not dict:
            return index, f"is a JSON {type(item).__name__}, not an object"
        if type(item.get("id")) is not str:
            return index, "has no string 'id'"
        traits = item.get("traits")
        if traits is not None and type(traits) is not dict:
            return index, f"has 'traits' of JSON type {type(traits).__name__}, not an object"
    return None
