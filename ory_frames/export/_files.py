"""Where an export goes and how it gets there: its format, numbered part files, the resume state and the atomic finish.

Each flush of :mod:`ory_frames.export` becomes one part file (an Arrow IPC file for Parquet output, a
CSV or JSONL fragment, or a hive-partitioned Parquet dataset write); the sidecar
``<path>.ory-frames-state.json`` is replaced atomically after each. :func:`finish` joins the parts
(or takes the file :class:`ParquetAppender` encoded as they came) and moves the result under ``<path>``.
:func:`output_format` is the one rule, for the API and the command line, that picks the format.
The lock ``<path>.ory-frames-lock`` that keeps a second export off the target is :mod:`ory_frames.export._lock`.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ory_frames._digest import sha256_hex
from ory_frames._errors import InvalidInputError
from ory_frames._schema import is_json_field
from ory_frames._types import PathOrURL
from ory_frames.convert import timestamps_as_text

__all__ = [
    "EXTENSIONS",
    "FORMAT_OF_EXTENSION",
    "LOCK_SUFFIX",
    "PARTIAL_SUFFIX",
    "STATE_SUFFIX",
    "STATE_VERSION",
    "ExportFormat",
    "ParquetAppender",
    "Target",
    "arrow_schema_digest",
    "cleanup",
    "combined_path",
    "finish",
    "output_format",
    "read_json",
    "read_part",
    "target_for",
    "write_json",
    "write_part",
]

ExportFormat = Literal["parquet", "csv", "jsonl"]

STATE_SUFFIX = ".ory-frames-state.json"
LOCK_SUFFIX = ".ory-frames-lock"
PARTIAL_SUFFIX = ".partial"
STATE_VERSION = 1
_PART = re.compile(r"^part-(\d{6})")
EXTENSIONS: dict[str, str] = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
# File extensions (compared in lower case) that name a format; any other extension, or none, names none.
FORMAT_OF_EXTENSION: dict[str, ExportFormat] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_COPY_CHUNK = 1 << 20


@dataclass
class Target:
    """Where an export goes: a filesystem, the final path on it, the format and the partition columns."""

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

    @property
    def lock(self) -> str:
        return self.path + LOCK_SUFFIX

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
        ext = "arrow" if self.fmt == "parquet" else EXTENSIONS[self.fmt]
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


def output_format(
    path: PathOrURL, format: str | None = None, partition_by: str | Sequence[str] | None = None
) -> ExportFormat:
    """The format an export of ``path`` writes: ``format`` if given, else the one its extension names, else Parquet.

    A path whose extension (``FORMAT_OF_EXTENSION``) names another format than an explicit ``format``
    is refused, so that no file carries a misleading name; a partitioned dataset is always Parquet.

    Raises
    ------
    InvalidInputError
        An unknown ``format``, an extension naming another format, or ``partition_by`` with CSV or JSONL.
    """
    if format is not None and format not in EXTENSIONS:
        raise InvalidInputError(f"format must be one of {sorted(EXTENSIONS)}, got {format!r}")
    text = os.fspath(path).rstrip("/")
    name = urlsplit(text).path if "://" in text else text
    extension = posixpath.splitext(name)[1] if "://" in text else os.path.splitext(name)[1]
    named = FORMAT_OF_EXTENSION.get(extension.lower())
    if format is not None and named is not None and named != format:
        raise InvalidInputError(
            f"the extension {extension!r} of {text!r} names the {named} format, but the format asked for is "
            f"{format}; change the extension or the format"
        )
    chosen = cast(ExportFormat, format or named or "parquet")
    if partition_by and chosen != "parquet":
        raise InvalidInputError(f"partition_by writes a Parquet dataset, not {chosen}")
    return chosen


def target_for(path: PathOrURL, filesystem: Any, fmt: str, partition_by: str | Sequence[str] | None) -> Target:
    """Filesystem and plain path from a local path, a URI (``file:///…``, ``s3://…``) or an explicit filesystem."""
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    text = os.fspath(path)
    if filesystem is not None:
        fs = (
            filesystem if isinstance(filesystem, pafs.FileSystem) else pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
        )
        return Target(fs, text.rstrip("/"), fmt, parts)
    if "://" in text:
        fs, plain = pafs.FileSystem.from_uri(text)
        return Target(fs, plain.rstrip("/"), fmt, parts)
    return Target(pafs.LocalFileSystem(), os.path.abspath(text), fmt, parts)


def write_json(target: Target, path: str, value: Any) -> None:
    """Replace a small JSON file atomically (write a sibling, then rename over)."""
    tmp = path + ".tmp"
    with target.fs.open_output_stream(tmp) as out:
        out.write(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    target.fs.move(tmp, path)


def read_json(target: Target, path: str) -> Any:
    """The parsed content of a small JSON file."""
    with target.fs.open_input_stream(path) as f:
        return orjson.loads(f.read())


def _dumps_cell(v: Any) -> str | None:
    return None if v is None else orjson.dumps(v).decode()


def _csv_table(table: pa.Table) -> pa.Table:
    """Flat columns for CSV: nested values as JSON text, JSON columns as their text, categories as strings.

    Every timestamp, top-level or nested, is written in the one RFC 3339 UTC form of
    :func:`ory_frames.convert._timestamps.timestamps_as_text` (``2023-12-20T07:20:43.512549Z``).
    """
    table = timestamps_as_text(table)
    columns = []
    for f, col in zip(table.schema, table.columns, strict=True):
        if is_json_field(f):
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
    """One JSON object per row; JSON columns are embedded as values, timestamps as RFC 3339 UTC text (one form)."""
    table = timestamps_as_text(table)
    json_cols = {f.name for f in table.schema if is_json_field(f)}
    lines = []
    for row in table.to_pylist():
        for name in json_cols:
            if row[name] is not None:
                row[name] = orjson.Fragment(row[name])
        lines.append(orjson.dumps(row))
    return b"\n".join(lines) + b"\n" if lines else b""


def write_part(target: Target, index: int, table: pa.Table) -> None:
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
        # An IPC file holds one dictionary per field: pages that met a new state each widened their own.
        with target.fs.open_output_stream(path) as out, pa.ipc.new_file(out, table.schema) as writer:
            writer.write_table(table.unify_dictionaries())
    elif target.fmt == "csv":
        flat = _csv_table(table)
        with target.fs.open_output_stream(path) as out:
            pacsv.write_csv(flat, out, write_options=pacsv.WriteOptions(include_header=index == 0))
    else:
        with target.fs.open_output_stream(path) as out:
            out.write(_jsonl_bytes(table))


def read_part(target: Target, part: str) -> pa.Table:
    """One Parquet-export part (an Arrow IPC file)."""
    with target.fs.open_input_file(part) as f:
        return pa.ipc.open_file(f).read_all()


def _combine(target: Target, schema: pa.Schema, dest: str) -> None:
    """Join the part files into one file at ``dest``, one part (one row group) in memory at a time."""
    parts = [p for _, p in target.parts()]
    if target.fmt == "parquet":
        with pq.ParquetWriter(dest, schema, filesystem=target.fs) as writer:
            for part in parts:
                writer.write_table(read_part(target, part))
        return
    with target.fs.open_output_stream(dest) as out:
        if not parts and target.fmt == "csv":
            pacsv.write_csv(_csv_table(schema.empty_table()), out)
        for part in parts:
            with target.fs.open_input_stream(part) as f:
                while chunk := f.read(_COPY_CHUNK):
                    out.write(chunk)


class ParquetAppender:
    """Encodes each flushed part into the combined Parquet file as it comes, in a background thread.

    Arrow encodes without the GIL, so this overlaps with fetching and converting the next pages; the
    file is moved to its combined name only once complete, else :func:`finish` rebuilds it from the parts.
    """

    def __init__(self, target: Target, schema: pa.Schema) -> None:
        self._target = target
        self._tmp = combined_path(target) + ".tmp"
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
        self._target.fs.move(self._tmp, combined_path(self._target))

    def abort(self) -> None:
        """Stop after an error; the unfinished file is left for the next run to overwrite."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self._writer.close()


def arrow_schema_digest(schema: pa.Schema) -> str:
    """The SHA-256 of an Arrow schema's IPC bytes (not JSON), so that a resume refuses parts of a different shape."""
    return sha256_hex(schema.serialize().to_pybytes())


def combined_path(target: Target) -> str:
    """Where the joined single file is built, inside the partial directory."""
    return f"{target.partial}/combined.{EXTENSIONS[target.fmt]}"


def finish(target: Target, state: dict[str, Any], schema: pa.Schema, overwrite: bool) -> None:
    """Move the finished output under its final name, then drop the partial directory and the state."""
    if not target.partition_by and not target.exists(combined_path(target)):
        _combine(target, schema, combined_path(target) + ".tmp")
        target.fs.move(combined_path(target) + ".tmp", combined_path(target))
    state["phase"] = "renaming"
    write_json(target, target.state, state)
    if target.exists(target.path):
        if not overwrite:
            raise FileExistsError(f"{target.path} appeared during the export; pass overwrite=True to replace it")
        target.remove(target.path)
    if target.partition_by:
        target.fs.move(target.partial, target.path)
    else:
        target.fs.move(combined_path(target), target.path)
    cleanup(target)


def cleanup(target: Target) -> None:
    """Remove the partial directory and the state sidecar (and its temporary sibling)."""
    target.remove(target.partial)
    target.remove(target.state)
    target.remove(target.state + ".tmp")
