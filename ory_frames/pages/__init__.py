"""The pages of Ory's list calls: one paginator per paging style, the one loop that drives them, shards, fetch-ahead."""

from __future__ import annotations

from ory_frames.pages._fetch_ahead import DEFAULT_BUFFER_BYTES, Cursor, PageStream
from ory_frames.pages._offsets import IdentitySessionPaginator, SchemaPaginator
from ory_frames.pages._paginators import (
    IdentityKeysetPaginator,
    Page,
    PageRequest,
    Paginator,
    SessionKeysetPaginator,
    walk_page_size,
)
from ory_frames.pages._shards import MAX_SHARDS, IdentityPages
from ory_frames.pages._walk import (
    Walk,
    identity_walk,
    iter_identities,
    iter_identity_schemas,
    iter_identity_sessions,
    iter_sessions,
    session_walk,
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
    "Walk",
    "identity_walk",
    "iter_identities",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_sessions",
    "session_walk",
    "walk_page_size",
]
