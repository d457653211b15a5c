"""What every read shares: the read assembled once (filters, schemas, converter, pages), progress, Arrow batches.

:mod:`ory_frames.frames` (``read_*``), :mod:`ory_frames.export` (``export_*``) and the functions below
take the filters of :mod:`ory_frames._query` as ``**filters`` (wire notes §2) and assemble their read
as an :class:`IdentityRead` or a :class:`SessionRead`: the arguments are checked first, before any
request; the identity schemas are fetched once, when the converter is first needed; the pages come as
a stream fetched ahead, by background threads, while the caller converts (``ory_frames.pages``'
``PageStream``), identities by one or several keyset cursors (``IdentityPages``). Pages are counted
here, at the edge: the paging core only yields them, and a ``tqdm.auto`` bar is drawn around it when
asked, with the percent done and the time left for identities (their cursors' position in the UUID
space says how far they are).

:func:`iter_identity_batches` and :func:`iter_session_batches` are the reads without pandas: one
``pyarrow.RecordBatch`` per page, converted when the caller asks for it, with the columns and types of
the frames (what :func:`ory_frames.convert.table_to_frame` turns into them), for polars, DuckDB or Arrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from ory_frames.convert import ConversionProblems, IdentityConverter, SessionConverter
from ory_frames.pages import (
    DEFAULT_BUFFER_BYTES,
    Cursor,
    IdentityKeysetPaginator,
    IdentityPages,
    PageStream,
    Paginator,
    SessionKeysetPaginator,
    Walk,
    iter_identity_schemas,
    iter_identity_sessions,
    session_walk,
    walk_page_size,
)

from ._query import IdentityFilters, SessionFilters, identity_filters, session_filters
from ._schema import TraitInfo, normalize_schemas, trait_columns
from ._types import JSONObject

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ory_frames.client import Client
    from ory_frames.pages import Page

__all__ = [
    "IdentityRead",
    "SessionRead",
    "fetch_schemas",
    "identity_session_pages",
    "iter_identity_batches",
    "iter_session_batches",
    "with_progress",
]


def fetch_schemas(client: Client) -> dict[str, JSONObject]:
    """Every identity schema of the project, ``{schema_id: JSON Schema}`` (one paged read of ``GET /schemas``)."""
    items: list[JSONObject] = []
    for page in iter_identity_schemas(client):
        items.extend(page.items)
    return normalize_schemas(items)


class _Read:
    """What the reads of both kinds hold: the client, the plain filters, the options, the pages, the params."""

    kind: ClassVar[str]
    paginator: ClassVar[type[Paginator]]

    def __init__(
        self,
        client: Client,
        filters: Mapping[str, Any],
        *,
        page_size: int | None = None,
        cursors: Sequence[Cursor] | None = None,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        keep_zero_time: bool = False,
    ) -> None:
        self.client = client
        self.filters = dict(filters)
        self.page_size = page_size
        self.buffer_bytes = buffer_bytes
        self.keep_zero_time = keep_zero_time
        self.pages: PageStream = self.pages_from(cursors)  # checks the options; sends nothing

    def pages_from(self, cursors: Sequence[Cursor] | None) -> PageStream:
        """The pages from ``cursors`` (an interrupted export's; None: the beginning), fetched ahead."""
        raise NotImplementedError

    @property
    def params(self) -> dict[str, Any]:
        """The filters and options that make this read what it is, as an export's resume state records them.

        The page size is the one sent (:func:`~ory_frames.pages.walk_page_size`): None and Ory's maximum
        are the same read.
        """
        page_size = walk_page_size(self.paginator, self.page_size)
        return {**self.filters, "page_size": page_size, "keep_zero_time": self.keep_zero_time}


class IdentityRead(_Read):
    """One read of ``GET /admin/identities``, assembled once for frames, batches and exports.

    ``filters`` are the plain filters of :func:`ory_frames._query.identity_filters`. Making the read
    checks ``page_size``, ``shards`` and ``buffer_bytes`` and sends nothing. ``pages`` is the stream
    from ``cursors`` (those of an interrupted export; None: the beginning), read by ``shards`` cursors
    over slices of the id space; ``schemas``, ``traits`` and ``converter`` are made when first asked
    for (the schemas by one read of ``GET /schemas``); ``params`` is what an export's state records of
    the read, which a resume compares.
    """

    kind = "identities"
    paginator = IdentityKeysetPaginator

    def __init__(
        self,
        client: Client,
        filters: Mapping[str, Any],
        *,
        page_size: int | None = None,
        shards: int = 1,
        cursors: Sequence[Cursor] | None = None,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        keep_zero_time: bool = False,
    ) -> None:
        self.shards = shards
        super().__init__(
            client,
            filters,
            page_size=page_size,
            cursors=cursors,
            buffer_bytes=buffer_bytes,
            keep_zero_time=keep_zero_time,
        )

    def pages_from(self, cursors: Sequence[Cursor] | None) -> PageStream:
        """The pages from ``cursors`` (an interrupted export's; None: the beginning), fetched ahead."""
        return IdentityPages(
            self.client,
            self.filters,
            page_size=self.page_size,
            shards=self.shards,
            cursors=cursors,
            buffer_bytes=self.buffer_bytes,
        )

    @cached_property
    def schemas(self) -> dict[str, JSONObject]:
        """The project's identity schemas, fetched on first use."""
        return fetch_schemas(self.client)

    @cached_property
    def traits(self) -> dict[str, TraitInfo]:
        """The trait columns of :attr:`schemas`."""
        return trait_columns(self.schemas)

    @cached_property
    def converter(self) -> IdentityConverter:
        """The converter of this read's pages (the schemas are fetched for it)."""
        include_credential = self.filters["include_credential"] or ()
        return IdentityConverter(self.traits, include_credential=include_credential, keep_zero_time=self.keep_zero_time)


class SessionRead(_Read):
    """One read of ``GET /admin/sessions``, as :class:`IdentityRead` (with the filters of :func:`session_filters`).

    One cursor: the session token is opaque (wire notes §1), so sessions cannot be split into ranges.
    Without ``"identity"`` expanded, no schema is fetched: ``schemas`` is empty and ``traits`` None.
    """

    kind = "sessions"
    paginator = SessionKeysetPaginator

    def pages_from(self, cursors: Sequence[Cursor] | None) -> PageStream:
        """The pages from ``cursors`` (an interrupted export's; None: the beginning), fetched ahead."""
        SessionKeysetPaginator.walk_size(self.page_size)  # a bad page_size is refused now, before any request

        def open_cursor(cursor: Cursor) -> Walk:
            return session_walk(self.client, self.filters, page_size=self.page_size, page_token=cursor.token)

        return PageStream(cursors or [Cursor()], open_cursor, buffer_bytes=self.buffer_bytes)

    @property
    def expands_identity(self) -> bool:
        """Whether the sessions embed their identity (then the identity schemas type its traits)."""
        return "identity" in (self.filters["expand"] or ())

    @cached_property
    def schemas(self) -> dict[str, JSONObject]:
        """The project's identity schemas, fetched on first use; none without ``"identity"`` expanded."""
        return fetch_schemas(self.client) if self.expands_identity else {}

    @cached_property
    def traits(self) -> dict[str, TraitInfo] | None:
        """The trait columns of :attr:`schemas`; None without ``"identity"`` expanded."""
        return trait_columns(self.schemas) if self.expands_identity else None

    @cached_property
    def converter(self) -> SessionConverter:
        """The converter of this read's pages (the schemas are fetched for it when needed)."""
        return SessionConverter(self.traits, keep_zero_time=self.keep_zero_time)


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
    pages: Iterable[Page], convert: Callable[..., pa.RecordBatch], problems: ConversionProblems
) -> Iterator[pa.RecordBatch]:
    """One batch per page, each converted only when asked for; the problems are warned about once, at the end."""
    for page in pages:
        yield convert(page.items, content=page.content)
    problems.warn(stacklevel=4)  # the frame of the caller that iterates


def iter_identity_batches(
    client: Client,
    *,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    **filters: Unpack[IdentityFilters],
) -> Iterator[pa.RecordBatch]:
    """Every identity matching the filters as Arrow, one ``pyarrow.RecordBatch`` per page, without pandas.

    The batches have the columns and types of :func:`~ory_frames.read_identities`'s table (its
    ``as_arrow=True`` answer) and all share one schema. The identity schemas are fetched on the first
    ``next()``; then each page is converted when its batch is asked for, while background threads fetch
    the next pages, up to ``buffer_bytes`` of answers ahead. Values that do not fit their column are
    read as null and summed up in one :class:`~ory_frames.ConversionWarning` after the last batch.

    The parameters are those of :func:`~ory_frames.read_identities`, the filters those of
    :class:`~ory_frames.IdentityFilters` (with more than one of ``shards``, batches of different slices
    of the id space interleave).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from ory_frames import Client, iter_identity_batches, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     table = pa.Table.from_batches(iter_identity_batches(client, page_size=2))
    >>> table.num_rows, table.column("id").type
    (5, DataType(string))
    """
    # checks the filters' names, page_size, shards and buffer_bytes now; sends nothing yet
    read = IdentityRead(
        client,
        identity_filters("iter_identity_batches", filters),
        page_size=page_size,
        shards=shards,
        buffer_bytes=buffer_bytes,
        keep_zero_time=keep_zero_time,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        converter, pages = read.converter, read.pages  # the schemas are fetched on the first next()
        yield from _converted(with_progress(pages, progress, "identities"), converter.convert, converter.problems)

    return batches()


def iter_session_batches(
    client: Client,
    *,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    **filters: Unpack[SessionFilters],
) -> Iterator[pa.RecordBatch]:
    """Every session as Arrow, one ``pyarrow.RecordBatch`` per page of ``GET /admin/sessions``, without pandas.

    The batches have the columns and types of :func:`~ory_frames.read_sessions`'s table (its
    ``as_arrow=True`` answer); with ``"identity"`` expanded (the default) the identity schemas are
    fetched on the first ``next()`` to type the ``identity.traits.*`` columns. Pages are converted as in
    :func:`iter_identity_batches`; the parameters are those of :func:`~ory_frames.read_sessions`, the
    filters those of :class:`~ory_frames.SessionFilters`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from ory_frames import Client, iter_session_batches, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     table = pa.Table.from_batches(iter_session_batches(client))
    >>> "identity.traits.email" in table.column_names
    True
    """
    read = SessionRead(
        client,
        session_filters("iter_session_batches", filters),
        page_size=page_size,
        buffer_bytes=buffer_bytes,
        keep_zero_time=keep_zero_time,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        converter, pages = read.converter, read.pages  # with "identity" expanded, the schemas on the first next()
        yield from _converted(with_progress(pages, progress, "sessions"), converter.convert, converter.problems)

    return batches()
