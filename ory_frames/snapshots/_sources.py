"""A snapshot in: a DataFrame, an Arrow table, or an export on disk, as a schema and a stream of record batches.

An export is what :mod:`ory_frames.export` writes: one Parquet file, a partitioned Parquet dataset (a
directory of hive partitions such as ``schema_id=customer/``), a CSV or a JSON Lines file. Files are read
through ``pyarrow.dataset`` a batch at a time, so opening a snapshot holds no more than one batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.fs as pafs

from ory_frames._errors import InvalidInputError
from ory_frames._schema import JSON_FIELD_METADATA
from ory_frames.export import output_format

__all__ = ["ID", "Snapshot", "open_snapshot"]

ID = "id"
_BATCH_ROWS = 16_384
JSON_DTYPE_NAME = "ory_frames.json"  # the name of convert/_json_dtype.py's JsonDtype, whose text Arrow gets
# Bytes of a CSV or JSON Lines export per identity, about (a sandbox export: 1.2-1.6 KB): only used to pick
# how many buckets to spread a file over before its rows are counted.
_TEXT_BYTES_PER_ROW = 1_000


@dataclass
class Snapshot:
    """One side of a diff: a name for messages, its Arrow schema, its size and a way to stream its batches."""

    label: str
    schema: pa.Schema
    rows: int  # exact for frames, tables and Parquet; estimated from the size for CSV and JSON Lines
    _table: pa.Table | None = None
    _dataset: pads.Dataset | None = None

    @property
    def table(self) -> pa.Table | None:
        """The rows, if they are already in memory (a frame or a table)."""
        return self._table

    def batches(self, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """The snapshot's rows, ``columns`` only, a batch at a time."""
        if self._table is not None:
            yield from self._table.select(list(columns)).to_batches(max_chunksize=_BATCH_ROWS)
            return
        assert self._dataset is not None
        # No read-ahead and no pre-buffering: with pyarrow's defaults a scan of a million-row export holds
        # about 1 GB (16 batches and 4 files ahead), without them about one batch (benchmarks/diff.py).
        yield from self._dataset.to_batches(
            columns=list(columns), batch_size=_BATCH_ROWS, batch_readahead=0, fragment_readahead=0, use_threads=False
        )


def open_snapshot(value: Any, label: str) -> Snapshot:
    """A :class:`Snapshot` of a DataFrame, a ``pyarrow.Table`` or a path or URL of an export.

    Raises
    ------
    InvalidInputError
        Something else, a path that does not exist, or a snapshot without an ``id`` column.
    """
    if isinstance(value, pa.Table):
        return _checked(Snapshot(label, value.schema, value.num_rows, _table=value))
    if hasattr(value, "columns") and hasattr(value, "dtypes"):  # a DataFrame; pandas is not imported for this
        table = _marked(pa.Table.from_pandas(value, preserve_index=False), value)
        return _checked(Snapshot(label, table.schema, table.num_rows, _table=table))
    if not isinstance(value, str | os.PathLike):
        raise InvalidInputError(
            f"{label} must be a DataFrame, a pyarrow.Table or the path of an export, not {type(value).__name__}"
        )
    return _checked(_open_path(os.fspath(value), label))


def _marked(table: pa.Table, frame: Any) -> pa.Table:
    """The table of a frame, its JSON columns (``ory_frames.json`` dtype) marked as JSON text as a read marks them."""
    fields = [
        f.with_metadata(JSON_FIELD_METADATA) if str(frame.dtypes.iloc[i]) == JSON_DTYPE_NAME else f
        for i, f in enumerate(table.schema)
    ]
    return table.cast(pa.schema(fields))


def _open_path(text: str, label: str) -> Snapshot:
    if "://" in text:
        fs, path = pafs.FileSystem.from_uri(text)
    else:
        fs, path = pafs.LocalFileSystem(), os.path.abspath(text)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InvalidInputError(f"{label} {text!r} does not exist")
    # The extension decides as it does for an export (.csv, .jsonl/.ndjson, else Parquet); a directory is Parquet.
    fmt = output_format(path) if info.type == pafs.FileType.File else "parquet"
    file_format: Any = "json" if fmt == "jsonl" else fmt
    if fmt == "parquet":
        scan = pads.ParquetFragmentScanOptions(pre_buffer=False)
        file_format = pads.ParquetFileFormat(default_fragment_scan_options=scan)
    if fmt == "csv":
        # Every column is read as the text it holds: inference would read "+4917599545643" as a number, and
        # differently in two files. The comparison reads text as the type the other snapshot has (_compare.py).
        # An export writes a null as an empty cell and an empty text as "" (pyarrow.csv.write_csv).
        with fs.open_input_stream(path) as f:
            names = pacsv.open_csv(f).schema.names
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, quoted_strings_can_be_null=False
        )
        file_format = pads.CsvFileFormat(convert_options=convert)
    # A partitioned export is a hive dataset (export/_files.py write_part: partitioning_flavor="hive").
    partitioning = "hive" if info.type == pafs.FileType.Directory else None
    try:
        dataset = pads.dataset(path, format=file_format, filesystem=fs, partitioning=partitioning)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInputError(f"{label} {text!r} cannot be read as {fmt}: {exc}") from exc
    # Parquet counts its rows from the footers, without reading them; text files are estimated from their size.
    rows = dataset.count_rows() if fmt == "parquet" else int(info.size or 0) // _TEXT_BYTES_PER_ROW
    return Snapshot(text, dataset.schema, rows, _dataset=dataset)


def _checked(snapshot: Snapshot) -> Snapshot:
    if ID not in snapshot.schema.names:
        raise InvalidInputError(f"{snapshot.label} has no {ID!r} column: a snapshot is an identities frame or export")
    return snapshot
