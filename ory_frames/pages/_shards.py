"""Identities read by several keyset cursors at once, each over its own slice of the UUID space, and how far they are.

Kratos lists identities in id order and its page token is the last id read (``WHERE id > token``,
wire notes §1). Identity ids are random v4 UUIDs, so N cursors that start at evenly spaced UUIDs,
each stopping where the next one starts (:class:`~ory_frames.pages._paginators.IdentityShardPaginator`),
read every identity exactly once, N pages at a time. The same order tells how far a walk is: the
last id a cursor handed out is its position in the UUID space (:func:`uuid_fraction`).

Sharding is tried only where it is safe, else one cursor reads everything and :attr:`PageStream.fallback`
says why (with one warning when the server is the reason):

- the ``ids``, ``credentials_identifier`` and ``preview_credentials_identifier_similar`` filters select
  a handful of identities named up front, which one page holds: there is nothing to split;
- the first page is read by one plain cursor; if it is the last, that was everything; if its token is
  not the plain UUID of its last identity (a server whose tokens are opaque), crafted tokens would
  mean nothing to it;
- the other cursors then send their first request, together; if the server refuses one (a 400, as
  Kratos answers "The page token is invalid, do not craft your own page tokens"), none of their pages
  is used and the first cursor carries on alone.

Every cursor sends through the same client, so they share its rate budget (``RateBudget`` is
thread-safe): N cursors never send faster than the budget allows one.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from ory_frames._errors import BadRequestError, InvalidInputError
from ory_frames.pages._fetch_ahead import DEFAULT_BUFFER_BYTES, Cursor, PageStream, Source
from ory_frames.pages._paginators import IdentityKeysetPaginator, Page, is_id_token, items_to_stop
from ory_frames.pages._walk import PageSource, Walk, identity_walk

__all__ = ["MAX_SHARDS", "SEQUENTIAL_FILTERS", "IdentityPages", "shard_cursors", "uuid_fraction"]

MAX_SHARDS = 64

# Filters that name the identities wanted (wire notes §2): their answer is a handful of rows, read by one cursor.
SEQUENTIAL_FILTERS: tuple[str, ...] = ("ids", "credentials_identifier", "preview_credentials_identifier_similar")

_SPACE = 1 << 128  # the UUID space; a cursor's range is (start, stop], as integers


def shard_cursors(shards: int) -> list[Cursor]:
    """``shards`` cursors over evenly spaced slices of the UUID space; the first starts at the beginning."""
    bounds = [str(uuid.UUID(int=_SPACE * k // shards)) for k in range(1, shards)]
    starts: list[str | None] = [None, *bounds]
    stops: list[str | None] = [*bounds, None]
    return [Cursor(token=start, start=start, stop=stop) for start, stop in zip(starts, stops, strict=True)]


def _as_int(value: str | None, default: int) -> int:
    return default if value is None else uuid.UUID(value).int


def uuid_fraction(cursors: Sequence[Cursor]) -> float | None:
    """The share of the UUID space the cursors have read, from 0 to 1; None if a position is not a UUID.

    A cursor covers its range ``(start, stop]`` from ``start`` up to its position (the last id it
    handed out), all of it once done. Identity ids are random v4 UUIDs, so this is also, within
    sampling noise, the share of the identities read (the share of a filtered set too).
    """
    covered = 0
    try:
        for cursor in cursors:
            low = _as_int(cursor.start, 0)
            end = cursor.stop if cursor.done else cursor.position
            high = _SPACE if cursor.done and cursor.stop is None else _as_int(end, low)
            covered += max(high - low, 0)
    except ValueError:
        return None
    return min(covered / _SPACE, 1.0)


class IdentityPages(PageStream):
    """The pages of ``GET /admin/identities`` read by ``shards`` cursors (or the ``cursors`` of an earlier run).

    ``filters`` are the query filters by parameter name (:func:`ory_frames._read.identity_filters`).
    Pages of different cursors interleave; each cursor's pages come in id order.
    """

    def __init__(
        self,
        client: PageSource,
        filters: Mapping[str, Any],
        *,
        page_size: int | None,
        shards: int = 1,
        cursors: Sequence[Cursor] | None = None,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    ) -> None:
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise InvalidInputError(f"shards must be a whole number from 1 to {MAX_SHARDS}, got {shards!r}")
        self._client = client
        self._filters = dict(filters)
        self._page_size = page_size
        IdentityKeysetPaginator.walk_size(page_size)  # a bad page_size is refused now, before any request
        super().__init__(cursors or [Cursor()], self._open_cursor, buffer_bytes=buffer_bytes)
        self._shards = 1 if cursors else shards
        named = [name for name in SEQUENTIAL_FILTERS if self._filters.get(name)]
        if self._shards > 1 and named:
            self.fallback = f"the {named[0]} filter names the identities to read; one cursor reads them"
            self._shards = 1

    def fraction_done(self) -> float | None:
        """The share of the UUID space handed out so far (:func:`uuid_fraction`)."""
        return uuid_fraction(self.cursors)

    def _open_cursor(self, cursor: Cursor) -> Walk:
        """The walk of one cursor from where it stands: a plain walk for the whole space, else a shard."""
        if cursor.start is None and cursor.stop is None:
            return identity_walk(self._client, self._filters, page_size=self._page_size, page_token=cursor.token)
        start = cursor.token if cursor.token is not None else cursor.start
        return identity_walk(self._client, self._filters, page_size=self._page_size, start=start, stop=cursor.stop)

    def _begin(self) -> tuple[list[tuple[int, Page]], dict[int, Source]]:
        if self._shards == 1:
            return super()._begin()
        probe = self._open_cursor(self.cursors[0])
        page = probe.first_page()  # read here: nothing is sent ahead before the plan is made
        if page.next_token is None:  # one page held everything
            return [(0, page)], {}
        ids = [item["id"].lower() for item in page.items]
        if not is_id_token(page.next_token, page.items[-1]) or ids != sorted(set(ids)):
            self._give_up("its page tokens are not the plain UUIDs of the last identity of a page")
            return [(0, page)], {0: probe}
        planned = shard_cursors(self._shards)
        started = self._start_shards(planned[1:])
        if started is None:
            self._give_up("it refused a page token that ory_frames made")
            return [(0, page)], {0: probe}
        first = planned[0]
        kept, reached = items_to_stop(page.items, first.stop.lower()) if first.stop is not None else (len(page), False)
        head = [(0, replace(page, items=page.items[:kept], next_token=None if reached else page.next_token))]
        walks: dict[int, Source] = {}
        if not reached:
            walks[0] = self._open_cursor(Cursor(token=page.next_token, start=None, stop=first.stop))
        for index, (shard_page, walk) in enumerate(started, start=1):
            head.append((index, shard_page))
            if shard_page.next_token is not None:
                walks[index] = walk
        self.cursors = planned
        return head, walks

    def _start_shards(self, cursors: Sequence[Cursor]) -> list[tuple[Page, Walk]] | None:
        """The walks of ``cursors``, each with its first page read (all at once); None if the server refused one.

        A refusal (400) is known before any page of these cursors is used; another error is raised.
        """
        walks = [self._open_cursor(cursor) for cursor in cursors]
        with ThreadPoolExecutor(max_workers=len(walks), thread_name_prefix="ory_frames-shard") as pool:
            futures = [pool.submit(walk.first_page) for walk in walks]
            errors = [future.exception() for future in futures]
        refused = any(isinstance(error, BadRequestError) for error in errors)
        others = [error for error in errors if error is not None and not isinstance(error, BadRequestError)]
        if others:
            raise others[0]
        if refused:
            return None
        return [(future.result(), walk) for future, walk in zip(futures, walks, strict=True)]

    def _give_up(self, why: str) -> None:
        """Read with one cursor from here on, and say why, once: in :attr:`fallback` and as a warning."""
        self.fallback = f"the server cannot be read by several cursors: {why}; one cursor reads everything"
        warnings.warn(self.fallback, UserWarning, stacklevel=2)
