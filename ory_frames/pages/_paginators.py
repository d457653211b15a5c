"""Page and the keyset paginators: they alone know tokens, page-size limits and the Link rule.

A paginator shapes the paging parameters of a list request and reads one answer, nothing else
(as dlt's ``rest_client`` paginators do): ``init_request`` puts the first page's parameters on a
:class:`PageRequest`, ``update_state(response, data)`` reads an answer, ``update_request`` shapes the
request for the next page. The wire shapes it reads (wire notes §1):

- identity keyset, ``GET /admin/identities``: ``Link: </admin/identities?page_size=250&page_token=8f1c…>;
  rel="next"``; only the ``page_token`` of ``rel="next"`` is read, no ``next`` means the last page.
  Without ``page_size``/``page_token`` but with ``page``, Kratos pages the legacy way (no token).
  A shard of that walk (:class:`IdentityShardPaginator`) starts after a given id and stops at another:
  the token is the last id read and rows come in id order, so ``(start, stop]`` ranges cover the ids once.
- session keyset, ``GET /admin/sessions``: the same Link rule, an opaque token, up to 1000 a page.
- offset with ``X-Total-Count``, ``GET /admin/identities/{id}/sessions`` and ``GET /schemas``: ``_offsets``.
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from ory_frames._errors import InvalidInputError, UnexpectedResponseError
from ory_frames._redact import mask_url

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "IdentityKeysetPaginator",
    "IdentityShardPaginator",
    "Page",
    "PageRequest",
    "Paginator",
    "SessionKeysetPaginator",
    "is_id_token",
    "items_to_stop",
    "next_token_from_link",
    "parse_link_header",
    "walk_page_size",
]

# What Ory applies when no (or a non-positive) page size is asked for, on every list endpoint (wire notes §1).
DEFAULT_PAGE_SIZE = 250

_LINK_PART = re.compile(
    r"""\s*<(?P<url>[^<>]*)>\s*(?P<params>(?:;\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*(?:=\s*(?:"[^"]*"|[^;,"\s]*))?\s*)*)(?:,|$)"""
)
_LINK_PARAM = re.compile(r""";\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*("[^"]*"|[^;,"\s]*))?""")

_P = TypeVar("_P", bound="Paginator")


@dataclass(frozen=True)
class Page:
    """One page of a list call: the raw JSON items plus what is needed to fetch or resume the next.

    Pass ``next_token`` as ``page_token`` (with the same ``page_size``) to continue where this page ends.
    ``nbytes`` is the size of the answer's body, which buffers of pages are bounded by.
    """

    items: list[dict[str, Any]]
    next_token: str | None
    page_size: int
    request_id: str | None
    total_count: int | None
    ratelimit: dict[str, str] = field(default_factory=dict)
    nbytes: int = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class PageRequest:
    """A list request as paginators shape it: a path (``{name}`` filled from ``path_params``) and its query.

    ``params`` holds plain values; the client leaves out ``None`` and repeats sequences when it sends.
    """

    path: str
    params: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)


def parse_link_header(value: str) -> dict[str, str]:
    """The URL of every ``rel`` in a Link header; a malformed header is an UnexpectedResponseError."""
    links: dict[str, str] = {}
    position = 0
    text = value.strip()
    while position < len(text):
        match = _LINK_PART.match(text, position)
        if match is None or match.end() == position:
            raise UnexpectedResponseError(f"malformed Link header near character {position}: {value[:200]!r}")
        position = match.end()
        rels = [v.strip('"') for k, v in _LINK_PARAM.findall(match.group("params")) if k.lower() == "rel" and v]
        if not rels:
            raise UnexpectedResponseError(f"Link header part without rel: {match.group(0).strip()[:200]!r}")
        for rel in rels[0].split():
            links.setdefault(rel.lower(), match.group("url"))
    return links


def next_token_from_link(value: str | None, base_url: httpx.URL | str) -> str | None:
    """The ``page_token`` of the Link header's ``rel="next"``, or None when there is no next link.

    A link pointing to another scheme, host or port than ``base_url`` is refused: it could lead the
    next request (and our key) elsewhere, and Ory only ever sends relative links (wire notes §1).
    """
    if not value:
        return None
    target = parse_link_header(value).get("next")
    if target is None:
        return None
    base = httpx.URL(str(base_url))
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        try:
            link = httpx.URL(target)
        except httpx.InvalidURL as exc:
            raise UnexpectedResponseError(f"malformed next link {target[:200]!r}") from exc
        if (link.scheme, link.host, link.port) != (base.scheme, base.host, base.port):
            raise UnexpectedResponseError(f"next link points to another host: {link.scheme}://{link.host}")
    tokens = parse_qs(parts.query, keep_blank_values=True).get("page_token")
    if not tokens or not tokens[0]:
        raise UnexpectedResponseError(f"next link without a page_token: {target[:200]!r}")
    return tokens[0]


class Paginator(ABC):
    """What every paging style shares: the first page's parameters, the effective page size, the cursor.

    ``page_size`` is the size the server applies (clamped as Ory clamps it); ``next_token`` is the
    resume cursor, the ``page_token`` of the page after the last one read (None: that was the last).
    A paginator built with ``page_token=<a Page's next_token>`` resumes where that page ended.
    """

    max_page_size: ClassVar[int]
    # Whether a `null` answer is an empty page (only where a real server sends one); else it is refused.
    null_is_empty: ClassVar[bool] = False

    def __init__(self, *, page_size: int | None = None, page_token: str | None = None) -> None:
        self.page_size = self._clamp(page_size)
        self.next_token: str | None = None
        self._first: dict[str, Any] = {"page_size": page_size, "page_token": page_token}

    @classmethod
    def for_walk(cls: type[_P], page_size: int | None, page_token: str | None = None) -> _P:
        """A paginator for a walk over every page; ``page_size`` None means the endpoint's maximum.

        The size sent is clamped to the maximum first, so that a full page is recognised as full.
        """
        return cls(page_size=cls.walk_size(page_size), page_token=page_token)

    @classmethod
    def walk_size(cls, page_size: int | None) -> int:
        """The page size a walk sends: None means the maximum, more is clamped to it, below 1 is refused."""
        if page_size is None:
            return cls.max_page_size
        if page_size <= 0:
            raise InvalidInputError(f"page_size must be positive, got {page_size}")
        return min(page_size, cls.max_page_size)

    @classmethod
    def _clamp(cls, requested: int | None) -> int:
        """The page size Ory applies to ``page_size``: the default for none or <= 0, at most the maximum."""
        return min(requested if requested is not None and requested > 0 else DEFAULT_PAGE_SIZE, cls.max_page_size)

    def init_request(self, request: PageRequest) -> None:
        """Put the paging parameters of the first page on ``request``, as they were given."""
        request.params.update({key: value for key, value in self._first.items() if value is not None})

    def update_state(self, response: httpx.Response, data: list[Any]) -> None:
        """Read one answer: refuse a page larger than the page size, then learn the next token."""
        if len(data) > self.page_size:
            # Ory never sends more than the page size it applies (wire notes §1); a larger page is a
            # broken or hostile server, and trusting it would let one answer blow up memory.
            where = f"{response.request.method} {mask_url(response.request.url)}"
            raise UnexpectedResponseError(f"{where}: {len(data)} items on a page of at most {self.page_size}")
        self.next_token = self._next_token(response, data)

    def page_items(self, data: list[Any]) -> list[Any]:
        """The items of the answer just read (by ``update_state``) that make its page; ``data`` is not changed.

        All of them, unless the paging style drops some: the overlap of a schema page, the repeat of
        an identity-session page, the ids past a shard's stop.
        """
        return data

    def update_request(self, request: PageRequest) -> None:
        """Shape ``request`` for the page after the last one read: the token and the page size."""
        if self.next_token is None:
            raise ValueError("update_request called after the last page")
        self._shape(request, self.next_token)

    def _shape(self, request: PageRequest, token: str) -> None:
        for legacy in ("page", "per_page"):
            request.params.pop(legacy, None)
        request.params.update(page_size=self.page_size, page_token=token)

    def peek_next(self, response: httpx.Response) -> str | None:
        """Before ``response`` is decoded: the token of the page after it, if its headers alone tell it.

        A walk may send the next request (:meth:`request_for`) while it decodes this page, and must drop
        that answer unless ``update_state`` then learns the same token. None: not known before decoding.
        """
        return None

    def request_for(self, request: PageRequest, token: str) -> PageRequest:
        """A copy of ``request`` shaped for the page of ``token`` (``request`` itself is left as it is)."""
        shaped = PageRequest(request.path, dict(request.params), dict(request.path_params))
        self._shape(shaped, token)
        return shaped

    @abstractmethod
    def _next_token(self, response: httpx.Response, data: list[Any]) -> str | None:
        """Read the paging facts of an answer: the token of the page after ``data``, or None if it is the last."""


class _KeysetPaginator(Paginator):
    """Keyset paging: the next token is the ``page_token`` of the Link header's ``rel="next"``."""

    def peek_next(self, response: httpx.Response) -> str | None:
        """The Link header's next token (a non-empty page leads there, wire notes §1); None if it has none or is bad."""
        if len(response.content) < 64 and response.content.strip() == b"[]":
            return None  # an empty page ends the walk whatever its Link says
        try:
            return next_token_from_link(response.headers.get("link"), response.request.url)
        except UnexpectedResponseError:
            return None  # raised again when the page is decoded

    def _next_token(self, response: httpx.Response, data: list[Any]) -> str | None:
        # The link is checked even on an empty page (a link to another host is always an error), but an
        # empty page ends the walk: Kratos fetches one row more than the page to decide on `next`.
        token = next_token_from_link(response.headers.get("link"), response.request.url)
        return token if data else None


class IdentityKeysetPaginator(_KeysetPaginator):
    """``GET /admin/identities``: keyset by identity id, up to 500 a page; ``page``/``per_page`` are legacy.

    Mode rules (wire notes §1): ``page_token`` or ``page_size`` given -> keyset (``page``/``per_page``
    ignored); else ``page`` given -> legacy offset paging, which has no token (``next_token`` None,
    ``per_page`` below 1 becomes 1); else a lone ``per_page`` is Kratos's ``page_size``.
    """

    max_page_size = 500

    def __init__(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> None:
        keyset = page_size is not None or page_token is not None
        self.legacy = not keyset and page is not None
        requested = page_size if keyset else per_page
        if self.legacy and per_page is not None:
            requested = max(per_page, 1)
        super().__init__(page_size=requested, page_token=page_token)
        self._first = {"page_size": page_size, "page_token": page_token, "page": page, "per_page": per_page}

    def _next_token(self, response: httpx.Response, data: list[Any]) -> str | None:
        return None if self.legacy else super()._next_token(response, data)

    def peek_next(self, response: httpx.Response) -> str | None:
        return None if self.legacy else super().peek_next(response)


def _id_of(item: Any) -> str | None:
    """An item's id in lower case, or None for an item that is not an object with a string id."""
    if type(item) is dict:
        value = item.get("id")
        if type(value) is str:
            return value.lower()
    return None


def is_id_token(token: str | None, last: Any) -> bool:
    """Whether ``token`` is what Kratos sends (wire notes §1): the plain UUID of ``last``, the page's last item.

    Only then can a shard start at a UUID of our choosing; a server with other tokens is read with one cursor.
    """
    if token is None or _id_of(last) != token.lower():
        return False
    try:
        return str(uuid.UUID(token)) == token.lower()
    except ValueError:
        return False


def items_to_stop(data: list[Any], stop: str) -> tuple[int, bool]:
    """How many items of an id-ordered page lie up to ``stop``, and whether the range ends on this page.

    The range ends when an item lies beyond ``stop`` or the last one kept is ``stop`` itself. An item
    without a string id stops the scan and is kept, so that the page is refused as a whole later.
    ``data`` is not changed.
    """
    for index, item in enumerate(data):
        key = _id_of(item)
        if key is None:
            return len(data), False
        if key > stop:
            return index, True
    return len(data), bool(data) and _id_of(data[-1]) == stop


class IdentityShardPaginator(IdentityKeysetPaginator):
    """One shard of ``GET /admin/identities``: the ids after ``start`` up to and including ``stop`` (None: all).

    Kratos pages by ``WHERE id > token ORDER BY id`` with the last id as the token (wire notes §1), so
    a shard starts with ``page_token=start`` and ends at the first page reaching past ``stop``, whose
    items above ``stop`` are dropped: they belong to the next shard, which starts at ``stop``. Ids are
    compared as lower-case text, the order of a UUID column. Each page must continue the order (ids
    ascending, above the token sent); a server that breaks it is an UnexpectedResponseError, since
    shards would then miss or repeat identities.
    """

    def __init__(self, *, page_size: int | None = None, start: str | None = None, stop: str | None = None) -> None:
        super().__init__(page_size=self.walk_size(page_size), page_token=start)
        self.stop = stop.lower() if stop is not None else None
        self._after = start.lower() if start is not None else None
        self._kept = 0

    def peek_next(self, response: httpx.Response) -> str | None:
        token = super().peek_next(response)
        # the token is the page's last id: at or past the stop, this page ends the shard
        return None if token is None or (self.stop is not None and token.lower() >= self.stop) else token

    def _next_token(self, response: httpx.Response, data: list[Any]) -> str | None:
        token = super()._next_token(response, data)
        previous = self._after
        for item in data:
            key = _id_of(item)
            if key is None:
                break  # refused as a whole by the page decoder
            if previous is not None and key <= previous:
                where = f"{response.request.method} {mask_url(response.request.url)}"
                raise UnexpectedResponseError(f"{where}: identity {key} is not after {previous}; ids are out of order")
            previous = key
        self._kept = len(data)
        if self.stop is not None:
            self._kept, ends = items_to_stop(data, self.stop)
            if ends:
                token = None
        self._after = token.lower() if token is not None else None
        return token

    def page_items(self, data: list[Any]) -> list[Any]:
        """The items up to the stop; those above it belong to the next shard."""
        return data if self._kept == len(data) else data[: self._kept]


class SessionKeysetPaginator(_KeysetPaginator):
    """``GET /admin/sessions``: keyset by (created_at desc, id), up to 1000 a page; the token is opaque."""

    max_page_size = 1000


def walk_page_size(paginator: type[Paginator], page_size: int | None) -> int:
    """The page size a walk over every page sends: None and sizes above the endpoint's maximum are the maximum.

    An export's resume state records this, not the argument, so ``page_size=None`` and ``page_size=500`` for
    identities (the same requests) are the same export, whichever of them wrote the state.
    """
    return paginator.for_walk(page_size).page_size
