"""The ``iter_*`` walks: every page of a list call, one paginator per walk, the next page prefetched in a thread.

One loop, :func:`_walk`, drives a fresh paginator per walk as dlt's ``rest_client`` does: send a
request, decode the answer (the paginator reads it with ``update_state``), let the paginator shape the
next request (``update_request``). With ``prefetch``, the next request goes out in the background as
soon as the answer's headers name it (``peek_next``: a keyset Link), before the body is decoded, so
that decoding and the caller's work overlap the wait. The paging rules themselves (tokens, sizes, the
Link rule, when to stop) are the paginators' own (:mod:`ory_frames.pages._paginators`, wire notes §1).
Walks need of a client only :meth:`PageSource.send_page`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ory_frames._errors import UnexpectedResponseError
from ory_frames._query import IdentityFilters, SessionFilters, identity_filters, session_filters
from ory_frames.pages._decode import decode_page
from ory_frames.pages._identity_sessions import IdentitySessionPaginator
from ory_frames.pages._paginators import (
    IdentityKeysetPaginator,
    IdentityShardPaginator,
    Page,
    PageRequest,
    Paginator,
    SchemaPaginator,
    SessionKeysetPaginator,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "Page",
    "PageSource",
    "iter_identities",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_identity_shard",
    "iter_sessions",
]


class PageSource(Protocol):
    """What a walk needs of a client (:class:`ory_frames.Client` is one): one list request sent, its body read."""

    def send_page(self, request: PageRequest) -> httpx.Response:
        """GET ``request`` as it stands and return the answer (a failure is raised as its ApiError)."""
        ...


def _walk(client: PageSource, request: PageRequest, paginator: Paginator, prefetch: bool) -> Iterator[Page]:
    """Every page ``paginator`` leads to from ``request``; with ``prefetch``, page n+1 is on its way while n is used.

    The request of page n+1 goes out as soon as the headers of page n name it (``peek_next``), while page
    n is decoded and then used; if decoding page n leads elsewhere (an empty page, the end of a shard),
    that answer is dropped. Where only the decoded page tells the next one (offset paging), it goes out
    once page n is decoded, while the caller uses it. At most one request is in flight ahead of the
    caller; closing the iterator waits for it and shuts the worker down. A token seen before means the
    server is going round in circles: UnexpectedResponseError.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ory_frames-prefetch") if prefetch else None
    start = request.params.get("page_token")
    seen: set[str] = {start} if start else set()
    pending: Future[httpx.Response] | None = None
    try:
        response = client.send_page(request)
        while True:
            ahead = paginator.peek_next(response) if executor is not None else None
            if executor is not None and ahead is not None and ahead not in seen:
                pending = executor.submit(client.send_page, paginator.request_for(request, ahead))
            page = decode_page(response, paginator)
            token = paginator.next_token
            if token is not None:
                if token in seen:
                    raise UnexpectedResponseError(f"the server returned page token {token!r} twice")
                seen.add(token)
                paginator.update_request(request)
            if pending is not None and token != ahead:
                pending.cancel()  # sent for a page this one does not lead to: its answer is not used
                pending = None
            if executor is not None and pending is None and token is not None:
                pending = executor.submit(client.send_page, request)  # known only now (offset paging)
            yield page
            if token is None:
                return
            if pending is not None:
                response, pending = pending.result(), None
            else:
                response = client.send_page(request)
    finally:
        if pending is not None:
            pending.cancel()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _start(client: PageSource, request: PageRequest, paginator: Paginator, prefetch: bool) -> Iterator[Page]:
    """Put the first page's parameters on ``request`` and walk from there (arguments checked already)."""
    paginator.init_request(request)
    return _walk(client, request, paginator, prefetch)


def iter_identities(
    client: PageSource,
    *,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
    **filters: Unpack[IdentityFilters],
) -> Iterator[Page]:
    """Every page of ``GET /admin/identities`` (keyset, by identity id), the next one prefetched.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    page_size
        Identities per request; None means Ory's maximum, 500. Larger values are clamped to it.
    page_token
        A :attr:`Page.next_token` to resume from.
    prefetch
        Fetch the next page in a background thread while the caller works on the current one.
    **filters
        The filters of :class:`~ory_frames.IdentityFilters` (``ids``, ``credentials_identifier``, ...).

    Returns
    -------
    Iterator[Page]
        One Page per request; the last one has ``next_token`` None.

    Raises
    ------
    InvalidInputError
        ``page_size`` is not positive (raised by this call, before any request).
    TypeError
        A keyword that is no filter of :class:`~ory_frames.IdentityFilters`.

    Examples
    --------
    >>> from ory_frames import Client, iter_identities, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     [len(page) for page in iter_identities(client, page_size=2)]
    [2, 2, 1]
    """
    query = identity_filters("iter_identities", filters)
    paginator = IdentityKeysetPaginator.for_walk(page_size, page_token)
    return _start(client, PageRequest("/admin/identities", query), paginator, prefetch)


def iter_identity_shard(
    client: PageSource,
    filters: Mapping[str, Any],
    *,
    page_size: int | None,
    start: str | None,
    stop: str | None,
    prefetch: bool = False,
) -> Iterator[Page]:
    """The pages of one shard of ``GET /admin/identities``: the ids after ``start`` up to ``stop`` (None: the end).

    ``filters`` are the query parameters of :func:`iter_identities` by name; the range rule is
    :class:`~ory_frames.pages._paginators.IdentityShardPaginator`'s. ``page_size`` is checked at once.
    """
    paginator = IdentityShardPaginator(page_size=page_size, start=start, stop=stop)
    return _start(client, PageRequest("/admin/identities", dict(filters)), paginator, prefetch)


def iter_sessions(
    client: PageSource,
    *,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
    **filters: Unpack[SessionFilters],
) -> Iterator[Page]:
    """Every page of ``GET /admin/sessions`` (keyset, newest first), the next one prefetched.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    page_size
        Sessions per request; None means Ory's maximum, 1000. Larger values are clamped to it.
    page_token, prefetch
        As in :func:`iter_identities`.
    **filters
        The filters of :class:`~ory_frames.SessionFilters`: ``active``, and ``expand`` (by default
        ``("identity", "devices")``).

    Returns
    -------
    Iterator[Page]
        One Page per request; the last one has ``next_token`` None.
    """
    request = PageRequest("/admin/sessions", session_filters("iter_sessions", filters))
    return _start(client, request, SessionKeysetPaginator.for_walk(page_size, page_token), prefetch)


def iter_identity_sessions(
    client: PageSource,
    identity_id: str,
    *,
    active: bool | None = None,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/identities/{id}/sessions`` (offset), stopping on an empty or short page.

    Sessions come newest first with identity and devices expanded. ``page_size`` None means Ory's
    maximum, 1000; ``active``, ``page_token`` and ``prefetch`` are as in :func:`iter_sessions`. A
    ``page_token`` that is not this endpoint's offset token is an InvalidInputError, raised at once.
    """
    request = PageRequest("/admin/identities/{id}/sessions", {"active": active}, {"id": identity_id})
    return _start(client, request, IdentitySessionPaginator.for_walk(page_size, page_token), prefetch)


def iter_identity_schemas(
    client: PageSource,
    *,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /schemas`` (offset), ``{"id", "schema"}`` objects, stopping on an empty or short page.

    ``page_size`` None means Ory's maximum, 1000; the rest is as in :func:`iter_identity_sessions`.
    """
    return _start(client, PageRequest("/schemas"), SchemaPaginator.for_walk(page_size, page_token), prefetch)
