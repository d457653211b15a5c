"""Timestamps at any depth of Arrow data: Go's zero time as null, and the one RFC 3339 text form of exports.

Ory writes an unset Go ``time.Time`` as ``0001-01-01T00:00:00Z`` (wire notes §3: timestamps are Go
``time.Time`` values); read as a date it is the year 1, outside the nanosecond range that pandas' epoch
JSON form goes through (``to_json()`` overflows; ``to_json(date_format="iso")`` does not), and it drags
every mean back a thousand years. ``keep_zero_time=True`` keeps it as a microsecond timestamp like any
other, which Arrow, Parquet and ISO JSON hold exactly. :func:`null_zero_times`
turns that instant into null in every timestamp column, top-level or nested (address, device and
authentication-method structs alike). :func:`timestamps_as_text` writes every timestamp, at any
depth, as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, always six fraction digits), the single form CSV and
JSON Lines exports use. Both are pure and keep the shape of the arrays they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["GO_ZERO_TIME", "RFC3339_FORMAT", "has_timestamp", "null_zero_times", "timestamps_as_text"]

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
# Go's zero time in microseconds since the Unix epoch: 719162 days before 1970-01-01.
_ZERO_US = -719_162 * 86_400 * 1_000_000
# "%S" of a microsecond timestamp prints the seconds with their six fraction digits.
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_Table = TypeVar("_Table", pa.Table, pa.RecordBatch)
_Mapper = Callable[[pa.Array], pa.Array]


def has_timestamp(arrow_type: pa.DataType) -> bool:
    """Whether a type is, or holds at any depth of lists and structs, a timestamp."""
    if pa.types.is_timestamp(arrow_type):
        return True
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return has_timestamp(arrow_type.value_type)
    if pa.types.is_struct(arrow_type):
        return any(has_timestamp(f.type) for f in arrow_type)
    return False


def _text_type(arrow_type: pa.DataType) -> pa.DataType:
    """The same type with every timestamp as string."""
    if pa.types.is_timestamp(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type):
        return pa.list_(arrow_type.value_field.with_type(_text_type(arrow_type.value_type)))
    if pa.types.is_large_list(arrow_type):
        return pa.large_list(arrow_type.value_field.with_type(_text_type(arrow_type.value_type)))
    if pa.types.is_struct(arrow_type):
        return pa.struct([f.with_type(_text_type(f.type)) for f in arrow_type])
    return arrow_type


def _map(array: pa.Array, fn: _Mapper) -> pa.Array:
    """``array`` with ``fn`` applied to every timestamp array inside it (lists and structs rebuilt around)."""
    arrow_type = array.type
    if pa.types.is_timestamp(arrow_type):
        return fn(array)
    if not has_timestamp(arrow_type):
        return array
    mask = array.is_null() if array.null_count else None
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        values = _map(array.values, fn)
        kind = pa.ListArray if pa.types.is_list(arrow_type) else pa.LargeListArray
        new_type = (pa.list_ if pa.types.is_list(arrow_type) else pa.large_list)(
            arrow_type.value_field.with_type(values.type)
        )
        return kind.from_arrays(array.offsets, values, type=new_type, mask=mask)
    children = [_map(child, fn) for child in array.flatten()]
    fields = [f.with_type(c.type) for f, c in zip(arrow_type, children, strict=True)]
    return pa.StructArray.from_arrays(children, fields=fields, mask=mask)


def _map_columns(table: _Table, fn: _Mapper, type_of: Callable[[pa.DataType], pa.DataType]) -> _Table:
    """``table`` with ``fn`` applied to every timestamp inside every column; ``type_of`` gives a column's new type."""
    if not any(has_timestamp(f.type) for f in table.schema):
        return table
    columns = []
    fields = []
    for f, column in zip(table.schema, table.columns, strict=True):
        if has_timestamp(f.type):
            if isinstance(column, pa.ChunkedArray):
                column = pa.chunked_array([_map(c, fn) for c in column.chunks], type_of(f.type))
            else:
                column = _map(column, fn)
            f = f.with_type(column.type)
        columns.append(column)
        fields.append(f)
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return type(table).from_arrays(columns, schema=schema)


def _null_zero(ts: pa.Array) -> pa.Array:
    """A timestamp array with Go's zero time as null (untouched, and not copied, when it holds none)."""
    if not len(ts) or ts.null_count == len(ts):
        return ts
    zero = pa.scalar(_ZERO_US, pa.int64()).cast(ts.type)
    is_zero = pc.equal(ts, zero)
    if not pc.any(is_zero).as_py():
        return ts
    return pc.if_else(is_zero, pa.scalar(None, ts.type), ts)


def _as_text(ts: pa.Array) -> pa.Array:
    """Timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    utc = ts.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    return pc.strftime(utc, format=RFC3339_FORMAT)


def null_zero_times(table: _Table) -> _Table:
    """Every Go zero time (``0001-01-01T00:00:00Z``) in every timestamp column, at any depth, as null."""
    return _map_columns(table, _null_zero, lambda t: t)


def timestamps_as_text(table: _Table) -> _Table:
    """Every timestamp, top-level or nested, as RFC 3339 UTC text with six fraction digits (for CSV and JSON Lines)."""
    return _map_columns(table, _as_text, _text_type)
