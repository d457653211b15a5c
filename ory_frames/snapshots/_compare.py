"""Which cells of two aligned Arrow columns differ, by value, as write-back compares an edited frame.

Write-back's rule (``ory_frames/writeback/_diff.py``, :func:`ory_frames.writeback.cell_equal`): every
missing kind is alike (null, NaN, NaT), lists and structs are equal when their values are, JSON by its
parsed value, ``1 == 1.0`` but ``True != 1``. Here the common cases are decided by Arrow kernels over
whole columns; Python only looks at the cells Arrow cannot settle (JSON texts that differ, nested
values in blocks that differ, columns whose types differ between the snapshots).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ory_frames._schema import is_json_field, is_nested_arrow
from ory_frames.writeback import cell_equal

__all__ = ["changed_cells", "is_json", "plain"]

# Rows compared at once in Arrow before Python looks at single cells (as writeback/_diff.py _nested_changed).
_BLOCK = 512


def is_json(f: pa.Field) -> bool:
    """Whether a field holds JSON text: marked by ory_frames, or Arrow's JSON extension type."""
    return is_json_field(f) or getattr(f.type, "extension_name", None) == "arrow.json"


def plain(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array that compares by value: chunks joined, categories decoded, extension types as their storage."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _missing(array: pa.Array) -> np.ndarray:
    missing = array.is_null()
    if pa.types.is_floating(array.type):
        missing = pc.or_(missing, pc.fill_null(pc.is_nan(array), False))
    return np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool)


def _comparable(a: pa.Array, b: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """The two arrays cast to one scalar type Arrow can compare with ``==``, else None."""
    ta, tb = a.type, b.type
    if is_nested_arrow(ta) or is_nested_arrow(tb):
        return None
    if pa.types.is_timestamp(ta) and pa.types.is_timestamp(tb):
        # The same instant is equal whatever its unit or zone; a zone-less timestamp is read as UTC.
        unit = pa.timestamp("us", tz="UTC")
        return a.cast(unit), b.cast(unit)
    if ta == tb:
        return a, b
    numeric = (pa.types.is_integer(ta) or pa.types.is_floating(ta)) and (
        pa.types.is_integer(tb) or pa.types.is_floating(tb)
    )
    if numeric:
        return a.cast(pa.float64()), b.cast(pa.float64())
    if _is_text(ta) and _is_text(tb):
        return a.cast(pa.large_string()), b.cast(pa.large_string())
    return None


def _parsed(text: Any) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # text that is no JSON (a CSV cell) compares as the text it is
        return text


def _as_written(value: Any) -> Any:
    """A value as a text export writes it: timestamps as RFC 3339 UTC text, objects without their null members.

    Only for snapshots of two formats (a Parquet against a CSV or JSON Lines export): CSV and JSON Lines
    hold timestamps as text (export/_files.py, ``timestamps_as_text``), and Arrow reads the objects of
    JSON Lines as structs, whose absent members come back null.
    """
    if isinstance(value, datetime):
        utc = value.astimezone(timezone.utc) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dict):
        return {k: _as_written(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    return value


def _cells_differ(
    a: pa.Array, b: pa.Array, rows: np.ndarray, a_json: bool, b_json: bool, mixed: bool = False
) -> np.ndarray:
    """For the positions ``rows``, whether the cells differ by value (JSON text parsed first)."""
    left = a.take(pa.array(rows, pa.int64())).to_pylist()
    right = b.take(pa.array(rows, pa.int64())).to_pylist()
    if a_json:
        left = [_parsed(v) for v in left]
    if b_json:
        right = [_parsed(v) for v in right]
    if mixed:
        left, right = [_as_written(v) for v in left], [_as_written(v) for v in right]
    return np.fromiter((not cell_equal(x, y) for x, y in zip(left, right, strict=True)), bool, len(rows))


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _text_target(t: pa.DataType) -> pa.DataType | None:
    """The type text is cast to before it is compared with a column of type ``t``; None: compared as JSON or text."""
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t):
        return t
    return None


def _aligned(old: pa.Array, new: pa.Array, old_json: bool, new_json: bool) -> tuple[pa.Array, pa.Array, bool, bool]:
    """Two columns of different kinds made comparable: text read as the scalar type or JSON the other side holds.

    A CSV export holds every value as text, and lists, structs and JSON as JSON text (export/_files.py
    ``_csv_table``), which a Parquet export holds typed; text that does not cast stays text (and differs).
    """
    for text_first in (True, False):
        text, text_json = (old, old_json) if text_first else (new, new_json)
        other, other_json = (new, new_json) if text_first else (old, old_json)
        if text_json or not _is_text(text.type) or (_is_text(other.type) and not other_json):
            continue
        target = _text_target(other.type)
        if target is not None:
            try:
                cast = text.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            return (cast, new, old_json, new_json) if text_first else (old, cast, old_json, new_json)
        if other_json or is_nested_arrow(other.type):
            return (old, new, True, new_json) if text_first else (old, new, old_json, True)
    return old, new, old_json, new_json


def changed_cells(old: pa.Array, new: pa.Array, *, old_json: bool = False, new_json: bool = False) -> np.ndarray:
    """Boolean mask: True where two aligned columns (as :func:`plain` gives them) hold different values."""
    n = len(old)
    changed: np.ndarray = np.zeros(n, dtype=bool)
    if n == 0:
        return changed
    if old.type != new.type or old_json != new_json:
        old, new, old_json, new_json = _aligned(old, new, old_json, new_json)
    old_missing, new_missing = _missing(old), _missing(new)
    changed |= old_missing != new_missing
    both = ~old_missing & ~new_missing
    if not both.any():
        return changed
    if old_json or new_json:
        # Equal text is an equal value; differing text (key order, spacing, 1 against 1.0) is parsed.
        if old_json and new_json and old.type == new.type:
            same_text = np.asarray(pc.fill_null(pc.equal(old, new), False).to_numpy(zero_copy_only=False), bool)
            rows = np.flatnonzero(both & ~same_text)
        else:
            rows = np.flatnonzero(both)
        mixed = old.type != new.type or not (old_json and new_json)
        changed[rows] = _cells_differ(old, new, rows, old_json, new_json, mixed)
        return changed
    pair = _comparable(old, new)
    if pair is not None:
        equal = pc.fill_null(pc.equal(*pair), True)  # a pair with a missing side was settled above
        changed |= both & ~np.asarray(equal.to_numpy(zero_copy_only=False), bool)
        return changed
    if old.type == new.type:  # lists and structs: equal blocks are equal, cells of the others compared one by one
        for start in range(0, n, _BLOCK):
            if old.slice(start, _BLOCK).equals(new.slice(start, _BLOCK)):
                continue
            rows = start + np.flatnonzero(both[start : start + _BLOCK])
            changed[rows] = _cells_differ(old, new, rows, False, False)
        return changed
    rows = np.flatnonzero(both)  # types that differ between the snapshots: value by value
    changed[rows] = _cells_differ(old, new, rows, False, False, mixed=True)
    return changed
