"""The fallback path of conversion: Arrow arrays built value by value, where a value that does not fit becomes null.

:class:`ory_frames.convert._records.IdentityConverter` takes this path for a page the fast path
(:mod:`ory_frames.convert._identity_columns`) gave up on, and :class:`~ory_frames.convert._records.SessionConverter`
always does. The builders here make strings, fixed categories, RFC 3339 timestamps, nested lists of
objects, typed trait columns and the address summaries of one identity at a time. Every value read as
null is counted in :class:`ConversionProblems`, which ends in one :class:`ConversionWarning` (pure).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from ory_frames._errors import Problem
from ory_frames._rfc3339 import parse_rfc3339
from ory_frames._schema import EXACT_PYTHON_TYPES, JSON_TYPE, TraitInfo
from ory_frames.convert._identity_columns import cast_nested, category_array, cut_fractions, loosen

__all__ = [
    "TIMESTAMP",
    "ConversionProblems",
    "ConversionWarning",
    "TraitColumns",
    "address_summary",
    "dictionary_array",
    "gc_paused",
    "json_array",
    "json_text",
    "nested_array",
    "string_array",
    "timestamp_array",
]

TIMESTAMP = pa.timestamp("us", tz="UTC")

_FRACTION = re.compile(r"(\.\d{6})\d+")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: building many small lists from many live dicts otherwise triggers it often."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ConversionWarning(UserWarning):
    """Some values did not fit their column and were read as null, or a field or value new to ory_frames was met."""


@dataclass
class ConversionProblems:
    """Values set to null because they did not fit their column: counts per column plus a few samples."""

    counts: Counter[str] = field(default_factory=Counter)
    samples: list[Problem] = field(default_factory=list)
    max_samples: int = 20
    # Fields and values new to ory_frames, kept as they came (``_convert_unknown``): description -> records.
    unknown: Counter[str] = field(default_factory=Counter)
    # Traits no column holds, kept in ``extra_fields`` (``_convert_unknown``): ``traits.<path>`` -> records.
    undeclared: Counter[str] = field(default_factory=Counter)

    def note(self, what: str, records: int = 1) -> None:
        """Record that ``records`` records hold a field or value ory_frames does not know (kept, not nulled)."""
        self.unknown[what] += records

    def add(self, row: Any, column: str, reason: str) -> None:
        """Record one value read as null."""
        self.counts[column] += 1
        if len(self.samples) < self.max_samples:
            self.samples.append(Problem(row, column, reason))

    @property
    def total(self) -> int:
        """How many values were read as null."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        """Counts per column, for ``df.attrs``."""
        return dict(self.counts)

    def warn(self, stacklevel: int = 3) -> None:
        """Emit one :class:`ConversionWarning` summarising the problems, if any, one per new field or value,
        and one naming the undeclared traits."""
        for what, records in self.unknown.items():
            warnings.warn(
                f"ory_frames met an {what} ({records} record{'s' * (records != 1)})",
                ConversionWarning,
                stacklevel=stacklevel,
            )
        if self.undeclared:
            named = ", ".join(f"{p!r} ({n} record{'s' * (n != 1)})" for p, n in sorted(self.undeclared.items()))
            warnings.warn(
                f"ory_frames met traits that no identity schema it read declares, kept in the 'extra_fields' "
                f"column under 'traits' (write-back sends them along): {named}",
                ConversionWarning,
                stacklevel=stacklevel,
            )
        if not self.total:
            return
        first = "; ".join(str(p) for p in self.samples[:3])
        per_column = ", ".join(f"{c}: {n}" for c, n in self.counts.most_common())
        warnings.warn(
            f"{self.total} values did not fit their column and were read as null ({per_column}); e.g. {first}",
            ConversionWarning,
            stacklevel=stacklevel,
        )


def json_text(value: Any) -> str | None:
    """JSON text of a value (None stays None)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=str)


def json_array(texts: Sequence[str | None]) -> pa.Array:
    """An Arrow JSON text array from JSON strings."""
    storage = pa.array(texts, pa.string())
    if isinstance(JSON_TYPE, pa.ExtensionType):
        return pa.ExtensionArray.from_storage(JSON_TYPE, storage)
    return storage


def _normalise_ts(value: Any) -> Any:
    """An RFC 3339 string with its fraction cut to microseconds (Go emits up to nanoseconds)."""
    return _FRACTION.sub(r"\1", value) if isinstance(value, str) else value


def _parse_ts(value: str) -> datetime | None:
    """One RFC 3339 timestamp, or None when it does not parse."""
    try:
        return parse_rfc3339(value.strip())
    except ValueError:
        return None


def timestamp_array(values: Sequence[Any], column: str, problems: ConversionProblems, rows: Sequence[Any]) -> pa.Array:
    """RFC 3339 strings (any offset, any fraction) -> timestamp[us, UTC]; bad values become null."""
    try:
        return pa.array(values, pa.string()).cast(TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:  # the usual failure: nanosecond fractions, which Go's RFC3339Nano emits
        return pa.array([_normalise_ts(v) for v in values], pa.string()).cast(TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out: list[datetime | None] = []
    for row, v in zip(rows, values, strict=True):
        parsed = _parse_ts(v) if isinstance(v, str) else None
        if v is not None and parsed is None:
            problems.add(row, column, f"{v!r} is not an RFC 3339 timestamp")
        out.append(parsed)
    return pa.array(out, TIMESTAMP)


def nested_array(
    values: Sequence[Any], arrow_type: pa.DataType, column: str, problems: ConversionProblems, rows: Sequence[Any]
) -> pa.Array:
    """Lists of dicts -> list<struct>; timestamps inside are parsed; rows that do not fit become null."""
    loose = loosen(arrow_type)
    try:
        whole = cast_nested(pa.array(values, loose), arrow_type)  # the bulk path's cast, fractions cut if need be
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        whole = None
    if whole is not None:
        return whole
    out: list[pa.Array] = []
    for row, v in zip(rows, values, strict=True):
        try:
            # Only the strings the type makes timestamps are cut: an address "a.1234567@x" stays as it is.
            out.append(cut_fractions(pa.array([v], loose), arrow_type).cast(arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            problems.add(row, column, f"does not fit {arrow_type}: {exc}")
            out.append(pa.nulls(1, arrow_type))
    return pa.concat_arrays(out) if out else pa.array([], arrow_type)


def dictionary_array(
    values: Sequence[Any], categories: Sequence[str], column: str, problems: ConversionProblems, rows: Sequence[Any]
) -> pa.Array:
    """Strings -> dictionary<int8, string>: the known ``categories``, then any new string values (sorted).

    A value that is not a string becomes null and is counted. ``""`` is Go's zero value of an enum, sent
    for "unset" (e.g. ``"aal": ""``): null without a problem. New values are kept: Ory adds states and
    levels over time (``_convert_unknown`` notes them once).
    """
    strings: list[str | None] = []
    for row, v in zip(rows, values, strict=True):
        if v is not None and type(v) is not str:
            problems.add(row, column, f"{_short(v)} is not a string")
            v = None
        strings.append(v)
    return category_array(pa.array(strings, pa.string()), categories)


def string_array(values: Sequence[Any], column: str, problems: ConversionProblems, rows: Sequence[Any]) -> pa.Array:
    """Strings -> string array; anything that is not a string becomes null."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out = []
    for row, v in zip(rows, values, strict=True):
        if v is not None and type(v) is not str:
            problems.add(row, column, f"{_short(v)} is not a string")
            v = None
        out.append(v)
    return pa.array(out, pa.string())


def address_summary(addresses: Any, recovery: Any) -> tuple[Any, ...]:
    """The summary columns of one identity, in ``_convert.SUMMARY_COLUMNS`` order (wire notes §3).

    email, email_verified, emails, verified_emails, phone, phone_verified, phones, verified count:
    the same rules as ``_convert_fast.summaries``. Addresses without a string value are skipped;
    ``email`` falls back to the first recovery email (then ``email_verified`` stays null).
    """
    emails: list[str] = []
    verified_emails: list[str] = []
    phones: list[str] = []
    email = email_verified = phone = phone_verified = None
    verified = 0
    for a in addresses if isinstance(addresses, list) else ():
        if not isinstance(a, dict) or not isinstance(a.get("value"), str):
            continue
        ok = a.get("verified") is True
        verified += ok
        if a.get("via") == "email":
            emails.append(a["value"])
            if ok:
                verified_emails.append(a["value"])
            if email is None:
                email, email_verified = a["value"], ok
        elif a.get("via") == "sms":
            phones.append(a["value"])
            if phone is None:
                phone, phone_verified = a["value"], ok
    if email is None:
        for a in recovery if isinstance(recovery, list) else ():
            if isinstance(a, dict) and a.get("via") == "email" and isinstance(a.get("value"), str):
                email = a["value"]
                break
    return email, email_verified, emails, verified_emails, phone, phone_verified, phones, verified


# --- trait values ---------------------------------------------------------------------------------

_Checker = Callable[[Any], tuple[bool, Any]]


def _check_string(v: Any) -> tuple[bool, Any]:
    return type(v) is str, v


def _check_integer(v: Any) -> tuple[bool, Any]:
    if type(v) is int:
        return True, v
    if type(v) is float and v.is_integer():
        return True, int(v)  # 3.0 is an integer in JSON Schema (draft 6+)
    return False, None


def _check_number(v: Any) -> tuple[bool, Any]:
    if type(v) is float or type(v) is int:
        return True, float(v)
    return False, None


def _check_boolean(v: Any) -> tuple[bool, Any]:
    return type(v) is bool, v


_CHECKERS: dict[str, _Checker] = {
    "string": _check_string,
    "integer": _check_integer,
    "number": _check_number,
    "boolean": _check_boolean,
}


def _array_checker(item: _Checker) -> _Checker:
    def check(v: Any) -> tuple[bool, Any]:
        if type(v) is not list:
            return False, None
        out = []
        for x in v:
            ok, value = item(x)
            if not ok:
                return False, None
            out.append(value)
        return True, out

    return check


def _checker_for(info: TraitInfo) -> _Checker | None:
    """Value check and normalisation of one trait column; None for JSON columns (anything goes)."""
    if info.is_json:
        return None
    if info.json_type == "array":
        return _array_checker(_CHECKERS.get(info.item_json_type or "", _check_string))
    return _CHECKERS[info.json_type]


# Exact Python type(s) that need no check for each scalar JSON type (bool is not an int in JSON).
# Ints beyond 2**53 are not exact as float64: they go through the number check, not straight to pa.array.
_FLOAT_EXACT = 2**53


class TraitColumns:
    """Builds the arrays of a set of trait columns, column by column, from the records' traits."""

    def __init__(self, traits: Mapping[str, TraitInfo], prefix: str = "") -> None:
        self.infos = list(traits.values())
        self.names = [prefix + info.column for info in self.infos]
        self.checkers = [_checker_for(info) for info in self.infos]

    def fields(self) -> list[pa.Field]:
        return [info.arrow_field().with_name(name) for info, name in zip(self.infos, self.names, strict=True)]

    def arrays(self, traits: list[Any], problems: ConversionProblems, rows: Sequence[Any]) -> list[pa.Array]:
        """One array per column; ``traits`` holds each record's traits object (or anything else)."""
        cache: dict[tuple[str, ...], list[Any]] = {(): traits}

        def values_at(path: tuple[str, ...]) -> list[Any]:
            if path not in cache:
                parent, key = values_at(path[:-1]), path[-1]
                cache[path] = [p.get(key) if type(p) is dict else None for p in parent]
            return cache[path]

        out = []
        for info, name, check in zip(self.infos, self.names, self.checkers, strict=True):
            column = values_at(info.path)
            if check is None:
                out.append(json_array([None if v is None else json_text(v) for v in column]))
                continue
            exact = EXACT_PYTHON_TYPES.get(info.json_type)
            number = info.json_type == "number"
            bad = [
                i
                for i, v in enumerate(column)
                if v is not None
                and (exact is None or type(v) not in exact or (number and type(v) is int and abs(v) > _FLOAT_EXACT))
            ]
            if bad:
                column = list(column)
                for i in bad:
                    ok, value = check(column[i])
                    if not ok:
                        problems.add(rows[i], name, f"{_short(column[i])} is not {_describe(info)}")
                    column[i] = value if ok else None
            if pa.types.is_timestamp(info.arrow_type):
                out.append(timestamp_array(column, name, problems, rows))
            elif pa.types.is_list(info.arrow_type) and pa.types.is_timestamp(info.arrow_type.value_type):
                out.append(nested_array(column, info.arrow_type, name, problems, rows))
            else:
                out.append(pa.array(column, info.arrow_type))
        return out


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(info: TraitInfo) -> str:
    if info.json_type == "array":
        return f"an array of {info.item_json_type}s" if info.item_json_type else "an array"
    return f"{'an' if info.json_type[:1] in 'aeiou' else 'a'} {info.json_type}"
