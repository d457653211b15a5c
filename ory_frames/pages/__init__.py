"""The pages of Ory's list calls: one paginator per paging style, the one loop that drives them, shards, fetch-ahead."""

from __future__ import annotations

from ory_frames.pages._decode import decode_page
from ory_frames.pages._fetch_ahead import DEFAULT_BUFFER_BYTES, Cursor, PageStream
from ory_frames.pages._identity_sessions import IdentitySessionPaginator
from ory_frames.pages._paginators import (
    IdentityKeysetPaginator,
    Page,
    PageRequest,
    Paginator,
    SchemaPaginator,
    SessionKeysetPaginator,
    walk_page_size,
)
from ory_frames.pages._shards import MAX_SHARDS, IdentityPages
from ory_frames.pages._walk import (
    iter_identities,
    iter_identity_schemas,
    iter_identity_sessions,
    iter_sessions,
)

__all__ = [
    "DEFAULT_BUFFER_BYTES",
    "MAX_SHARDS",
    "Cursor",
    "IdentityKeysetPaginator",
    "IdentityPages",
    "IdentitySessionPaginator",
    "Page",
    "PageRequest",
    "PageStream",
    "Paginator",
    "SchemaPaginator",
    "SessionKeysetPaginator",
    "decode_page",
    "iter_identities",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_sessions",
    "walk_page_size",
]
