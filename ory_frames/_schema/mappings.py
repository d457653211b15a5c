"""Every type mapping of the package, as data: JSON Schema -> Arrow -> pandas, and back to JSON types for write-back.

The tables must match the ``traits.<path>`` row and the dtype column of the table in
docs/architecture.md ("Frames and Arrow"). pandas is named here only by dtype names and kinds, so
this module (like the rest of ``_schema``) imports no pandas; :func:`pandas_types_mapper` imports it
when the frame edge asks for real dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

__all__ = [
    "ARROW_JSON_TYPES",
    "DTYPE_KIND_JSON_TYPES",
    "EXACT_PYTHON_TYPES",
    "JSON_FIELD_METADATA",
    "JSON_TYPE",
    "PANDAS_DTYPE_NAMES",
    "SCALAR_ARROW_TYPES",
    "SCALAR_JSON_TYPES",
    "STRING_FORMAT_ARROW_TYPES",
    "has_exact_type",
    "is_json_field",
    "is_nested_arrow",
    "json_type_for_dtype",
    "json_type_of_arrow",
    "pandas_types_mapper",
]

# JSON text columns use Arrow's canonical JSON extension type where pyarrow has it (>= 19); the field
# metadata marks them either way, so readers of older files still know the string holds JSON.
JSON_TYPE: pa.DataType = pa.json_() if hasattr(pa, "json_") else pa.string()
JSON_FIELD_METADATA: dict[bytes, bytes] = {b"ory_frames.json": b"1"}

SCALAR_JSON_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean")

# JSON Schema scalar "type" -> Arrow type: integer is int64 (nullable), number float64.
SCALAR_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}

# String "format" -> Arrow type, where it differs from plain string. Formats not listed (email, tel,
# uri, date, ...) stay strings: Ory sends traits back exactly as stored (wire notes §3), and a `date`
# or `tel` kept as text round-trips unchanged. date-time becomes a UTC timestamp; write-back turns it
# back into an RFC 3339 string (TraitInfo.format tells it to).
STRING_FORMAT_ARROW_TYPES: dict[str, pa.DataType] = {
    "date-time": pa.timestamp("us", tz="UTC"),
}

# Arrow type -> JSON type of the values a column of that type holds (the inverse of the two tables
# above; timestamps are date-time strings on the wire). Lists are "array"; JSON text fields are "json".
ARROW_JSON_TYPES: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "integer",
    pa.float64(): "number",
    pa.bool_(): "boolean",
    pa.timestamp("us", tz="UTC"): "string",
}

# Arrow type -> pandas nullable dtype name, for `Table.to_pandas(types_mapper=...)`. Nested types become
# pd.ArrowDtype (see pandas_types_mapper); other types not listed keep pyarrow's default: timestamps with
# tz stay datetime64[us, UTC], dictionaries become category.
PANDAS_DTYPE_NAMES: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "Int64",
    pa.int8(): "Int8",
    pa.float64(): "Float64",
    pa.bool_(): "boolean",
}

# pandas dtype kind -> the JSON type write-back sends a trait cell of that dtype as, when no schema
# types the column. Only kinds whose values cannot be mistaken are listed: a float column may hold
# whole numbers that lost their integer type to NaN, and object/string columns hold anything.
DTYPE_KIND_JSON_TYPES: dict[str, str] = {"b": "boolean", "i": "integer", "u": "integer"}

# Exact Python types (tested with `type(v) in ...`, never isinstance) a value of each JSON type may
# have. One rule for every converter: a number accepts int (JSON has one number type; 3 is a number),
# but bool is never an integer or a number, though Python's bool subclasses int.
EXACT_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (float, int),
    "boolean": (bool,),
}


def has_exact_type(value: Any, json_type: str) -> bool:
    """Whether ``value`` is, exactly, a Python value of the scalar JSON type (``True`` is no integer)."""
    return type(value) in EXACT_PYTHON_TYPES.get(json_type, ())


def is_json_field(f: pa.Field) -> bool:
    """Whether an Arrow field holds JSON text (marked with :data:`JSON_FIELD_METADATA`)."""
    return bool(f.metadata and f.metadata.get(b"ory_frames.json") == JSON_FIELD_METADATA[b"ory_frames.json"])


def json_type_of_arrow(f: pa.Field) -> str | None:
    """The JSON type of the values of an Arrow field: ``json`` for JSON text, ``array`` for lists.

    None for a type no table lists.
    """
    if is_json_field(f):
        return "json"
    if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
        return "array"
    return ARROW_JSON_TYPES.get(f.type)


_pandas_dtypes: dict[pa.DataType, Any] = {}


def is_nested_arrow(t: pa.DataType) -> bool:
    """Whether an Arrow type nests values (lists, structs, maps): such columns stay Arrow-backed in pandas."""
    return bool(
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_struct(t)
        or pa.types.is_map(t)
    )


def _pandas_dtype(t: pa.DataType) -> Any:
    """A scalar type's nullable dtype from the table, ``pd.ArrowDtype`` for a nested type, else None."""
    if t in _pandas_dtypes:
        return _pandas_dtypes[t]
    if is_nested_arrow(t):
        import pandas as pd

        # No Python object per list or struct: pandas' .list and .struct accessors work on the Arrow data.
        return pd.ArrowDtype(t)
    return None


def pandas_types_mapper() -> Callable[[pa.DataType], Any]:
    """The ``types_mapper`` for ``Table.to_pandas``: Arrow type -> pandas dtype, or None (pyarrow's default).

    Scalars get the nullable dtypes of :data:`PANDAS_DTYPE_NAMES`; lists, structs and maps ``pd.ArrowDtype``.
    """
    if not _pandas_dtypes:
        import pandas as pd  # the frame edge asks for this; the schema model itself needs no pandas

        _pandas_dtypes.update({t: pd.api.types.pandas_dtype(name) for t, name in PANDAS_DTYPE_NAMES.items()})
    return _pandas_dtype


def json_type_for_dtype(dtype: Any) -> str | None:
    """The JSON type write-back sends cells of a pandas dtype as, without a schema: by the dtype's kind.

    A categorical dtype counts as the dtype of its categories. None when the kind says nothing sure
    (see :data:`DTYPE_KIND_JSON_TYPES`).
    """
    categories = getattr(dtype, "categories", None)
    if categories is not None:
        dtype = categories.dtype
    kind = getattr(dtype, "kind", None)
    return DTYPE_KIND_JSON_TYPES.get(kind) if isinstance(kind, str) else None
