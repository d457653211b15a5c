"""Page, Link-header and offset-token handling, and the ``iter_*`` paginators with one-page prefetch.

Wire shapes read here (wire notes §1):

- keyset (identities, sessions): ``Link: </admin/identities?page_size=250&page_token=8f1c…>; rel="next"``;
  only the ``page_token`` of ``rel="next"`` is used; no ``next`` means last page.
- offset (identity sessions, schemas): the token is base64url (no padding) of ``{"offset":"250","v":2}``;
  their Link ``next`` is untrustworthy (it even appears on empty results), so the next token is
  computed here and iteration stops on an empty or short page.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from ory_frames._errors import InvalidInputError, UnexpectedResponseError
from ory_frames._types import Consistency, SessionExpand

if TYPE_CHECKING:
    from ory_frames._client import Client

# Largest page size each endpoint accepts (wire notes §1); larger values are clamped by Ory.
MAX_PAGE_SIZE: dict[str, int] = {"identities": 500, "sessions": 1000, "identity_sessions": 1000, "schemas": 1000}
DEFAULT_PAGE_SIZE = 250

_LINK_PART = re.compile(
    r"""\s*<(?P<url>[^<>]*)>\s*(?P<params>(?:;\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*(?:=\s*(?:"[^"]*"|[^;,"\s]*))?\s*)*)(?:,|$)"""
)
_LINK_PARAM = re.compile(r""";\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*("[^"]*"|[^;,"\s]*))?""")


@dataclass(frozen=True)
class Page:
    """One page of a list call: the raw JSON items plus what is needed to fetch or resume the next.

    Pass ``next_token`` as ``page_token`` (with the same ``page_size``) to continue where this page ends.
    """

    items: list[dict[str, Any]]
    next_token: str | None
    page_size: int
    request_id: str | None
    total_count: int | None
    ratelimit: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


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

    A link pointing to another scheme or host than ``base_url`` is refused: it could leak the next
    request (and our key) elsewhere, and Ory only ever sends relative links.
    """
    if not value:
        return None
    links = parse_link_header(value)
    target = links.get("next")
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


def offset_next_token(page_token: str | None, page_size: int, count: int) -> str | None:
    """The token after a page of an offset endpoint, or None if the page was empty or short."""
    if count == 0 or count < page_size:
        return None
    return encode_offset_token(decode_offset_token(page_token) + count)


def ratelimit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers, keys lower-cased."""
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}


def _pages(fetch: Callable[[str | None], Page], page_token: str | None, prefetch: bool) -> Iterator[Page]:
    """Drive a list call page by page; with ``prefetch``, fetch page n+1 while page n is being handled.

    At most one request is in flight ahead of the caller; closing the iterator waits for it and
    shuts the worker down. A token seen before means the server is looping: UnexpectedResponseError.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ory_frames-prefetch") if prefetch else None
    seen: set[str] = {page_token} if page_token else set()
    pending: Future[Page] | None = None
    try:
        page = fetch(page_token)
        while True:
            token = page.next_token if page.items else None
            if token is not None:
                if token in seen:
                    raise UnexpectedResponseError(f"the server returned page token {token!r} twice")
                seen.add(token)
                if executor is not None:
                    pending = executor.submit(fetch, token)
            yield page
            if token is None:
                return
            if pending is not None:
                page, pending = pending.result(), None
            else:
                page = fetch(token)
    finally:
        if pending is not None:
            pending.cancel()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _size(page_size: int, endpoint: str) -> int:
    """The page size actually sent: clamped to the endpoint maximum, so short-page detection holds."""
    if page_size <= 0:
        raise InvalidInputError(f"page_size must be positive, got {page_size}")
    return min(page_size, MAX_PAGE_SIZE[endpoint])


def iter_identities(
    client: Client,
    *,
    page_size: int = 500,
    page_token: str | None = None,
    ids: list[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: list[str] | None = None,
    consistency: Consistency | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/identities`` (keyset), prefetching the next page in the background.

    Examples
    --------
    >>> for page in iter_identities(client, page_size=100):  # a Client of a project with 120 identities
    ...     print(len(page), page.next_token is not None)
    100 True
    20 False
    """
    size = _size(page_size, "identities")

    def fetch(token: str | None) -> Page:
        return client.list_identities(
            page_size=size,
            page_token=token,
            ids=ids,
            credentials_identifier=credentials_identifier,
            preview_credentials_identifier_similar=preview_credentials_identifier_similar,
            organization_id=organization_id,
            include_credential=include_credential,
            consistency=consistency,
        )

    return _pages(fetch, page_token, prefetch)


def iter_sessions(
    client: Client,
    *,
    active: bool | None = None,
    expand: list[SessionExpand | str] | None = None,
    page_size: int = 1000,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/sessions`` (keyset), prefetching the next page in the background."""
    size = _size(page_size, "sessions")

    def fetch(token: str | None) -> Page:
        return client.list_sessions(page_size=size, page_token=token, active=active, expand=expand)

    return _pages(fetch, page_token, prefetch)


def iter_identity_sessions(
    client: Client,
    identity_id: str,
    *,
    active: bool | None = None,
    page_size: int = 1000,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /admin/identities/{id}/sessions`` (offset), stopping on an empty or short page."""
    size = _size(page_size, "identity_sessions")
    decode_offset_token(page_token)  # refuse a foreign token before any request

    def fetch(token: str | None) -> Page:
        return client.list_identity_sessions(identity_id, page_size=size, page_token=token, active=active)

    return _pages(fetch, page_token, prefetch)


def iter_identity_schemas(
    client: Client,
    *,
    page_size: int = 1000,
    page_token: str | None = None,
    prefetch: bool = True,
) -> Iterator[Page]:
    """Every page of ``GET /schemas`` (offset), stopping on an empty or short page."""
    size = _size(page_size, "schemas")
    decode_offset_token(page_token)

    def fetch(token: str | None) -> Page:
        return client.list_identity_schemas(page_size=size, page_token=token)

    return _pages(fetch, page_token, prefetch)
