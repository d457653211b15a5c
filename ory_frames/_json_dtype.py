"""The pandas dtype of a frame's JSON columns: parsed values in pandas, JSON text in Arrow and Parquet.

``metadata_public``, ``metadata_admin``, object traits and credential configs hold any JSON (wire
notes §3): one row an empty object, the next an object whose keys have other types. Held as plain
``object`` columns, pandas' ``to_parquet`` would infer one Arrow struct from the values and fail on
exactly those rows (no struct without fields, no two types for one key). :class:`JsonArray` keeps
the parsed values for pandas (``df.loc[0, "metadata_public"]`` is a dict) and gives Arrow the JSON
text (``__arrow_array__``), so ``df.to_parquet()`` writes any frame and ``pd.read_parquet`` reads
the same parsed values back (``JsonDtype.__from_arrow__``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype, take

from ._convert_fallback import json_array, json_text

__all__ = ["JsonArray", "JsonDtype"]


@register_extension_dtype
class JsonDtype(ExtensionDtype):
    """Parsed JSON values (dicts, lists, strings, numbers, booleans; None is missing)."""

    name = "ory_frames.json"
    type = object
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> builtins.type[JsonArray]:
        return JsonArray

    def __from_arrow__(self, array: pa.Array | pa.ChunkedArray) -> JsonArray:
        """JSON text read back from Arrow (or Parquet) -> parsed values."""
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        texts: list[Any] = []
        for chunk in chunks:
            storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
            texts.extend(storage.to_pylist())
        return JsonArray([None if t is None else orjson.loads(t) for t in texts])


def _objects(values: Iterable[Any]) -> np.ndarray:
    """A 1-d object array holding each value as it is (lists stay list objects, never a second axis)."""
    items = list(values)
    data = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        data[i] = v
    return data


class JsonArray(ExtensionArray):
    """An extension array of parsed JSON values, written to Arrow as JSON text."""

    def __init__(self, values: Iterable[Any]) -> None:
        self._data = values if isinstance(values, np.ndarray) and values.dtype == object else _objects(values)

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> JsonArray:
        if isinstance(scalars, JsonArray):
            return JsonArray(scalars._data.copy() if copy else scalars._data)
        return JsonArray([None if v is None or v is pd.NA else v for v in scalars])

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: JsonArray) -> JsonArray:
        return JsonArray([None if t is None else orjson.loads(t) for t in values])

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        texts = [None if v is None else orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode() for v in self._data]
        return _objects(texts), None

    @property
    def dtype(self) -> JsonDtype:
        return JsonDtype()

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            return self._data[item]
        item = pd.api.indexers.check_array_indexer(self, item)
        return JsonArray(self._data[item])

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, (int, np.integer)):
            self._data[key] = value
            return
        key = pd.api.indexers.check_array_indexer(self, key)
        positions = np.arange(len(self._data))[key]
        if isinstance(value, JsonArray):
            values: Iterable[Any] = value._data
        elif isinstance(value, (list, tuple, np.ndarray, pd.Series)) and len(value) == len(positions):
            values = list(value)
        else:
            values = repeat(value)
        for position, v in zip(positions, values, strict=False):
            self._data[position] = v

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented  # type: ignore[no-any-return]
        if isinstance(other, (JsonArray, np.ndarray, list)) and len(other) == len(self):
            pairs: Iterable[tuple[Any, Any]] = zip(self._data, other, strict=True)
        else:
            pairs = zip(self._data, repeat(other))
        return np.array([a is not None and b is not None and bool(a == b) for a, b in pairs], dtype=bool)

    def isna(self) -> np.ndarray:
        return np.array([v is None for v in self._data], dtype=bool)

    def take(self, indices: Any, *, allow_fill: bool = False, fill_value: Any = None) -> JsonArray:
        return JsonArray(take(self._data, indices, allow_fill=allow_fill, fill_value=None))

    def copy(self) -> JsonArray:
        return JsonArray(self._data.copy())

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[JsonArray]) -> JsonArray:
        return JsonArray(np.concatenate([a._data for a in to_concat]) if to_concat else _objects([]))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self._data if dtype in (None, object) else self._data.astype(dtype)

    def __arrow_array__(self, type: pa.DataType | None = None) -> pa.Array:
        return json_array([json_text(v) for v in self._data])
