"""Stream identities or sessions to Parquet (one file or a partitioned dataset), CSV or JSONL, resumably.

Background threads fetch pages ahead, up to ``buffer_bytes`` of answers; identities by one or, with
``shards``, several keyset cursors over slices of the id space (:mod:`ory_frames.pages`). Pages are
buffered until ``batch_rows`` rows have arrived or ``flush_seconds`` have passed since the last flush
(so that an interrupted export of a slow or rate-limited project loses at most that long), then
converted together into one table of an Arrow schema fixed up front (from the identity schemas), written
as one numbered part file under ``<path>.partial/``, and the sidecar ``<path>.ory-frames-state.json`` is
replaced atomically with the cursors (each one's next ``page_token`` and range), the rows and pages
written and the number of parts. Memory is therefore bounded by ``batch_rows`` and ``buffer_bytes``,
never by the size of the project.

For a single Parquet file each part is also encoded, in a background thread, into the combined file
as it is flushed; otherwise (and after a crash) the parts are joined at the end (Parquet row group
by row group, CSV/JSONL byte by byte). The combined file is moved to ``<path>``, or, for a
partitioned dataset, the directory is renamed to ``<path>``; nothing ever appears under the final
name half-written. An interrupted export leaves its parts and state behind, so ``resume=True``
continues from the last flushed part without losing or repeating rows, each cursor from where it
stood (with as many cursors as the interrupted run had); a new export without ``resume`` discards
them. An existing ``<path>`` is kept unless ``overwrite=True``.

The output format: an explicit ``format`` wins, but a path whose extension names another format is
refused; without ``format`` the extension decides (``.parquet``/``.pq``, ``.csv``, ``.jsonl``/``.ndjson``),
and a partitioned dataset, an unknown extension or none at all is Parquet (:func:`output_format`, which
the command line uses too).

This module drives the loop; the files, state and finish are `_files`, the lock `_lock`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ory_frames._errors import InvalidInputError
from ory_frames._query import IdentityFilters, SessionFilters, identity_filters, session_filters
from ory_frames._read import IdentityRead, SessionRead, with_progress
from ory_frames._types import PathOrURL
from ory_frames.convert import ConversionProblems
from ory_frames.export._files import (
    STATE_VERSION,
    ExportFormat,
    ParquetAppender,
    Target,
    arrow_schema_digest,
    cleanup,
    combined_path,
    finish,
    output_format,
    read_json,
    read_part,
    target_for,
    write_json,
    write_part,
)
from ory_frames.export._lock import exclusive
from ory_frames.pages import DEFAULT_BUFFER_BYTES, Cursor, PageStream

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ory_frames.client import Client
    from ory_frames.pages import Page

__all__ = ["FLUSH_SECONDS", "ExportFormat", "ExportResult", "export_identities", "export_sessions", "output_format"]

# Notes for the caller (the command line prints them with its flags' names): an interrupted export discarded.
logger = logging.getLogger("ory_frames.export")

# The longest buffered pages wait for a flush (checked as each page arrives): the work an interruption can lose.
FLUSH_SECONDS = 10.0


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: final path, rows, pages fetched, bytes on disk, wall time, whether resumed.

    ``shards`` is the number of cursors that read the identities; ``shard_fallback`` says why it is
    one although more were asked for (a filter that names identities, or a server that cannot be read
    by several cursors), else None.
    """

    path: str
    rows: int
    pages: int
    bytes: int
    seconds: float
    resumed: bool
    problems: Mapping[str, int]
    shards: int = 1
    shard_fallback: str | None = None


@exclusive  # one export per target; a full disk or a denied write is one ExportError
def _run(
    target: Target,
    read: IdentityRead | SessionRead,
    *,
    convert: Callable[[Sequence[Page]], pa.Table],
    resume: bool,
    overwrite: bool,
    progress: bool,
    batch_rows: int,
    flush_seconds: float,
) -> ExportResult:
    """Drive one export of ``read`` (schemas already fetched): pages -> parts (+ state after each) -> combine/rename."""
    started = time.perf_counter()
    kind, schema, problems = read.kind, read.converter.schema, read.converter.problems
    missing = [c for c in target.partition_by if c not in schema.names]
    if missing:
        raise InvalidInputError(f"partition_by names unknown columns: {missing}")
    if batch_rows <= 0:
        raise InvalidInputError(f"batch_rows must be positive, got {batch_rows}")
    if not flush_seconds >= 0:
        raise InvalidInputError(f"flush_seconds must be 0 or more, got {flush_seconds}")
    header = {
        "version": STATE_VERSION,
        "kind": kind,
        "format": target.fmt,
        "partition_by": target.partition_by,
        "params": read.params,
        "schema": arrow_schema_digest(schema),
    }
    state: dict[str, Any] | None = None
    if resume and target.exists(target.state):
        state = read_json(target, target.state)
        if {k: state.get(k) for k in header} != header:
            raise InvalidInputError(
                f"{target.state} belongs to a different export (kind, format, filters or schemas differ); "
                "delete it or export without resume=True"
            )
        if state.get("phase") == "renaming" and target.exists(target.path) and not target.exists(combined_path(target)):
            cleanup(target)  # the previous run had finished: only the clean-up was left
            return _result(target, state, started, resumed=True, problems=problems)
    elif target.exists(target.path) and not overwrite:
        raise FileExistsError(f"{target.path} exists; pass overwrite=True to replace it")
    if state is None:
        if not resume and target.exists(target.state):
            _note_discarded(target, header)
        cleanup(target)
        target.fs.create_dir(target.partial, recursive=True)
        state = {**header, "cursors": None, "done": False, "rows": 0, "pages": 0, "parts": 0, "phase": "writing"}
        write_json(target, target.state, state)
    resumed = state["rows"] > 0 or state["done"]
    for index, part in target.parts():
        if index >= state["parts"]:  # written after the last saved state: its rows will be fetched again
            target.fs.delete_file(part)
    if not state["done"]:
        single_parquet = target.fmt == "parquet" and not target.partition_by
        appender = ParquetAppender(target, schema) if single_parquet else None
        try:
            if appender is not None:
                for _, part in target.parts():  # parts a previous run flushed
                    appender.append(read_part(target, part))
            saved = Cursor.saved(state)
            pages = read.pages if saved is None else read.pages_from(saved)
            _pump(target, state, schema, convert, pages, progress, (batch_rows, flush_seconds), kind, appender)
        except BaseException:
            if appender is not None:
                appender.abort()
            raise
        if appender is not None:
            appender.close()
    finish(target, state, schema, overwrite)
    return _result(target, state, started, resumed=resumed, problems=problems)


def _note_discarded(target: Target, header: Mapping[str, Any]) -> None:
    """Warn (``ory_frames.export`` logger) that an interrupted export of the same parameters is started over."""
    with contextlib.suppress(Exception):  # an unreadable state is discarded without a word, as before
        old = read_json(target, target.state)
        if {k: old.get(k) for k in header} == header and old.get("rows"):
            logger.warning(
                "%s: an interrupted export of the same data (%s rows saved) is discarded and started over; "
                "resume=True would have continued it",
                target.path,
                f"{old['rows']:,}",
            )


def _pump(
    target: Target,
    state: dict[str, Any],
    schema: pa.Schema,
    convert: Callable[[Sequence[Page]], pa.Table],
    pages: PageStream,
    progress: bool,
    bounds: tuple[int, float],
    unit: str,
    appender: ParquetAppender | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Take pages as they arrive and convert them in groups, flushing a part (then the state) every ``batch_rows`` rows
    or, when a page arrives, once ``flush_seconds`` have passed since the last flush (``bounds``, in that order).

    The state saved with a part holds the cursors as they stand after its last page, so that a resume
    fetches exactly the pages not yet in a part; the fetcher threads stop however this ends.
    """
    batch_rows, flush_seconds = bounds
    buffer: list[Page] = []
    buffered = 0
    flushed_at = clock()

    def flush(done: bool) -> None:
        nonlocal buffer, buffered, flushed_at
        if buffered:
            table = convert(buffer)
            write_part(target, state["parts"], table)
            state["parts"] += 1
            if appender is not None:
                appender.append(table)
        state.update(
            cursors=[cursor.to_json() for cursor in pages.cursors],
            shard_fallback=pages.fallback,
            done=done,
            rows=state["rows"] + buffered,
            pages=state["pages"] + len(buffer),
        )
        state.pop("next_token", None)  # a state saved before cursors had only this; they replace it
        write_json(target, target.state, state)
        buffer, buffered = [], 0
        flushed_at = clock()
        collect()  # cheap here: the process's older objects are frozen and the buffer was just dropped

    with _gc_between_flushes() as collect:
        try:
            for page in with_progress(pages, progress, unit):
                buffer.append(page)
                buffered += len(page.items)
                if buffered >= batch_rows or pages.done or clock() - flushed_at >= flush_seconds:
                    flush(pages.done)
        finally:
            pages.close()
        if buffer or not state["done"]:
            flush(True)


@contextlib.contextmanager
def _gc_between_flushes() -> Iterator[Callable[[], None]]:
    """Collect cyclic garbage only when :func:`_pump` asks (at each flush), restoring the GC afterwards.

    The buffered pages hold hundreds of thousands of small objects; with automatic collection every
    new page would make the GC rescan all of them and every long-lived object of the process. What
    survives a collection (pages fetched ahead, among others) is frozen too, so that each collection
    scans only what arrived since the previous one; all is unfrozen at the end.
    """
    enabled = gc.isenabled()
    freeze = gc.get_freeze_count() == 0  # a caller's own frozen objects are left as they are
    gc.disable()
    if freeze:
        gc.freeze()

    def collect() -> None:
        gc.collect()
        if freeze:
            gc.freeze()

    try:
        yield collect
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()


def _result(
    target: Target, state: Mapping[str, Any], started: float, *, resumed: bool, problems: ConversionProblems
) -> ExportResult:
    problems.warn(stacklevel=4)
    return ExportResult(
        path=target.path,
        rows=int(state["rows"]),
        pages=int(state["pages"]),
        bytes=target.size(target.path),
        seconds=time.perf_counter() - started,
        resumed=resumed,
        problems=problems.as_dict(),
        shards=len(state.get("cursors") or [None]),
        shard_fallback=state.get("shard_fallback"),
    )


def export_identities(
    client: Client,
    path: PathOrURL,
    *,
    format: ExportFormat | None = None,
    partition_by: str | Sequence[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    filesystem: Any = None,
    page_size: int | None = None,
    batch_rows: int = 10_000,
    flush_seconds: float = FLUSH_SECONDS,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    **filters: Unpack[IdentityFilters],
) -> ExportResult:
    """Stream every identity matching the filters to a file or dataset, in constant memory.

    Every timestamp is UTC: typed in Parquet, and in CSV and JSON Lines written in one RFC 3339 form,
    top-level and nested alike: ``2023-12-20T07:20:43.512549Z`` (six fraction digits, ``Z``).

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    path
        Output file (or dataset directory with ``partition_by``): a local path or a URI such as
        ``file:///tmp/ids.parquet`` or ``s3://bucket/ids.parquet``.
    format
        ``"parquet"``, ``"csv"`` (nested columns as JSON text) or ``"jsonl"``. None: from the
        extension of ``path`` (``.parquet``/``.pq``, ``.csv``, ``.jsonl``/``.ndjson``); Parquet for a
        partitioned dataset, an unknown extension or none. A path whose extension names another format
        than ``format`` is refused.
    partition_by
        Column(s) for a hive-partitioned Parquet dataset, e.g. ``"schema_id"`` or ``"state"``.
    resume
        Continue an interrupted export of the same parameters from its state file. Without it, such
        an export is discarded and started over, with a warning on the ``ory_frames.export`` logger.
    overwrite
        Replace an existing output (only once the new one is complete).
    progress
        Draw a progress bar (tqdm.auto).
    filesystem
        A ``pyarrow.fs.FileSystem`` or an fsspec filesystem; ``path`` is then a path on it.
    page_size
        Identities per request; None asks for Ory's maximum, 500.
    batch_rows
        Rows buffered per flushed part; bounds memory and the work a resume repeats.
    flush_seconds
        Also flush, as a page arrives, once this long has passed since the last flush (default 10 s), so
        that an interruption of a slow or rate-limited export loses at most about that long of reading.
    keep_zero_time
        Write Go's zero time ``0001-01-01T00:00:00Z`` (an unset timestamp) as the year 1; by default
        it is written as null, in every timestamp column, nested ones included.
    shards
        Keyset cursors reading slices of the id space at once (identities come by random UUID, wire
        notes §1), sharing the client's rate budget: the same rows in another order, up to ``shards``
        times faster where server and budget allow. One cursor reads with the ``ids``,
        ``credentials_identifier`` or ``preview_credentials_identifier_similar`` filter, or (with a
        warning) from a server whose tokens are not plain UUIDs or that refuses one made here;
        :attr:`ExportResult.shard_fallback` says why. A resume keeps the interrupted run's cursors.
    buffer_bytes
        Bytes of answers fetched ahead of the conversion (parsed, pages take several times that).
    **filters
        The filters of ``GET /admin/identities``, as in :class:`~ory_frames.IdentityFilters` and
        :func:`~ory_frames.read_identities`; a resume needs the same ones.

    Returns
    -------
    ExportResult

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is false.
    InvalidInputError
        Bad options (such as a ``.csv`` path with ``format="parquet"``), or ``resume=True`` with a state
        file of a different export.
    TypeError
        A keyword that is no filter of :class:`~ory_frames.IdentityFilters`.

    Examples
    --------
    >>> from ory_frames import Client, export_identities, sandbox
    >>> with sandbox.running(seed_identities=50) as url, Client(url) as client:
    ...     export_identities(client, "identities.parquet").rows
    50
    """
    query = identity_filters("export_identities", filters)
    target = target_for(path, filesystem, output_format(path, format, partition_by), partition_by)
    read = IdentityRead(
        client, query, page_size=page_size, shards=shards, buffer_bytes=buffer_bytes, keep_zero_time=keep_zero_time
    )
    converter = read.converter  # the identity schemas are fetched here, once the options are known to be good
    return _run(
        target,
        read,
        convert=lambda pages: converter.convert_pages([p.items for p in pages], [p.content for p in pages]),
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        batch_rows=batch_rows,
        flush_seconds=flush_seconds,
    )


def export_sessions(
    client: Client,
    path: PathOrURL,
    *,
    format: ExportFormat | None = None,
    partition_by: str | Sequence[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    filesystem: Any = None,
    page_size: int | None = None,
    batch_rows: int = 10_000,
    flush_seconds: float = FLUSH_SECONDS,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    **filters: Unpack[SessionFilters],
) -> ExportResult:
    """Stream every session (``GET /admin/sessions``) to a file or dataset, in constant memory.

    The filters, ``active`` and ``expand``, are those of :class:`~ory_frames.SessionFilters`, as in
    :func:`ory_frames.read_sessions`: by default both ``identity``
    and ``devices`` are expanded, because Ory's list answer otherwise has ``"identity": null`` and
    the ``identity_id`` column would be null (wire notes §8); ``expand=()`` or ``None`` asks for
    no expansion (smaller answers, ``identity_id`` null, ``devices`` null). With ``identity``
    expanded, the ``identity.*`` columns are added, typed from the identity schemas. ``page_size``
    None asks for Ory's maximum, 1000. Sessions are read by one cursor: their page token is opaque
    (wire notes §1), so there is no range to split. The other parameters (``flush_seconds``,
    ``keep_zero_time`` and ``buffer_bytes`` too) and the timestamp forms are as in :func:`export_identities`.
    """
    query = session_filters("export_sessions", filters)
    target = target_for(path, filesystem, output_format(path, format, partition_by), partition_by)
    read = SessionRead(client, query, page_size=page_size, buffer_bytes=buffer_bytes, keep_zero_time=keep_zero_time)
    converter = read.converter  # with "identity" expanded, the identity schemas are fetched here
    return _run(
        target,
        read,
        convert=lambda pages: pa.Table.from_batches(
            [converter.convert(p.items, content=p.content) for p in pages], converter.schema
        ),
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        batch_rows=batch_rows,
        flush_seconds=flush_seconds,
    )
