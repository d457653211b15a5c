"""What every read shares: the list filters, the identity schemas, session expansion, the progress bar, Arrow batches.

:mod:`ory_frames.frames` (``read_*``), :mod:`ory_frames.export` (``export_*``) and the command line
take the filters of the ``iter_*`` functions under the same names, with the same types and defaults
(wire notes §2), and fetch their pages through the functions below: streams whose pages are fetched
ahead, by background threads, while the caller converts (:mod:`ory_frames.pages._fetch_ahead`), identities by
one or several keyset cursors (:mod:`ory_frames.pages._shards`). Pages are counted here, at the edge: the
paging core only yields them, and a ``tqdm.auto`` bar is drawn around it when asked, with the percent
done and the time left for identities (their cursors' position in the UUID space says how far they are).

:func:`iter_identity_batches` and :func:`iter_session_batches` are the reads without pandas: one
``pyarrow.RecordBatch`` per page, converted when the caller asks for it, with the columns and types of
the frames (what :func:`ory_frames.convert._to_pandas.table_to_frame` turns into them), for polars, DuckDB or Arrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ory_frames.convert import ConversionProblems, IdentityConverter, SessionConverter
from ory_frames.pages import (
    DEFAULT_BUFFER_BYTES,
    Cursor,
    IdentityPages,
    PageStream,
    SessionKeysetPaginator,
    Walk,
    iter_identity_schemas,
    iter_identity_sessions,
    session_walk,
)

from ._schema import normalize_schemas, trait_columns
from ._types import DEFAULT_SESSION_EXPAND, Consistency, CredentialType, JSONObject, SessionExpand

if TYPE_CHECKING:
    from ory_frames.client import Client
    from ory_frames.pages import Page

__all__ = [
    "IDENTITY_FILTERS",
    "SESSION_FILTERS",
    "expand_list",
    "fetch_schemas",
    "identity_filters",
    "identity_pages",
    "identity_session_pages",
    "iter_identity_batches",
    "iter_session_batches",
    "session_pages",
    "with_progress",
]

# The filters of GET /admin/identities and GET /admin/sessions (wire notes §2), as parameter names of
# iter_identities / read_identities / export_identities and iter_sessions / read_sessions / export_sessions.
IDENTITY_FILTERS: tuple[str, ...] = (
    "ids",
    "credentials_identifier",
    "preview_credentials_identifier_similar",
    "organization_id",
    "include_credential",
    "consistency",
)
SESSION_FILTERS: tuple[str, ...] = ("active", "expand")


def fetch_schemas(client: Client) -> dict[str, JSONObject]:
    """Every identity schema of the project, ``{schema_id: JSON Schema}`` (one paged read of ``GET /schemas``)."""
    items: list[JSONObject] = []
    for page in iter_identity_schemas(client):
        items.extend(page.items)
    return normalize_schemas(items)


def expand_list(expand: SessionExpand | Sequence[SessionExpand] | None) -> list[SessionExpand]:
    """``expand`` as a list; None and ``()`` both mean no expansion."""
    if expand is None:
        return []
    if isinstance(expand, str):
        return [expand]
    return list(expand)


def identity_filters(
    *,
    ids: Sequence[str] | None,
    credentials_identifier: str | None,
    preview_credentials_identifier_similar: str | None,
    organization_id: str | None,
    include_credential: Sequence[CredentialType | str] | None,
    consistency: Consistency | None,
) -> dict[str, Any]:
    """The identity filters as plain values (sequences as lists, empty ones as None), keyed as in ``IDENTITY_FILTERS``.

    The same dict is passed to :func:`identity_pages`, recorded in ``df.attrs`` and in an export's state.
    """
    return {
        "ids": list(ids) if ids is not None else None,
        "credentials_identifier": credentials_identifier,
        "preview_credentials_identifier_similar": preview_credentials_identifier_similar,
        "organization_id": organization_id,
        "include_credential": list(include_credential) if include_credential else None,
        "consistency": consistency,
    }


def identity_pages(
    client: Client,
    filters: dict[str, Any],
    *,
    page_size: int | None,
    shards: int = 1,
    cursors: Sequence[Cursor] | None = None,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
) -> IdentityPages:
    """Pages of ``GET /admin/identities`` with the filters of :func:`identity_filters`, fetched ahead.

    ``shards`` cursors read slices of the id space at once (:mod:`ory_frames.pages._shards`); ``cursors``, those
    of an interrupted export, continue where they stood. Bad ``page_size``/``shards`` are refused now.
    """
    return IdentityPages(
        client, filters, page_size=page_size, shards=shards, cursors=cursors, buffer_bytes=buffer_bytes
    )


def session_pages(
    client: Client,
    *,
    active: bool | None,
    expand: Sequence[SessionExpand],
    page_size: int | None,
    cursors: Sequence[Cursor] | None = None,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
) -> PageStream:
    """Pages of ``GET /admin/sessions``, fetched ahead; ``expand`` comes from :func:`expand_list` (empty: none).

    One cursor: the session token is opaque (wire notes §1), so sessions cannot be split into ranges.
    """
    SessionKeysetPaginator.walk_size(page_size)  # a bad page_size is refused now, before any request

    def open_cursor(cursor: Cursor) -> Walk:
        return session_walk(client, active=active, expand=expand, page_size=page_size, page_token=cursor.token)

    return PageStream(cursors or [Cursor()], open_cursor, buffer_bytes=buffer_bytes)


def identity_session_pages(
    client: Client, identity_id: str, *, active: bool | None, page_size: int | None
) -> Iterator[Page]:
    """Pages of ``GET /admin/identities/{id}/sessions``."""
    return iter_identity_sessions(client, identity_id, active=active, page_size=page_size)


def with_progress(pages: Iterable[Page], enabled: bool, unit: str) -> Iterator[Page]:
    """The pages as they come, drawing a ``tqdm.auto`` bar that counts their items when ``enabled``.

    When the pages tell how far they are (:meth:`PageStream.fraction_done`: identities), the bar's total
    is the count so far over that fraction, so it shows the percent done and tqdm's time left, at the
    pace the pages actually come (against a rate-limited tier, the pace the budget allows).
    """
    if not enabled:
        yield from pages
        return
    from tqdm.auto import tqdm

    fraction = pages.fraction_done if isinstance(pages, PageStream) else None
    with tqdm(unit=unit, unit_scale=True) as bar:
        for page in pages:
            done = fraction() if fraction is not None else None
            if done:
                count = bar.n + len(page.items)
                bar.total = max(count, round(count / done))
            bar.update(len(page.items))
            yield page
        if fraction is not None:
            bar.total = bar.n
            bar.refresh()


def _converted(
    pages: Iterable[Page], convert: Callable[[Sequence[JSONObject]], pa.RecordBatch], problems: ConversionProblems
) -> Iterator[pa.RecordBatch]:
    """One batch per page, each converted only when asked for; the problems are warned about once, at the end."""
    for page in pages:
        yield convert(page.items)
    problems.warn(stacklevel=4)  # the frame of the caller that iterates


def iter_identity_batches(
    client: Client,
    *,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    consistency: Consistency | None = None,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
) -> Iterator[pa.RecordBatch]:
    """Every identity matching the filters as Arrow, one ``pyarrow.RecordBatch`` per page, without pandas.

    The batches have the columns and types of :func:`~ory_frames.read_identities`'s table (its
    ``as_arrow=True`` answer) and all share one schema. The identity schemas are fetched on the first
    ``next()``; then each page is converted when its batch is asked for, while background threads fetch
    the next pages, up to ``buffer_bytes`` of answers ahead. Values that do not fit their column are
    read as null and summed up in one :class:`~ory_frames.ConversionWarning` after the last batch.

    The parameters are those of :func:`~ory_frames.read_identities` (with more than one of ``shards``,
    batches of different slices of the id space interleave).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from ory_frames import Client, iter_identity_batches, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     table = pa.Table.from_batches(iter_identity_batches(client, page_size=2))
    >>> table.num_rows, table.column("id").type
    (5, DataType(string))
    """
    filters = identity_filters(
        ids=ids,
        credentials_identifier=credentials_identifier,
        preview_credentials_identifier_similar=preview_credentials_identifier_similar,
        organization_id=organization_id,
        include_credential=include_credential,
        consistency=consistency,
    )
    # checks page_size, shards and buffer_bytes now; sends nothing yet
    pages = identity_pages(client, filters, page_size=page_size, shards=shards, buffer_bytes=buffer_bytes)

    def batches() -> Iterator[pa.RecordBatch]:
        traits = trait_columns(fetch_schemas(client))
        converter = IdentityConverter(
            traits, include_credential=include_credential or (), keep_zero_time=keep_zero_time
        )
        yield from _converted(with_progress(pages, progress, "identities"), converter.convert, converter.problems)

    return batches()


def iter_session_batches(
    client: Client,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
) -> Iterator[pa.RecordBatch]:
    """Every session as Arrow, one ``pyarrow.RecordBatch`` per page of ``GET /admin/sessions``, without pandas.

    The batches have the columns and types of :func:`~ory_frames.read_sessions`'s table (its
    ``as_arrow=True`` answer); with ``"identity"`` expanded (the default) the identity schemas are
    fetched on the first ``next()`` to type the ``identity.traits.*`` columns. Pages are converted as in
    :func:`iter_identity_batches`; the parameters are those of :func:`~ory_frames.read_sessions`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from ory_frames import Client, iter_session_batches, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     table = pa.Table.from_batches(iter_session_batches(client))
    >>> "identity.traits.email" in table.column_names
    True
    """
    expands = expand_list(expand)
    pages = session_pages(client, active=active, expand=expands, page_size=page_size, buffer_bytes=buffer_bytes)

    def batches() -> Iterator[pa.RecordBatch]:
        traits = trait_columns(fetch_schemas(client)) if "identity" in expands else None
        converter = SessionConverter(traits, keep_zero_time=keep_zero_time)
        yield from _converted(with_progress(pages, progress, "sessions"), converter.convert, converter.problems)

    return batches()
