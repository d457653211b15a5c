"""The read path's Arrow batches as dlt takes them: JSON columns as text, dotted names as dlt's nesting, tombstones.

No second conversion: the batches of :func:`ory_frames.iter_identity_batches` and
:func:`ory_frames.iter_session_batches` are only relabelled here (no value is read or copied), so dlt loads them
as Arrow and skips its JSON normaliser (dlt docs, "Arrow tables and pandas frames").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import pyarrow as pa

__all__ = ["DELETED_AT", "NESTING", "TABLE_ROWS", "coalesce", "for_dlt", "tombstones"]

# The column that marks a row whose id Ory no longer lists; null on every live row.
DELETED_AT = "deleted_at"
# dlt's path separator (its snake_case naming convention joins nested JSON keys with "__"): `traits.name.first`
# becomes `traits__name__first`, the column dlt would make of `{"traits": {"name": {"first": ...}}}`.
NESTING = "__"
_DELETED_AT_TYPE = pa.timestamp("us", tz="UTC")
# Rows per table handed to dlt. dlt works out a table's schema for every item it is given (some 30 ms each on a
# 2-core machine), so twenty pages of 500 go as one table; 10 000 identities hold some 10-20 MB.
TABLE_ROWS = 10_000


def for_dlt(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with a ``deleted_at`` column of nulls, ``id`` not nullable (dlt's primary key) and plain types.

    Arrow's JSON extension type (``metadata_public``, ``metadata_admin``, ``extra_fields``, object traits),
    which dlt refuses, is replaced by its storage, the JSON text, as the Parquet exports hold it. Dots in names
    become ``__``. Lists and structs stay as they are: dlt loads them as its ``json`` type.
    """
    fields: list[pa.Field] = []
    columns: list[pa.Array] = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if isinstance(field.type, pa.BaseExtensionType):
            column = column.storage
        name = field.name.replace(".", NESTING)
        fields.append(pa.field(name, column.type, nullable=field.name != "id"))
        columns.append(column)
    fields.append(pa.field(DELETED_AT, _DELETED_AT_TYPE))
    columns.append(pa.nulls(batch.num_rows, _DELETED_AT_TYPE))
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


def coalesce(batches: Iterable[pa.RecordBatch], rows: int = TABLE_ROWS) -> Iterator[pa.Table]:
    """The batches (of one schema) gathered into tables of about ``rows`` rows, without copying their buffers."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(held)
            held, count = [], 0
    if held:
        yield pa.Table.from_batches(held)


def tombstones(ids: Iterable[str], deleted_at: datetime, schema: pa.Schema | None = None) -> pa.Table:
    """One row per id: the ``id``, when it was found gone and nulls; merged, it empties the row's other columns.

    ``schema``, that of the run's batches, gives the table every column (all null but two): dlt buffers the
    tables of a resource together and refuses to concatenate different schemas.
    """
    listed = list(ids)
    schema = schema or pa.schema([pa.field("id", pa.string(), nullable=False), pa.field(DELETED_AT, _DELETED_AT_TYPE)])
    given = {
        "id": pa.array(listed, pa.string()),
        DELETED_AT: pa.array([deleted_at] * len(listed), _DELETED_AT_TYPE),
    }
    columns = [given.get(field.name, pa.nulls(len(listed), field.type)) for field in schema]
    return pa.Table.from_arrays(columns, schema=schema)
