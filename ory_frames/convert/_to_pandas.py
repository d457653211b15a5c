"""The Arrow -> pandas edge of every read: ``table_to_frame`` and the ``df.attrs["ory_frames"]`` a frame carries.

The keys of ``attrs`` are listed in :mod:`ory_frames.frames`; write-back relies on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa

from ory_frames._schema import TraitInfo, is_json_field, is_nested_arrow, pandas_types_mapper
from ory_frames._types import JSONObject
from ory_frames.convert._json_dtype import JsonArray
from ory_frames.convert._records import ConversionProblems

__all__ = ["ATTRS_KEY", "attrs", "now", "table_to_frame"]

ATTRS_KEY = "ory_frames"


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of our schema as a DataFrame: nullable scalar dtypes, Arrow-backed nested and JSON columns.

    Lists and structs (addresses, devices, ``emails``, list traits ...) are ``pd.ArrowDtype`` columns,
    used through pandas' ``.list`` and ``.struct`` accessors; a cell (``df.loc[i, column]``) or
    ``.tolist()`` gives Python lists and dicts. JSON columns keep their text and parse a cell when
    it is looked at (:class:`~ory_frames.convert._json_dtype.JsonArray`). No Python object per value is made here.
    """
    json_fields = [(i, f) for i, f in enumerate(table.schema) if is_json_field(f)]
    plain = table.drop_columns([f.name for _, f in json_fields]) if json_fields else table
    for position, f in enumerate(plain.schema):
        column = plain.column(position)
        if is_nested_arrow(f.type) and column.num_chunks > 1:
            # One chunk per page read: joined once, so that a cell lookup does not walk the pages.
            plain = plain.set_column(position, f, pa.chunked_array([column.combine_chunks()], f.type))
    df: pd.DataFrame = plain.to_pandas(types_mapper=pandas_types_mapper())
    for i, f in json_fields:
        df.insert(i, f.name, pd.Series(JsonArray.from_arrow(table.column(f.name)), index=df.index))
    return df


def now() -> str:
    """The current time as RFC 3339 UTC text (when a read started)."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _trait_attrs(traits: Mapping[str, TraitInfo]) -> dict[str, dict[str, Any]]:
    """What write-back needs to know of each trait column."""
    return {
        col: {
            "pointer": info.pointer,
            "json_type": info.json_type,
            "item_json_type": info.item_json_type,
            "format": info.format,
            "schema_ids": list(info.schema_ids),
        }
        for col, info in traits.items()
    }


def attrs(
    kind: str,
    schemas: Mapping[str, JSONObject],
    traits: Mapping[str, TraitInfo],
    *,
    read_at: str,
    filters: Mapping[str, Any],
    problems: ConversionProblems,
    inferred: bool = False,
    include_credential: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``df.attrs["ory_frames"]`` of a frame (keys listed in :mod:`ory_frames.frames`)."""
    return {
        "kind": kind,
        "schemas": dict(schemas),
        "schemas_inferred": inferred,
        "trait_columns": _trait_attrs(traits),
        "read_at": read_at,
        "filters": {k: v for k, v in filters.items() if v is not None},
        "include_credential": list(include_credential),
        "problems": problems.as_dict(),
    }
