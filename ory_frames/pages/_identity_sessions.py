"""Offset paging of one identity's sessions, whose pages Kratos counts from 1 (wire notes §1)."""

from __future__ import annotations

from typing import Any

import httpx

from ory_frames.pages._paginators import OffsetPaginator

__all__ = ["IdentitySessionPaginator"]


class IdentitySessionPaginator(OffsetPaginator):
    """``GET /admin/identities/{id}/sessions``: offset paging whose second page repeats the first (wire notes §1).

    Kratos hands its 0-based page to pop's ``Paginate``, which counts from 1, so pages 0 and 1 are both the
    first page and page ``n >= 1`` holds the sessions from ``(n - 1) * page_size`` on. A walk over offsets
    0, ``page_size``, ``2 * page_size``... still reads every session, the first page twice: sessions that
    were on the page before are dropped from a page, which changes nothing on a server that pages from 0.
    """

    _previous: frozenset[str] = frozenset()

    def update_state(self, response: httpx.Response, data: list[Any]) -> None:
        super().update_state(response, data)  # the next offset counts the page as sent
        ids = frozenset(str(item.get("id")) for item in data if isinstance(item, dict))
        data[:] = [item for item in data if not (isinstance(item, dict) and str(item.get("id")) in self._previous)]
        self._previous = ids
