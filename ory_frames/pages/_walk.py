"""The one paging loop (:class:`Walk`) and the ``iter_*`` walks over every page of a list call.

A walk drives one fresh paginator, as dlt's ``rest_client`` does: send a request, let the paginator
read the answer (``update_state``) and keep its page's items (``page_items``), then shape the next
request (``update_request``). The paging rules themselves (tokens, sizes, the Link rule, when to stop)
are the paginators' own (wire notes §1). The loop is cut in two halves, so that sending and reading can
run in different threads: :meth:`Walk.answers` sends, and sends the next request as soon as an answer's
headers name it (``peek_next``: a keyset Link) without waiting for its body to be read;
:meth:`Walk.decode` reads an answer where its page is used. With ``prefetch`` the sending half runs in
the one fetch-ahead of :mod:`ory_frames.pages` (``_fetch_ahead``), one page ahead of the caller.
Walks need of a client only :meth:`PageSource.send_page`.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ory_frames._errors import UnexpectedResponseError
from ory_frames._types import DEFAULT_SESSION_EXPAND, Consistency, CredentialType, SessionExpand
from ory_frames.pages._decode import page_data, page_of
from ory_frames.pages._fetch_ahead import FetchAhead
from ory_frames.pages._offsets import IdentitySessionPaginator, SchemaPaginator
from ory_frames.pages._paginators import (
    IdentityKeysetPaginator,
    IdentityShardPaginator,
    Page,
    PageRequest,
    Paginator,
    SessionKeysetPaginator,
)

__all__ = [
    "Page",
    "PageSource",
    "Walk",
    "identity_walk",
    "iter_identities",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_sessions",
    "session_walk",
]


class PageSource(Protocol):
    """What a walk needs of a client (:class:`ory_frames.Client` is one): one list request sent, its body read."""

    def send_page(self, request: PageRequest) -> httpx.Response:
        """GET ``request`` as it stands and return the answer (a failure is raised as its ApiError)."""
        ...


@dataclass(frozen=True)
class Answer:
    """One answer of a walk, not read yet: where the sending half went next (``ahead``) and in which round."""

    response: httpx.Response
    ahead: str | None
    round: int

    @property
    def nbytes(self) -> int:
        """The size of the answer's body (what fetch-ahead buffers are bounded by)."""
        return len(self.response.content)


_END = PageRequest("")  # what follows the last page: nothing


class Walk:
    """Every page ``paginator`` leads to from ``request``: the one paging loop, in two halves.

    ``answers()`` sends the requests and yields each answer unread; when its headers name the next page
    (``peek_next``), the next request goes out at once, else the sending half waits until ``decode`` has
    read the answer. ``decode(answer)`` reads one answer, in order, and returns its Page (None for an
    answer sent ahead for a page that the answer before did not lead to: it is dropped, and the sending
    half starts again from the right request). A token seen before means the server is going round in
    circles: UnexpectedResponseError. Iterating a Walk runs both halves in turn, in the caller's thread.
    ``request`` is sent as it stands: :meth:`start` puts the paginator's first parameters on it.
    """

    @classmethod
    def start(cls, client: PageSource, request: PageRequest, paginator: Paginator) -> Walk:
        """The walk of every page from the first one ``paginator`` asks for."""
        paginator.init_request(request)
        return cls(client, request, paginator)

    def __init__(self, client: PageSource, request: PageRequest, paginator: Paginator) -> None:
        self._client = client
        self._request = request
        self._paginator = paginator
        start = request.params.get("page_token")
        self._seen: set[str] = {start} if start else set()
        self._cond = threading.Condition()
        self._round = 0
        self._follow: PageRequest | None = None  # set by decode: where the sending half goes next
        self._stopped = False

    def __iter__(self) -> Iterator[Page]:
        answers = self.answers()
        try:
            for answer in answers:
                page = self.decode(answer)
                if page is not None:
                    yield page
        finally:
            self.stop()
            answers.close()

    def first_page(self) -> Page:
        """Send the next request and read its page, in the caller's thread; ``answers()`` carries on after it."""
        response = self._client.send_page(self._request)
        page = self.decode(Answer(response, None, self._round))
        assert page is not None  # an answer of the current round is always read
        with self._cond:
            self._follow = None  # read here: the sending half, if run, starts from the page after it
        return page

    def answers(self) -> Generator[Answer, None, None]:
        """The sending half: each answer as it arrives, the next request sent as early as its headers allow."""
        request = _copy(self._request)
        sent = set(self._seen)
        round_ = self._round
        while True:
            response = self._client.send_page(request)
            ahead = self._paginator.peek_next(response)
            if ahead in sent:
                ahead = None  # a token seen before: decode judges it
            yield Answer(response, ahead, round_)
            with self._cond:
                if ahead is None:
                    while self._follow is None and not self._stopped:
                        self._cond.wait()
                if self._stopped:
                    return
                if self._follow is not None:  # decode has said where to go: it wins over the guess
                    request, round_, self._follow = self._follow, self._round, None
                    if request is _END:
                        return
                    continue
            assert ahead is not None
            sent.add(ahead)
            request = self._paginator.request_for(self._request, ahead)

    def decode(self, answer: Answer) -> Page | None:
        """The reading half: the paginator reads ``answer`` (in order) and the Page is made; None if dropped."""
        if answer.round != self._round:
            return None  # sent ahead for a page the answer before did not lead to
        response, paginator = answer.response, self._paginator
        data = page_data(response, paginator)
        paginator.update_state(response, data)
        page = page_of(response, paginator, paginator.page_items(data))
        token = paginator.next_token
        if token is not None:
            if token in self._seen:
                raise UnexpectedResponseError(f"the server returned page token {token!r} twice")
            self._seen.add(token)
            paginator.update_request(self._request)
        if answer.ahead is None or token != answer.ahead:
            with self._cond:
                if answer.ahead is not None:
                    self._round += 1  # what was sent after the guess is dropped
                self._follow = _copy(self._request) if token is not None else _END
                self._cond.notify_all()
        return page

    def stop(self) -> None:
        """Make the sending half end at its next step (it may be waiting for ``decode``)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


def _copy(request: PageRequest) -> PageRequest:
    """A request to send from another thread, which later changes to ``request`` do not reach."""
    return PageRequest(request.path, dict(request.params), dict(request.path_params))


def _start(walk: Walk, prefetch: bool) -> Iterator[Page]:
    """The pages of ``walk`` (arguments checked already); with ``prefetch``, fetched one page ahead."""
    return _pages(FetchAhead([walk], max_pages=1)) if prefetch else iter(walk)


def _pages(fetch: FetchAhead) -> Iterator[Page]:
    """The pages of a fetch-ahead's one walk, started on the first ``next()``."""
    fetch.start()
    for _, page in fetch.pages():
        yield page


def iter_identities(
    client: PageSource,
    *,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    consistency: Consistency | None = None,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/identities`` (keyset, by identity id), the next one prefetched.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    ids, credentials_identifier, preview_credentials_identifier_similar, organization_id
        The list filters; at most one of them (Ory refuses combinations, wire notes §2).
    include_credential
        Credential types whose ``config`` each identity should carry, e.g. ``["password"]``.
    consistency
        ``"strong"`` or ``"eventual"`` (Ory Network only).
    page_size
        Identities per request; None means Ory's maximum, 500. Larger values are clamped to it.
    page_token
        A :attr:`Page.next_token` to resume from.
    prefetch
        Fetch the next page in a background thread while the caller works on the current one.

    Returns
    -------
    Iterator[Page]
        One Page per request; the last one has ``next_token`` None.

    Raises
    ------
    InvalidInputError
        ``page_size`` is not positive (raised by this call, before any request).

    Examples
    --------
    >>> from ory_frames import Client, iter_identities, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     [len(page) for page in iter_identities(client, page_size=2)]
    [2, 2, 1]
    """
    filters = {
        "ids": _listed(ids),
        "credentials_identifier": credentials_identifier,
        "preview_credentials_identifier_similar": preview_credentials_identifier_similar,
        "organization_id": organization_id,
        "include_credential": _listed(include_credential),
        "consistency": consistency,
    }
    return _start(identity_walk(client, filters, page_size=page_size, page_token=page_token), prefetch)


def identity_walk(
    client: PageSource,
    filters: Mapping[str, Any],
    *,
    page_size: int | None,
    page_token: str | None = None,
    start: str | None = None,
    stop: str | None = None,
) -> Walk:
    """The walk of ``GET /admin/identities``: all of it from ``page_token``, or a shard, the ids in ``(start, stop]``.

    ``filters`` are the query parameters of :func:`iter_identities` by name; the range rule is
    :class:`~ory_frames.pages._paginators.IdentityShardPaginator`'s. ``page_size`` is checked at once.
    """
    request = PageRequest("/admin/identities", dict(filters))
    if start is None and stop is None:
        return Walk.start(client, request, IdentityKeysetPaginator.for_walk(page_size, page_token))
    return Walk.start(client, request, IdentityShardPaginator(page_size=page_size, start=start, stop=stop))


def iter_sessions(
    client: PageSource,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    page_size: int | None = None,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/sessions`` (keyset, newest first), the next one prefetched.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    active
        True: only active, unexpired sessions; False: only inactive or expired ones (wire notes §8).
    expand
        ``"identity"`` and/or ``"devices"``; by default both, as in :func:`ory_frames.read_sessions`,
        because a listed session otherwise has ``"identity": null``. None or ``()`` expands nothing.
    page_size
        Sessions per request; None means Ory's maximum, 1000. Larger values are clamped to it.
    page_token, prefetch
        As in :func:`iter_identities`.

    Returns
    -------
    Iterator[Page]
        One Page per request; the last one has ``next_token`` None.
    """
    expands = [expand] if isinstance(expand, str) else list(expand or ())
    return _start(
        session_walk(client, active=active, expand=expands, page_size=page_size, page_token=page_token), prefetch
    )


def session_walk(
    client: PageSource,
    *,
    active: bool | None,
    expand: Sequence[SessionExpand],
    page_size: int | None,
    page_token: str | None = None,
) -> Walk:
    """The walk of ``GET /admin/sessions`` from ``page_token``; ``expand`` a list (empty: none); sizes checked now."""
    request = PageRequest("/admin/sessions", {"active": active, "expand": list(expand) or None})
    return Walk.start(client, request, SessionKeysetPaginator.for_walk(page_size, page_token))


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
    return _start(Walk.start(client, request, IdentitySessionPaginator.for_walk(page_size, page_token)), prefetch)


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
    return _start(
        Walk.start(client, PageRequest("/schemas"), SchemaPaginator.for_walk(page_size, page_token)), prefetch
    )


def _listed(values: Sequence[str] | None) -> list[str] | None:
    """A filter's values as a list, read once (the same list is sent with every page)."""
    return None if values is None else list(values)
