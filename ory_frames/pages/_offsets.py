"""Offset paging, ``GET /admin/identities/{id}/sessions`` and ``GET /schemas``: tokens, the overlap, the repeat.

The token of these endpoints is base64url (no padding) of ``{"offset":"250","v":2}``; their Link
``next`` is untrustworthy (it even appears on empty results), so the next token is computed here from
the items read and a walk stops on an empty or short page (wire notes §1).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson

from ory_frames._errors import InvalidInputError, UnexpectedResponseError
from ory_frames._redact import mask_url
from ory_frames.pages._paginators import Paginator

__all__ = [
    "IdentitySessionPaginator",
    "OffsetPaginator",
    "SchemaPaginator",
    "decode_offset_token",
    "encode_offset_token",
]


def encode_offset_token(offset: int) -> str:
    """The page token of an offset endpoint: base64url, no padding, of ``{"offset":"<n>","v":2}``."""
    payload = orjson.dumps({"offset": str(offset), "v": 2})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_offset_token(token: str | None) -> int:
    """The offset in a token made by ``encode_offset_token``; None means offset 0."""
    if not token:
        return 0
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(payload["offset"])
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise InvalidInputError(f"page_token {token!r} is not an offset token of this endpoint") from exc
    if offset < 0:
        raise InvalidInputError(f"page_token {token!r} holds a negative offset")
    return offset


class OffsetPaginator(Paginator):
    """``GET /admin/identities/{id}/sessions`` and ``GET /schemas``: offset paging, up to 1000 a page.

    ``page_token``/``page_size`` select the token paginator, else ``page`` (0-based) and ``per_page``
    are used (wire notes §1). The offset is decoded once, from the starting token; each next token is
    computed from the items read, because these endpoints' Link ``next`` is untrustworthy: an empty or
    short page is the last. ``X-Total-Count`` is reported on every Page but not used to stop, as Ory's
    own advice is to stop on an empty page.
    """

    max_page_size = 1000

    def __init__(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> None:
        tokens = page_size is not None or page_token is not None
        if tokens:
            super().__init__(page_size=page_size, page_token=page_token)
            # A token that is not ours is refused before any request (Ory would silently restart at 0).
            self.offset = decode_offset_token(page_token)
        else:
            super().__init__(page_size=max(per_page, 1) if per_page is not None else None)
            self.offset = max(page or 0, 0) * self.page_size
        self._first = {"page_size": page_size, "page_token": page_token, "page": page, "per_page": per_page}

    def _next_token(self, response: httpx.Response, data: list[Any]) -> str | None:
        self.offset += len(data)
        if not data or len(data) < self.page_size:
            return None
        return encode_offset_token(self.offset)


class SchemaPaginator(OffsetPaginator):
    """``GET /schemas``: offset paging whose pages after the first are too long (wire notes §11).

    Kratos answers page ``p`` with up to ``(p + 1) * page_size`` schemas from ``p * page_size`` on (its
    ``Schemas.List`` in ``schema/schema.go``), so a page overlaps the next ones. The first ``page_size``
    items are this page; the rest are left out of it, and nothing beyond the overlap
    Kratos can send is accepted.
    """

    null_is_empty = True  # Kratos v1.3.1 answers past the last page with null (a nil Go slice)

    def update_state(self, response: httpx.Response, data: list[Any]) -> None:
        allowed = (self.offset // self.page_size + 1) * self.page_size
        if len(data) > allowed:
            where = f"{response.request.method} {mask_url(response.request.url)}"
            raise UnexpectedResponseError(f"{where}: {len(data)} items on a page of at most {allowed}")
        super().update_state(response, self.page_items(data))

    def page_items(self, data: list[Any]) -> list[Any]:
        """The first ``page_size`` items; the rest is the overlap, the next pages' schemas, read again there."""
        return data[: self.page_size]


class IdentitySessionPaginator(OffsetPaginator):
    """``GET /admin/identities/{id}/sessions``: offset paging whose second page repeats the first (wire notes §1).

    Kratos hands its 0-based page to pop's ``Paginate``, which counts from 1, so pages 0 and 1 are both the
    first page and page ``n >= 1`` holds the sessions from ``(n - 1) * page_size`` on. A walk over offsets
    0, ``page_size``, ``2 * page_size``... still reads every session, the first page twice: sessions that
    were on the page before are left out of a page, which changes nothing on a server that pages from 0.
    """

    _previous: frozenset[str] = frozenset()
    _repeated: frozenset[str] = frozenset()

    def update_state(self, response: httpx.Response, data: list[Any]) -> None:
        super().update_state(response, data)  # the next offset counts the page as sent
        self._repeated = self._previous
        self._previous = frozenset(str(item.get("id")) for item in data if isinstance(item, dict))

    def page_items(self, data: list[Any]) -> list[Any]:
        """The sessions that were not on the page before."""
        if not self._repeated:
            return data
        return [item for item in data if not (isinstance(item, dict) and str(item.get("id")) in self._repeated)]
