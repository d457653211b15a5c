"""The fast path of conversion: an identity page into Arrow columns in bulk, in a few C++ calls (pure).

:class:`ory_frames.convert._records.IdentityConverter` tries this path first: one ``pa.array`` over the
page, summaries by Arrow compute. It handles pages whose values all fit their columns; on anything
odd (a wrong-typed trait, a ``state`` that is not a string, a timestamp Arrow cannot parse, a record
that is not an object) :meth:`FastIdentityColumns.build` returns None and the converter redoes that page on the
fallback path (:mod:`ory_frames.convert._values`), which nulls and reports each bad value.

Wire shapes read (wire notes §3): the identity object's scalar fields, ``traits`` (typed by
the schemas), ``verifiable_addresses`` / ``recovery_addresses`` (lists of objects).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ory_frames._schema import EXACT_PYTHON_TYPES, TraitInfo

__all__ = [
    "FastIdentityColumns",
    "cast_nested",
    "category_array",
    "cut_fractions",
    "field_values",
    "loosen",
    "timestamps_from_strings",
]

_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError)
# Go's RFC3339Nano may carry up to 9 fraction digits; Arrow parses at most the unit's 6 (wire notes §3).
_NANO_FRACTION = r"(\.\d{6})\d+"

# Exact Python types a value of each JSON type may have; pa.array would silently coerce some others
# (3.5 -> 3 for int64, True -> 1.0 for float64, "ab" -> ["a", "b"] for list<string>).
_HEAD_STRINGS = ("id", "external_id", "schema_id", "state", "state_changed_at", "created_at", "updated_at")


_GET: Callable[[dict[str, Any], str], Any] = dict.get


def field_values(records: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    """``record.get(key)`` of every record, which must all be dicts (a C-level loop)."""
    return list(map(_GET, records, repeat(key)))  # type: ignore[arg-type]


def loosen(arrow_type: pa.DataType) -> pa.DataType:
    """The same type with every timestamp as string, to build from JSON and cast afterwards."""
    if pa.types.is_timestamp(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type):
        return pa.list_(loosen(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        return pa.struct([pa.field(f.name, loosen(f.type)) for f in arrow_type])
    return arrow_type


def timestamps_from_strings(values: pa.Array) -> pa.Array | None:
    """RFC 3339 strings -> timestamp[us, UTC] (any offset, fractions cut to microseconds); None if one fails."""
    try:
        return values.cast(_TIMESTAMP)
    except _ARROW_ERRORS:
        pass
    try:
        return pc.replace_substring_regex(values, pattern=_NANO_FRACTION, replacement=r"\1").cast(_TIMESTAMP)
    except _ARROW_ERRORS:
        return None


def category_array(strings: pa.Array, categories: Sequence[str]) -> pa.DictionaryArray:
    """Strings -> dictionary<int8, string>: the known ``categories`` first, then new values, sorted; ``""`` is null.

    Both conversion paths build category columns here, so a value Ory added since (a new ``state``)
    widens the categories instead of becoming null, identically on either path.
    """
    strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.string()), strings)
    new = sorted(set(pc.unique(strings).drop_null().to_pylist()) - set(categories))
    # int8 codes hold 128 categories; values past that (never seen in practice) read as null.
    value_set = pa.array([*categories, *new][:128], pa.string())
    codes = pc.index_in(strings, value_set=value_set)
    return pa.DictionaryArray.from_arrays(codes.cast(pa.int8()), value_set)


def cast_nested(values: pa.Array, target: pa.DataType) -> pa.Array | None:
    """A loose (timestamps as strings) nested array cast to its target type; None if a value does not parse.

    A Kratos on SQLite sends nanosecond fractions in nested timestamps too (an address's ``verified_at``:
    it stores Go's time as given; a real one showed it, wire notes §3), which Arrow's cast refuses: the
    timestamp strings are then cut to microseconds, the others left as they are, and the cast tried again.
    """
    try:
        return values.cast(target)
    except _ARROW_ERRORS:
        pass
    try:
        return cut_fractions(values, target).cast(target)
    except _ARROW_ERRORS:
        return None


def cut_fractions(values: pa.Array, target: pa.DataType) -> pa.Array:
    """``values`` with the strings that ``target`` types as timestamps cut to six fraction digits."""
    if pa.types.is_timestamp(target) and pa.types.is_string(values.type):
        return pc.replace_substring_regex(values, pattern=_NANO_FRACTION, replacement=r"\1")
    if pa.types.is_list(target) and pa.types.is_list(values.type):
        inner = cut_fractions(values.values, target.value_type)
        return pa.ListArray.from_arrays(values.offsets, inner, mask=values.is_null() if values.null_count else None)
    if pa.types.is_struct(target) and pa.types.is_struct(values.type):
        children = [
            cut_fractions(child, target.field(field.name).type) if target.get_field_index(field.name) >= 0 else child
            for field, child in zip(values.type, values.flatten(), strict=True)
        ]
        mask = values.is_null() if values.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(values.type), mask=mask)
    return values


def _trait_tree(traits: Sequence[TraitInfo]) -> pa.StructType:
    """The loose struct type of the typed (non-JSON) trait columns, nested as in the JSON."""
    tree: dict[str, Any] = {}
    for info in traits:
        node = tree
        for key in info.path[:-1]:
            node = node.setdefault(key, {})
        node[info.path[-1]] = loosen(info.arrow_type)

    def build(node: Mapping[str, Any]) -> pa.StructType:
        return pa.struct([(k, build(v) if isinstance(v, dict) else v) for k, v in node.items()])

    return build(tree)


def _first_per_row(parents: np.ndarray, positions: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` rows, the first of ``positions`` whose parent is that row, else -1."""
    first = np.full(n, -1, dtype=np.int64)
    if len(positions):
        rows, index = np.unique(parents[positions], return_index=True)
        first[rows] = positions[index]
    return first


def _take_or_null(values: pa.Array, index: np.ndarray) -> pa.Array:
    return values.take(pa.array(index, pa.int64(), mask=index < 0))


def _lists(values: pa.Array, parents: np.ndarray, positions: np.ndarray, n: int) -> pa.Array:
    """list<string> per row of the chosen flat positions (empty list where none)."""
    counts = np.bincount(parents[positions], minlength=n) if len(positions) else np.zeros(n, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values.take(pa.array(positions, pa.int64())))


def _address_parts(addresses: pa.ListArray) -> tuple[np.ndarray, pa.Array, pa.StructArray]:
    """(parent row of each address, its value, the address structs with row validity merged)."""
    parents = np.asarray(pc.list_parent_indices(addresses), dtype=np.int64)
    flat = pc.list_flatten(addresses)
    children = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
    return parents, children["value"], children  # type: ignore[return-value]


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False), dtype=bool)


def summaries(verifiable: pa.ListArray, recovery: pa.ListArray) -> list[pa.Array]:
    """The summary columns of every row, in ``_convert.SUMMARY_COLUMNS`` order (wire notes §3).

    email, email_verified, emails, verified_emails, phone, phone_verified, phones, verified count:
    the same rules as ``_convert_fallback.address_summary``. Addresses without a string value are
    skipped; ``email`` falls back to the first recovery email (then ``email_verified`` stays null).
    """
    n = len(verifiable)
    parents, value, fields = _address_parts(verifiable)
    has_value = np.asarray(value.is_valid(), dtype=bool)
    verified = _mask(fields["verified"]) & has_value
    via = fields["via"]
    is_email = _mask(pc.equal(via, "email")) & has_value
    is_sms = _mask(pc.equal(via, "sms")) & has_value
    email_pos = np.nonzero(is_email)[0]
    sms_pos = np.nonzero(is_sms)[0]
    first_email = _first_per_row(parents, email_pos, n)
    first_sms = _first_per_row(parents, sms_pos, n)
    verified_arr = pa.array(verified, pa.bool_())
    email = _take_or_null(value, first_email)
    r_parents, r_value, r_fields = _address_parts(recovery)
    r_pos = np.nonzero(_mask(pc.equal(r_fields["via"], "email")) & np.asarray(r_value.is_valid(), dtype=bool))[0]
    email = pc.coalesce(email, _take_or_null(r_value, _first_per_row(r_parents, r_pos, n)))
    counts = np.bincount(parents[verified], minlength=n) if verified.any() else np.zeros(n, dtype=np.int64)
    return [
        email,
        _take_or_null(verified_arr, first_email),
        _lists(value, parents, email_pos, n),
        _lists(value, parents, np.nonzero(is_email & verified)[0], n),
        _take_or_null(value, first_sms),
        _take_or_null(verified_arr, first_sms),
        _lists(value, parents, sms_pos, n),
        pa.array(counts.astype(np.int64), pa.int64()),
    ]


class FastIdentityColumns:
    """Builds the head, trait and address columns of an identity page in bulk, or gives up (None).

    Parameters
    ----------
    traits
        The trait columns; JSON-text ones are left to the caller (``json_traits``).
    verifiable, recovery
        The strict Arrow types of the two address lists.
    summary_columns
        The names of the columns :func:`summaries` returns, in its order (``_convert.SUMMARY_COLUMNS``).
    states
        The known values of ``state`` (``_convert.STATE_CATEGORIES``); others become new categories.
    """

    def __init__(
        self,
        traits: Mapping[str, TraitInfo],
        verifiable: pa.DataType,
        recovery: pa.DataType,
        *,
        summary_columns: Sequence[str],
        states: Sequence[str],
    ) -> None:
        self.states = tuple(states)
        self.typed = [info for info in traits.values() if not info.is_json]
        self.verifiable, self.recovery = verifiable, recovery
        self.summary_columns = tuple(summary_columns)
        fields: list[tuple[str, pa.DataType]] = [(k, pa.string()) for k in _HEAD_STRINGS]
        fields += [("organization_id", pa.string()), ("region", pa.string()), ("traits", _trait_tree(self.typed))]
        fields += [("verifiable_addresses", loosen(verifiable)), ("recovery_addresses", loosen(recovery))]
        self.record_type = pa.struct(fields)
        # Columns pa.array could coerce silently get an exact-type check first (see EXACT_PYTHON_TYPES).
        self.checked = [info for info in self.typed if info.json_type in ("integer", "number", "array")]

    def _types_exact(self, traits: list[Any]) -> bool:
        """Whether every integer, number and array trait value has exactly its JSON type."""
        cache: dict[tuple[str, ...], list[Any]] = {(): traits}

        def values_at(path: tuple[str, ...]) -> list[Any]:
            if path not in cache:
                parent, key = values_at(path[:-1]), path[-1]
                if set(map(type, parent)) <= {dict}:
                    cache[path] = field_values(parent, key)
                else:
                    cache[path] = [p.get(key) if type(p) is dict else None for p in parent]
            return cache[path]

        for info in self.checked:
            column = values_at(info.path)
            types = set(map(type, column))
            types.discard(type(None))
            if info.json_type == "array":
                items = set(map(type, chain.from_iterable(v for v in column if v))) if types == {list} else set()
                if not types <= {list} or not items <= set(
                    EXACT_PYTHON_TYPES.get(info.item_json_type or "string", (str,))
                ):
                    return False
            elif not types <= set(EXACT_PYTHON_TYPES[info.json_type]):
                return False
        return True

    def build(self, records: Sequence[Mapping[str, Any]]) -> dict[str, pa.Array] | None:
        """Columns by name (head fields, ``traits.*`` typed columns, addresses, summaries), or None."""
        if not set(map(type, records)) <= {dict}:
            return None
        traits = field_values(records, "traits")
        if self.checked and not self._types_exact(traits):
            return None
        for key in ("verifiable_addresses", "recovery_addresses"):
            if str in set(map(type, field_values(records, key))):  # pa.array would read "" as []
                return None
        try:
            page = pa.array(records, self.record_type)
        except _ARROW_ERRORS:
            return None
        parts = dict(zip(self.record_type.names, page.flatten(), strict=True))
        out: dict[str, pa.Array] = {k: parts[k] for k in ("id", "schema_id", "organization_id", "region")}
        external = parts["external_id"]
        out["external_id"] = pc.if_else(pc.equal(external, ""), pa.scalar(None, pa.string()), external)
        out["state"] = category_array(parts["state"], self.states)  # a new state widens the categories
        for key in ("state_changed_at", "created_at", "updated_at"):
            ts = timestamps_from_strings(parts[key])
            if ts is None:
                return None
            out[key] = ts
        trait_struct = parts["traits"]
        for info in self.typed:
            column = pc.struct_field(trait_struct, [trait_struct.type.get_field_index(info.path[0])])
            for depth in range(1, len(info.path)):
                column = pc.struct_field(column, [column.type.get_field_index(info.path[depth])])
            converted = _finish_trait(column, info.arrow_type)
            if converted is None:
                return None
            out[info.column] = converted
        for key, target in (("verifiable_addresses", self.verifiable), ("recovery_addresses", self.recovery)):
            strict = cast_nested(parts[key], target)
            if strict is None:
                return None
            out[key] = strict
        values = summaries(parts["verifiable_addresses"], parts["recovery_addresses"])
        out.update(zip(self.summary_columns, values, strict=True))
        return out


def _finish_trait(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    """A trait column built loose -> its target type (timestamps parsed); None if a value does not parse."""
    if column.type == target:
        return column
    if pa.types.is_timestamp(target):
        return timestamps_from_strings(column)
    return cast_nested(column, target)
