"""The type tables of the schema model: Arrow -> pandas, pandas dtype -> JSON type, exact Python types."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ory_frames._schema import (
    EXACT_PYTHON_TYPES,
    JSON_FIELD_METADATA,
    JSON_TYPE,
    PANDAS_DTYPE_NAMES,
    SCALAR_ARROW_TYPES,
    STRING_FORMAT_ARROW_TYPES,
    has_exact_type,
    is_json_field,
    json_type_for_dtype,
    json_type_of_arrow,
    pandas_types_mapper,
)

TS = pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize(
    ("arrow_type", "dtype"),
    [
        (pa.string(), pd.StringDtype()),
        (pa.large_string(), pd.StringDtype()),
        (pa.int64(), pd.Int64Dtype()),
        (pa.int8(), pd.Int8Dtype()),
        (pa.float64(), pd.Float64Dtype()),
        (pa.bool_(), pd.BooleanDtype()),
        (TS, None),  # pyarrow's default: datetime64[us, UTC]
        (pa.dictionary(pa.int8(), pa.string()), None),  # pyarrow's default: category
    ],
)
def test_pandas_types_mapper(arrow_type: pa.DataType, dtype: Any) -> None:
    assert pandas_types_mapper()(arrow_type) == dtype


def test_every_scalar_column_type_gets_a_nullable_dtype() -> None:
    # A trait column may be null in any row: every typed scalar trait needs a nullable pandas dtype.
    scalar = {*SCALAR_ARROW_TYPES.values()} - set(STRING_FORMAT_ARROW_TYPES.values())
    assert scalar <= set(PANDAS_DTYPE_NAMES)
    table = pa.table({str(t): pa.array([None], t) for t in scalar})
    frame = table.to_pandas(types_mapper=pandas_types_mapper())
    assert frame.isna().all(axis=None)
    assert all(isinstance(d, pd.api.extensions.ExtensionDtype) for d in frame.dtypes)


def _by_pandas_api(dtype: Any) -> str | None:
    """What write-back decided with pandas' own predicates before the table existed."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    return None


DTYPES = [
    np.dtype(bool),
    pd.BooleanDtype(),
    np.dtype("int64"),
    np.dtype("uint8"),
    pd.Int64Dtype(),
    pd.UInt16Dtype(),
    pd.ArrowDtype(pa.int64()),
    pd.ArrowDtype(pa.bool_()),
    np.dtype("float64"),  # a float column may hold whole numbers that lost their type to NaN: no type
    pd.Float64Dtype(),
    pd.StringDtype(),
    np.dtype(object),
    pd.DatetimeTZDtype("us", "UTC"),
    np.dtype("timedelta64[ns]"),
    pd.CategoricalDtype([1, 2]),
    pd.CategoricalDtype([True, False]),
    pd.CategoricalDtype(["a", "b"]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_json_type_for_dtype_matches_pandas_predicates(dtype: Any) -> None:
    assert json_type_for_dtype(dtype) == _by_pandas_api(dtype)


EXACT = [
    ("abc", "string", True),
    (3, "integer", True),
    (3.0, "integer", False),  # the converters normalise 3.0 -> 3 themselves; 3.0 is not exactly an int
    (True, "integer", False),  # Python's bool subclasses int; JSON's true is no integer
    (3, "number", True),  # JSON has one number type: an integer is a number
    (2.5, "number", True),
    (False, "number", False),
    (True, "boolean", True),
    (1, "boolean", False),
    (np.int64(3), "integer", False),  # numpy scalars are not what JSON decoding yields
    ("3", "integer", False),
    (None, "string", False),
    ([], "array", False),  # only the scalar types are listed
]


@pytest.mark.parametrize(("value", "json_type", "exact"), EXACT)
def test_exact_python_types(value: Any, json_type: str, exact: bool) -> None:
    assert has_exact_type(value, json_type) is exact


def test_exact_types_cover_the_scalar_types() -> None:
    assert set(EXACT_PYTHON_TYPES) == set(SCALAR_ARROW_TYPES)
    assert all(bool not in types for types in EXACT_PYTHON_TYPES.values() if types != (bool,))


@pytest.mark.parametrize(
    ("f", "json_type"),
    [
        (pa.field("x", pa.string()), "string"),
        (pa.field("x", pa.int64()), "integer"),
        (pa.field("x", pa.float64()), "number"),
        (pa.field("x", pa.bool_()), "boolean"),
        (pa.field("x", TS), "string"),  # a date-time string on the wire
        (pa.field("x", pa.list_(pa.string())), "array"),
        (pa.field("x", JSON_TYPE, metadata=JSON_FIELD_METADATA), "json"),
        (pa.field("x", pa.string(), metadata=JSON_FIELD_METADATA), "json"),  # JSON text on pyarrow < 19
        (pa.field("x", pa.int32()), None),
    ],
)
def test_json_type_of_arrow(f: pa.Field, json_type: str | None) -> None:
    assert json_type_of_arrow(f) == json_type
    assert is_json_field(f) == (json_type == "json")


@pytest.mark.parametrize(("json_type", "arrow_type"), list(SCALAR_ARROW_TYPES.items()))
def test_scalar_tables_invert(json_type: str, arrow_type: pa.DataType) -> None:
    assert json_type_of_arrow(pa.field("x", arrow_type)) == json_type
