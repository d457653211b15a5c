"""Stream identities or sessions to Parquet (one file or a partitioned dataset), CSV or JSONL.

Pages are buffered until ``batch_rows`` rows have arrived, then converted together into one table of
an Arrow schema fixed up front (from the identity schemas), written as one numbered part file under
``<path>.partial/``, and the sidecar ``<path>.ory-frames-state.json`` is replaced atomically with the
cursor (the next ``page_token``), the rows and pages written and the number of parts. Memory is
therefore bounded by ``batch_rows``, never by the size of the project.

For a single Parquet file each part is also encoded, in a background thread, into the combined file
as it is flushed; otherwise (and after a crash) the parts are joined at the end (Parquet row group by
row group, CSV/JSONL byte by byte). The combined file is moved to ``<path>``, or, for a partitioned
dataset, the directory is renamed to ``<path>``; nothing ever appears
under the final name half-written. An interrupted export leaves its parts and state behind, so
``resume=True`` continues from the last flushed part without losing or repeating rows; a new export
without ``resume`` discards them. An existing ``<path>`` is kept unless ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ._convert import ConversionProblems, IdentityConverter, SessionConverter
from ._errors import InvalidInputError
from ._schema import JSON_FIELD_METADATA, normalize_schemas, trait_columns
from ._types import Consistency, CredentialType, JSONObject, PathOrURL, SessionExpand

if TYPE_CHECKING:
    from ._client import Client
    from ._paging import Page

__all__ = ["ExportFormat", "ExportResult", "export_identities", "export_sessions"]

ExportFormat = Literal["parquet", "csv", "jsonl"]
STATE_SUFFIX = ".ory-frames-state.json"
PARTIAL_SUFFIX = ".partial"
_STATE_VERSION = 1
_PART = re.compile(r"^part-(\d{6})")
_EXTENSIONS: dict[str, str] = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
_COPY_CHUNK = 1 << 20


def fetch_schemas(client: Client) -> dict[str, JSONObject]:
    """Every identity schema of the project, ``{schema_id: JSON Schema}`` (one paged read)."""
    from ._paging import iter_identity_schemas

    items: list[JSONObject] = []
    for page in iter_identity_schemas(client):
        items.extend(page.items)
    return normalize_schemas(items)


def with_progress(pages: Iterable[Page], enabled: bool, unit: str) -> Iterator[Page]:
    """Pages, drawing a tqdm.auto bar counting their items when ``enabled``."""
    if not enabled:
        yield from pages
        return
    from tqdm.auto import tqdm

    with tqdm(unit=unit, unit_scale=True) as bar:
        for page in pages:
            yield page
            bar.update(len(page.items))


# Default `expand` of read_sessions / export_sessions. Without expand=identity the list answer has
# "identity": null (fact sheet section 8), so nothing would say whose session a row is.
DEFAULT_SESSION_EXPAND: tuple[SessionExpand, ...] = ("identity", "devices")


def expand_list(expand: SessionExpand | Sequence[SessionExpand] | None) -> list[SessionExpand]:
    """``expand`` as a list; None and ``()`` both mean no expansion."""
    if expand is None:
        return []
    if isinstance(expand, str):
        return [expand]
    return list(expand)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: final path, rows, pages fetched, bytes on disk, wall time, whether resumed."""

    path: str
    rows: int
    pages: int
    bytes: int
    seconds: float
    resumed: bool
    problems: Mapping[str, int]


@dataclass
class _Target:
    fs: pafs.FileSystem
    path: str
    fmt: str
    partition_by: list[str]

    @property
    def partial(self) -> str:
        return self.path + PARTIAL_SUFFIX

    @property
    def state(self) -> str:
        return self.path + STATE_SUFFIX

    def exists(self, path: str) -> bool:
        return bool(self.fs.get_file_info(path).type != pafs.FileType.NotFound)

    def remove(self, path: str) -> None:
        info = self.fs.get_file_info(path)
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(path)
        elif info.type != pafs.FileType.NotFound:
            self.fs.delete_file(path)

    def part_name(self, index: int) -> str:
        # Parquet parts are Arrow IPC files: cheap to write, and Parquet is encoded once, when combining.
        ext = "arrow" if self.fmt == "parquet" else _EXTENSIONS[self.fmt]
        return f"{self.partial}/part-{index:06d}.{ext}"

    def parts(self) -> list[tuple[int, str]]:
        """(index, path) of every part file under the partial directory, in index order."""
        if not self.exists(self.partial):
            return []
        selector = pafs.FileSelector(self.partial, recursive=True)
        found = []
        for info in self.fs.get_file_info(selector):
            match = _PART.match(info.base_name)
            if info.type == pafs.FileType.File and match:
                found.append((int(match.group(1)), info.path))
        return sorted(found)

    def size(self, path: str) -> int:
        info = self.fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            return int(info.size or 0)
        if info.type == pafs.FileType.Directory:
            infos = self.fs.get_file_info(pafs.FileSelector(path, recursive=True))
            return sum(int(i.size or 0) for i in infos if i.type == pafs.FileType.File)
        return 0


def _target(path: PathOrURL, filesystem: Any, fmt: str, partition_by: str | Sequence[str] | None) -> _Target:
    """Filesystem and plain path from a local path, a URI (``file:///…``, ``s3://…``) or an explicit filesystem."""
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    text = os.fspath(path)
    if filesystem is not None:
        fs = (
            filesystem if isinstance(filesystem, pafs.FileSystem) else pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
        )
        return _Target(fs, text.rstrip("/"), fmt, parts)
    if "://" in text:
        fs, plain = pafs.FileSystem.from_uri(text)
        return _Target(fs, plain.rstrip("/"), fmt, parts)
    return _Target(pafs.LocalFileSystem(), os.path.abspath(text), fmt, parts)


def _write_json(target: _Target, path: str, value: Any) -> None:
    """Replace a small JSON file atomically (write a sibling, then rename over)."""
    tmp = path + ".tmp"
    with target.fs.open_output_stream(tmp) as out:
        out.write(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    target.fs.move(tmp, path)


def _read_json(target: _Target, path: str) -> Any:
    with target.fs.open_input_stream(path) as f:
        return orjson.loads(f.read())


def _is_json(f: pa.Field) -> bool:
    return bool(f.metadata and f.metadata.get(b"ory_frames.json") == JSON_FIELD_METADATA[b"ory_frames.json"])


def _dumps_cell(v: Any) -> str | None:
    return None if v is None else orjson.dumps(v, option=orjson.OPT_NAIVE_UTC).decode()


def _csv_table(table: pa.Table) -> pa.Table:
    """Flat columns for CSV: nested values as JSON text, JSON columns as their text, categories as strings."""
    columns = []
    for f, col in zip(table.schema, table.columns, strict=True):
        if _is_json(f):
            col = (
                col.cast(pa.string())
                if not isinstance(f.type, pa.ExtensionType)
                else pa.chunked_array([c.storage for c in col.chunks], pa.string())
            )
        elif pa.types.is_list(f.type) or pa.types.is_struct(f.type):
            col = pa.array([_dumps_cell(v) for v in col.to_pylist()], pa.string())
        elif pa.types.is_dictionary(f.type):
            col = col.cast(pa.string())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _jsonl_bytes(table: pa.Table) -> bytes:
    """One JSON object per row; JSON columns are embedded as values, timestamps as RFC 3339."""
    json_cols = {f.name for f in table.schema if _is_json(f)}
    lines = []
    for row in table.to_pylist():
        for name in json_cols:
            if row[name] is not None:
                row[name] = orjson.Fragment(row[name])
        lines.append(orjson.dumps(row, option=orjson.OPT_NAIVE_UTC))
    return b"\n".join(lines) + b"\n" if lines else b""


def _write_part(target: _Target, index: int, table: pa.Table) -> None:
    """Write one flushed part (a dataset write for partitioned output)."""
    if target.partition_by:
        import pyarrow.dataset as pads

        pads.write_dataset(
            table,
            target.partial,
            format="parquet",
            partitioning=target.partition_by,
            partitioning_flavor="hive",
            basename_template=f"part-{index:06d}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            filesystem=target.fs,
        )
        return
    path = target.part_name(index)
    if target.fmt == "parquet":
        with target.fs.open_output_stream(path) as out, pa.ipc.new_file(out, table.schema) as writer:
            writer.write_table(table)
    elif target.fmt == "csv":
        flat = _csv_table(table)
        with target.fs.open_output_stream(path) as out:
            pacsv.write_csv(flat, out, write_options=pacsv.WriteOptions(include_header=index == 0))
    else:
        with target.fs.open_output_stream(path) as out:
            out.write(_jsonl_bytes(table))


def _read_part(target: _Target, part: str) -> pa.Table:
    """One Parquet-export part (an Arrow IPC file)."""
    with target.fs.open_input_file(part) as f:
        return pa.ipc.open_file(f).read_all()


def _combine(target: _Target, schema: pa.Schema, dest: str) -> None:
    """Join the part files into one file at ``dest``, one part (one row group) in memory at a time."""
    parts = [p for _, p in target.parts()]
    if target.fmt == "parquet":
        with pq.ParquetWriter(dest, schema, filesystem=target.fs) as writer:
            for part in parts:
                writer.write_table(_read_part(target, part))
        return
    with target.fs.open_output_stream(dest) as out:
        if not parts and target.fmt == "csv":
            pacsv.write_csv(_csv_table(schema.empty_table()), out)
        for part in parts:
            with target.fs.open_input_stream(part) as f:
                while chunk := f.read(_COPY_CHUNK):
                    out.write(chunk)


class _ParquetAppender:
    """Encodes each flushed part into the combined Parquet file as it comes, in a background thread.

    Arrow encodes without the GIL, so this overlaps with fetching and converting the next pages; the
    file is moved to its combined name only once complete, else :func:`_combine` rebuilds it from the parts.
    """

    def __init__(self, target: _Target, schema: pa.Schema) -> None:
        self._target = target
        self._tmp = _combined(target) + ".tmp"
        self._writer = pq.ParquetWriter(self._tmp, schema, filesystem=target.fs)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ory_frames-parquet")
        self._pending: Future[None] | None = None

    def append(self, table: pa.Table) -> None:
        """Queue one part (waiting for the previous one first, so at most one is held)."""
        self._wait()
        self._pending = self._executor.submit(self._writer.write_table, table)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Finish the file and give it the combined name."""
        try:
            self._wait()
            self._writer.close()
        finally:
            self._executor.shutdown(wait=True)
        self._target.fs.move(self._tmp, _combined(self._target))

    def abort(self) -> None:
        """Stop after an error; the unfinished file is left for the next run to overwrite."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self._writer.close()


def _fingerprint(schema: pa.Schema) -> str:
    return hashlib.sha256(schema.serialize().to_pybytes()).hexdigest()


def _run(
    target: _Target,
    *,
    kind: str,
    schema: pa.Schema,
    convert: Callable[[Sequence[Page]], pa.Table],
    pages_from: Callable[[str | None], Iterator[Page]],
    params: Mapping[str, Any],
    problems: ConversionProblems,
    resume: bool,
    overwrite: bool,
    progress: bool,
    batch_rows: int,
) -> ExportResult:
    """Drive one export: pages -> parts (+ state after each) -> combine/rename."""
    started = time.perf_counter()
    if target.fmt not in _EXTENSIONS:
        raise InvalidInputError(f"format must be one of {sorted(_EXTENSIONS)}, got {target.fmt!r}")
    if target.partition_by and target.fmt != "parquet":
        raise InvalidInputError("partition_by needs format='parquet'")
    missing = [c for c in target.partition_by if c not in schema.names]
    if missing:
        raise InvalidInputError(f"partition_by names unknown columns: {missing}")
    if batch_rows <= 0:
        raise InvalidInputError(f"batch_rows must be positive, got {batch_rows}")
    header = {
        "version": _STATE_VERSION,
        "kind": kind,
        "format": target.fmt,
        "partition_by": target.partition_by,
        "params": dict(params),
        "schema": _fingerprint(schema),
    }
    state: dict[str, Any] | None = None
    if resume and target.exists(target.state):
        state = _read_json(target, target.state)
        if {k: state.get(k) for k in header} != header:
            raise InvalidInputError(
                f"{target.state} belongs to a different export (kind, format, filters or schemas differ); "
                "delete it or export without resume=True"
            )
        if state.get("phase") == "renaming" and target.exists(target.path) and not target.exists(_combined(target)):
            _cleanup(target)  # the previous run had finished: only the clean-up was left
            return _result(target, state, started, resumed=True, problems=problems)
    elif target.exists(target.path) and not overwrite:
        raise FileExistsError(f"{target.path} exists; pass overwrite=True to replace it")
    if state is None:
        _cleanup(target)
        target.fs.create_dir(target.partial, recursive=True)
        state = {**header, "next_token": None, "done": False, "rows": 0, "pages": 0, "parts": 0, "phase": "writing"}
        _write_json(target, target.state, state)
    resumed = state["rows"] > 0 or state["done"]
    for index, part in target.parts():
        if index >= state["parts"]:  # written after the last saved state: its rows will be fetched again
            target.fs.delete_file(part)
    if not state["done"]:
        single_parquet = target.fmt == "parquet" and not target.partition_by
        appender = _ParquetAppender(target, schema) if single_parquet else None
        try:
            if appender is not None:
                for _, part in target.parts():  # parts a previous run flushed
                    appender.append(_read_part(target, part))
            pages = pages_from(state["next_token"])
            _pump(target, state, schema, convert, pages, progress, batch_rows, kind, appender)
        except BaseException:
            if appender is not None:
                appender.abort()
            raise
        if appender is not None:
            appender.close()
    _finish(target, state, schema, overwrite)
    return _result(target, state, started, resumed=resumed, problems=problems)


def _pump(
    target: _Target,
    state: dict[str, Any],
    schema: pa.Schema,
    convert: Callable[[Sequence[Page]], pa.Table],
    pages: Iterator[Page],
    progress: bool,
    batch_rows: int,
    unit: str,
    appender: _ParquetAppender | None = None,
) -> None:
    """Fetch pages and convert them in groups, flushing a part (then the state) every ``batch_rows`` rows."""
    buffer: list[Page] = []
    buffered = 0

    def flush(next_token: str | None) -> None:
        nonlocal buffer, buffered
        if buffered:
            table = convert(buffer)
            _write_part(target, state["parts"], table)
            state["parts"] += 1
            if appender is not None:
                appender.append(table)
        state.update(
            next_token=next_token,
            done=next_token is None,
            rows=state["rows"] + buffered,
            pages=state["pages"] + len(buffer),
        )
        _write_json(target, target.state, state)
        buffer, buffered = [], 0
        gc.collect()  # cheap here: the process's older objects are frozen and the buffer was just dropped

    with _gc_between_flushes():
        for page in with_progress(pages, progress, unit):
            buffer.append(page)
            buffered += len(page.items)
            if buffered >= batch_rows or page.next_token is None:
                flush(page.next_token)
        if buffer or not state["done"]:
            flush(None)


@contextlib.contextmanager
def _gc_between_flushes() -> Iterator[None]:
    """Collect cyclic garbage only when :func:`_pump` asks (at each flush), restoring the GC afterwards.

    The buffered pages hold hundreds of thousands of small objects; with automatic collection every
    new page would make the GC rescan all of them and every long-lived object of the process.
    """
    enabled = gc.isenabled()
    freeze = gc.get_freeze_count() == 0  # a caller's own frozen objects are left as they are
    gc.disable()
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()


def _combined(target: _Target) -> str:
    return f"{target.partial}/combined.{_EXTENSIONS[target.fmt]}"


def _finish(target: _Target, state: dict[str, Any], schema: pa.Schema, overwrite: bool) -> None:
    """Move the finished output under its final name, then drop the partial directory and the state."""
    if not target.partition_by and not target.exists(_combined(target)):
        _combine(target, schema, _combined(target) + ".tmp")
        target.fs.move(_combined(target) + ".tmp", _combined(target))
    state["phase"] = "renaming"
    _write_json(target, target.state, state)
    if target.exists(target.path):
        if not overwrite:
            raise FileExistsError(f"{target.path} appeared during the export; pass overwrite=True to replace it")
        target.remove(target.path)
    if target.partition_by:
        target.fs.move(target.partial, target.path)
    else:
        target.fs.move(_combined(target), target.path)
    _cleanup(target)


def _cleanup(target: _Target) -> None:
    target.remove(target.partial)
    target.remove(target.state)
    target.remove(target.state + ".tmp")


def _result(
    target: _Target, state: Mapping[str, Any], started: float, *, resumed: bool, problems: ConversionProblems
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
    )


def export_identities(
    client: Client,
    path: PathOrURL,
    *,
    format: ExportFormat = "parquet",
    partition_by: str | Sequence[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    filesystem: Any = None,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType] | None = None,
    consistency: Consistency | None = None,
    page_size: int = 500,
    batch_rows: int = 10_000,
) -> ExportResult:
    """Stream every identity matching the filters to a file or dataset, in constant memory.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    path
        Output file (or dataset directory with ``partition_by``): a local path or a URI such as
        ``file:///tmp/ids.parquet`` or ``s3://bucket/ids.parquet``.
    format
        ``"parquet"``, ``"csv"`` (nested columns as JSON text) or ``"jsonl"``.
    partition_by
        Column(s) for a hive-partitioned Parquet dataset, e.g. ``"schema_id"`` or ``"state"``.
    resume
        Continue an interrupted export of the same parameters from its state file.
    overwrite
        Replace an existing output (only once the new one is complete).
    progress
        Draw a progress bar (tqdm.auto).
    filesystem
        A ``pyarrow.fs.FileSystem`` or an fsspec filesystem; ``path`` is then a path on it.
    ids, credentials_identifier, preview_credentials_identifier_similar, organization_id, consistency
        The filters of ``GET /admin/identities`` (at most one of the first four).
    include_credential
        Credential types whose secret ``config`` is wanted as ``credentials.<type>.config`` columns.
    page_size
        Identities per request (at most 500).
    batch_rows
        Rows buffered per flushed part; bounds memory and the work a resume repeats.

    Returns
    -------
    ExportResult

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is false.
    InvalidInputError
        Bad options, or ``resume=True`` with a state file of a different export.

    Examples
    --------
    >>> from ory_frames import Client, export_identities, sandbox
    >>> with sandbox.running(seed_identities=50) as url:  # doctest: +SKIP
    ...     export_identities(Client(url), "identities.parquet").rows
    50
    """
    from ._paging import iter_identities

    target = _target(path, filesystem, format, partition_by)
    traits = trait_columns(fetch_schemas(client))
    converter = IdentityConverter(traits, include_credential=include_credential or ())
    filters: dict[str, Any] = {
        "ids": list(ids) if ids is not None else None,
        "credentials_identifier": credentials_identifier,
        "preview_credentials_identifier_similar": preview_credentials_identifier_similar,
        "organization_id": organization_id,
        "include_credential": list(include_credential) if include_credential else None,
        "consistency": consistency,
    }

    def pages_from(token: str | None) -> Iterator[Page]:
        return iter_identities(client, page_size=page_size, page_token=token, **filters)

    return _run(
        target,
        kind="identities",
        schema=converter.schema,
        convert=lambda pages: converter.convert_pages([page.items for page in pages]),
        pages_from=pages_from,
        params={**filters, "page_size": page_size},
        problems=converter.problems,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        batch_rows=batch_rows,
    )


def export_sessions(
    client: Client,
    path: PathOrURL,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    format: ExportFormat = "parquet",
    partition_by: str | Sequence[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    filesystem: Any = None,
    page_size: int = 1000,
    batch_rows: int = 10_000,
) -> ExportResult:
    """Stream every session (``GET /admin/sessions``) to a file or dataset, in constant memory.

    ``active`` and ``expand`` are as in :func:`ory_frames.read_sessions`: by default both ``identity``
    and ``devices`` are expanded, because Ory's list answer otherwise has ``"identity": null`` and
    the ``identity_id`` column would be null (fact sheet section 8); ``expand=()`` or ``None`` asks for
    no expansion (smaller answers, ``identity_id`` null, ``devices`` null). With ``identity``
    expanded, the ``identity.*`` columns are added, typed from the identity schemas. The other
    parameters are as in :func:`export_identities`.
    """
    from ._paging import iter_sessions

    target = _target(path, filesystem, format, partition_by)
    expands = [str(e) for e in expand_list(expand)]
    converter = SessionConverter(trait_columns(fetch_schemas(client)) if "identity" in expands else None)

    def pages_from(token: str | None) -> Iterator[Page]:
        return iter_sessions(client, active=active, expand=expands or None, page_size=page_size, page_token=token)

    return _run(
        target,
        kind="sessions",
        schema=converter.schema,
        convert=lambda pages: pa.Table.from_batches([converter.convert(p.items) for p in pages], converter.schema),
        pages_from=pages_from,
        params={"active": active, "expand": expands or None, "page_size": page_size},
        problems=converter.problems,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        batch_rows=batch_rows,
    )
