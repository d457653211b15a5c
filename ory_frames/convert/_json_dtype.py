"""The pandas dtype of a frame's JSON columns: JSON text kept in Arrow, parsed into Python values on access.

``metadata_public``, ``metadata_admin``, object traits and credential configs hold any JSON (wire
notes §3): one row an empty object, the next an object whose keys have other types. Held as plain
``object`` columns, pandas' ``to_parquet`` would infer one Arrow struct from the values and fail on
exactly those rows (no struct without fields, no two types for one key). :class:`JsonArray` gives
pandas the parsed values (``df.loc[0, "metadata_public"]`` is a dict) and Arrow the JSON text
(``__arrow_array__``), so ``df.to_parquet()`` writes any frame and ``pd.read_parquet`` reads the same
parsed values back (``JsonDtype.__from_arrow__``).

A read keeps the JSON text it received (an Arrow string array) and parses a cell the first time it
is looked at, so a frame costs no Python object per cell until someone asks for one. A parsed cell
is kept (a dict edited in place stays edited, and is what goes back to Arrow); assigning a cell
parses the whole column once and from then on the array holds Python values only.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype, take

from ory_frames._schema import JSON_TYPE
from ory_frames.convert._values import json_array, json_text

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
        """JSON text read back from Arrow (or Parquet), parsed when a cell is looked at."""
        return JsonArray.from_arrow(array)


def _objects(values: Iterable[Any]) -> np.ndarray:
    """A 1-d object array holding each value as it is (lists stay list objects, never a second axis)."""
    items = list(values)
    data = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        data[i] = v
    return data


def _text_storage(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous Arrow string array of JSON text from any chunking, JSON extension type or not."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    storage = [c.storage if isinstance(c, pa.ExtensionArray) else c for c in chunks]
    if not storage:
        return pa.array([], pa.string())
    whole = pa.concat_arrays(storage) if len(storage) > 1 else storage[0]
    return whole.cast(pa.string()) if whole.type != pa.string() else whole


def _as_json(text: pa.Array) -> pa.Array:
    """A string array of JSON text typed as the frames' JSON columns are in Arrow (no copy)."""
    return pa.ExtensionArray.from_storage(JSON_TYPE, text) if isinstance(JSON_TYPE, pa.ExtensionType) else text


class JsonArray(ExtensionArray):
    """An extension array of JSON values: JSON text parsed cell by cell on access, written to Arrow as JSON text.

    ``_text`` is the JSON text as read (None once the array holds Python values only), ``_data`` the
    parsed values and ``_parsed`` which of them are filled in.
    """

    def __init__(self, values: Iterable[Any]) -> None:
        self._data = values if isinstance(values, np.ndarray) and values.dtype == object else _objects(values)
        self._parsed = np.ones(len(self._data), dtype=bool)
        self._text: pa.Array | None = None

    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray) -> JsonArray:
        """JSON text from Arrow (a JSON or string array), kept as it is and parsed per cell on access."""
        text = _text_storage(array)
        return cls._from_parts(text, np.full(len(text), None, dtype=object), np.zeros(len(text), dtype=bool))

    @classmethod
    def _from_parts(cls, text: pa.Array | None, data: np.ndarray, parsed: np.ndarray) -> JsonArray:
        new = cls.__new__(cls)
        new._text, new._data, new._parsed = text, data, parsed
        return new

    # -- parsing ------------------------------------------------------------------------------------
    def _parse(self, positions: np.ndarray) -> None:
        """Fill in the parsed values at ``positions`` (which must still hold JSON text only)."""
        if self._text is None or not len(positions):
            return
        whole = len(positions) == len(self)  # then positions is every position in order (all unparsed)
        source = self._text if whole else self._text.take(pa.array(positions, pa.int64()))
        texts = source.to_numpy(zero_copy_only=False)
        self._data[positions] = _objects(None if t is None else orjson.loads(t) for t in texts)
        self._parsed[positions] = True

    def _values(self) -> np.ndarray:
        """Every value parsed: the object array itself (not a copy)."""
        if self._text is not None and not self._parsed.all():
            self._parse(np.flatnonzero(~self._parsed))
        return self._data

    def _materialise(self) -> None:
        """Parse everything and drop the text: from now on the Python values are the only truth."""
        self._values()
        self._text = None

    # -- the ExtensionArray interface -----------------------------------------------------------------
    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> JsonArray:
        if isinstance(scalars, JsonArray):
            return scalars.copy() if copy else scalars
        return JsonArray([None if v is None or v is pd.NA else v for v in scalars])

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: JsonArray) -> JsonArray:
        return JsonArray([None if t is None else orjson.loads(t) for t in values])

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        texts = [None if v is None else orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode() for v in self._values()]
        return _objects(texts), None

    @property
    def dtype(self) -> JsonDtype:
        return JsonDtype()

    @property
    def nbytes(self) -> int:
        text = self._text.nbytes if self._text is not None else 0
        return int(self._data.nbytes + self._parsed.nbytes + text)

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            position = int(item) + len(self) if item < 0 else int(item)
            if not self._parsed[position]:
                self._parse(np.array([position]))
            return self._data[position]
        item = pd.api.indexers.check_array_indexer(self, item)
        if self._text is None:
            return JsonArray(self._data[item])
        positions = np.arange(len(self))[item]
        return self._select(positions)

    def _select(self, positions: np.ndarray) -> JsonArray:
        """The cells at ``positions`` (valid, non-negative), text and parsed values alike."""
        data, parsed = self._data[positions], self._parsed[positions]
        text = self._text.take(pa.array(positions, pa.int64())) if self._text is not None else None
        return JsonArray._from_parts(text, data, parsed)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._materialise()
        if isinstance(key, (int, np.integer)):
            self._data[key] = value
            return
        key = pd.api.indexers.check_array_indexer(self, key)
        positions = np.arange(len(self._data))[key]
        if isinstance(value, JsonArray):
            values: Iterable[Any] = value._values()
        elif isinstance(value, (list, tuple, np.ndarray, pd.Series)) and len(value) == len(positions):
            values = list(value)
        else:
            values = repeat(value)
        for position, v in zip(positions, values, strict=False):
            self._data[position] = v

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented  # type: ignore[no-any-return]
        if isinstance(other, JsonArray) and len(other) == len(self):
            return self._equal_arrays(other)
        if isinstance(other, (np.ndarray, list)) and len(other) == len(self):
            pairs: Iterable[tuple[Any, Any]] = zip(self._values(), other, strict=True)
        else:
            pairs = zip(self._values(), repeat(other))
        return np.array([a is not None and b is not None and bool(a == b) for a, b in pairs], dtype=bool)

    def _equal_arrays(self, other: JsonArray) -> np.ndarray:
        """Cell-wise equality; cells whose JSON text is the same and was never parsed are equal unparsed."""
        same_text = np.zeros(len(self), dtype=bool)
        if self._text is not None and other._text is not None:
            equal = pc.fill_null(pc.equal(self._text, other._text), False).to_numpy(zero_copy_only=False)
            same_text = np.asarray(equal, dtype=bool) & ~self._parsed & ~other._parsed
        result = same_text.copy()
        # A missing cell equals nothing (pandas compares missing values apart): no need to parse its pair.
        rest = np.flatnonzero(~same_text & ~self.isna() & ~other.isna())
        for side in (self, other):
            side._parse(rest[~side._parsed[rest]])
        for position in rest.tolist():
            a, b = self._data[position], other._data[position]
            result[position] = a is not None and b is not None and bool(a == b)
        return result

    def isna(self) -> np.ndarray:
        if self._text is None:
            return np.array([v is None for v in self._data], dtype=bool)
        # A parsed cell is null exactly when its text is: only assignment changes that, and it drops the text.
        return np.asarray(self._text.is_null().to_numpy(zero_copy_only=False), dtype=bool)

    def take(self, indices: Any, *, allow_fill: bool = False, fill_value: Any = None) -> JsonArray:
        if self._text is None:
            return JsonArray(take(self._data, indices, allow_fill=allow_fill, fill_value=None))
        positions = np.asarray(indices, dtype=np.intp)
        n = len(self)
        if allow_fill:
            if (positions < -1).any():
                raise ValueError("indices must be >= -1 when allow_fill is True")
            fill = positions == -1
        else:
            positions = np.where(positions < 0, positions + n, positions)
            fill = np.zeros(len(positions), dtype=bool)
        if ((positions < 0) & ~fill).any() or (positions >= n).any():
            raise IndexError(f"an index is out of bounds for a JSON column of length {n}")
        safe = np.where(fill, 0, positions)
        text = self._text.take(pa.array(safe, pa.int64(), mask=fill))
        data, parsed = self._data[safe], self._parsed[safe]
        data[fill], parsed[fill] = None, True
        return JsonArray._from_parts(text, data, parsed)

    def copy(self) -> JsonArray:
        return JsonArray._from_parts(self._text, self._data.copy(), self._parsed.copy())

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[JsonArray]) -> JsonArray:
        if not to_concat:
            return JsonArray(_objects([]))
        data = np.concatenate([a._data for a in to_concat])
        parsed = np.concatenate([a._parsed for a in to_concat])
        texts = [a._text for a in to_concat]
        if any(t is None for t in texts):
            return JsonArray(np.concatenate([a._values() for a in to_concat]))
        return JsonArray._from_parts(pa.concat_arrays(texts), data, parsed)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = self._values()
        if dtype not in (None, object):
            return values.astype(dtype)
        return values.copy() if copy else values

    def __arrow_array__(self, type: pa.DataType | None = None) -> pa.Array:
        if self._text is not None and not self._parsed.any():
            return _as_json(self._text)
        if self._text is None:
            return json_array([json_text(v) for v in self._data])
        # Parsed cells may have been edited in place: they go back as JSON text of what they hold now.
        texts = self._text.to_numpy(zero_copy_only=False).astype(object)
        for position in np.flatnonzero(self._parsed).tolist():
            texts[position] = json_text(self._data[position])
        return json_array(list(texts))
