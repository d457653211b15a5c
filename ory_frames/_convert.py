"""JSON records -> Arrow RecordBatch: flatten traits, UTC timestamps, drop credential secrets (pure).

An identity page is first tried in bulk (:mod:`ory_frames._columnar`: one ``pa.array`` over the
page, summaries by Arrow compute). A page holding any value that does not fit its column is redone
here value by value: columns are built into plain lists, then turned into Arrow arrays; timestamps go
through Arrow's RFC 3339 parser (offsets and fractions included). A trait value of the wrong type
becomes null and is counted in :class:`ConversionProblems` (reading never fails on data the server
accepted earlier, e.g. after a schema change); nested sub-objects that do not fit their struct are
handled the same way.

Summary columns of an identity (derived from ``verifiable_addresses``, fact sheet section 3):

``email``                  the first verifiable address with ``via == "email"`` (else the first recovery one)
``email_verified``         whether that address is verified (null when there is no email)
``emails``                 every verifiable email address, in order
``verified_emails``        the verified ones
``phone``                  the first verifiable address with ``via == "sms"``
``phone_verified``         whether it is verified
``phones``                 every verifiable sms address
``verified_address_count`` how many verifiable addresses are verified
``credential_types``       the keys of ``credentials`` (null when the response had no ``credentials``)
``credential_identifiers`` every credential identifier, across types

Credential ``config`` (hashes, OIDC tokens, TOTP URLs, lookup codes) never becomes a column unless
the type is named in ``include_credential``; then it is the JSON column ``credentials.<type>.config``.
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
from datetime import datetime, timezone
from typing import Any

import orjson
import pyarrow as pa

from ._columnar import FastIdentityColumns, field_values, loosen
from ._errors import Problem
from ._schema import JSON_FIELD_METADATA, JSON_TYPE, TraitInfo

__all__ = [
    "AAL_CATEGORIES",
    "STATE_CATEGORIES",
    "ConversionProblems",
    "ConversionWarning",
    "IdentityConverter",
    "SessionConverter",
]

TIMESTAMP = pa.timestamp("us", tz="UTC")
STATE_CATEGORIES = ("active", "inactive")
AAL_CATEGORIES = ("aal0", "aal1", "aal2", "aal3")
_STATE_TYPE = pa.dictionary(pa.int8(), pa.string())

# Sub-object shapes, fact sheet section 3 (addresses) and section 8 (devices, authentication methods).
VERIFIABLE_ADDRESS = pa.struct(
    [
        ("id", pa.string()),
        ("value", pa.string()),
        ("verified", pa.bool_()),
        ("via", pa.string()),
        ("status", pa.string()),
        ("verified_at", TIMESTAMP),
        ("created_at", TIMESTAMP),
        ("updated_at", TIMESTAMP),
    ]
)
RECOVERY_ADDRESS = pa.struct(
    [
        ("id", pa.string()),
        ("value", pa.string()),
        ("via", pa.string()),
        ("break_glass_for_organization", pa.string()),
        ("created_at", TIMESTAMP),
        ("updated_at", TIMESTAMP),
    ]
)
AUTHENTICATION_METHOD = pa.struct(
    [
        ("method", pa.string()),
        ("aal", pa.string()),
        ("completed_at", TIMESTAMP),
        ("provider", pa.string()),
        ("organization", pa.string()),
    ]
)
DEVICE = pa.struct(
    [("id", pa.string()), ("ip_address", pa.string()), ("user_agent", pa.string()), ("location", pa.string())]
)

_FRACTION = re.compile(r"(\.\d{6})\d+")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: building many small lists from many live dicts otherwise triggers it often."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ConversionWarning(UserWarning):
    """Some values did not fit their column and were read as null."""


@dataclass
class ConversionProblems:
    """Values set to null because they did not fit their column: counts per column plus a few samples."""

    counts: Counter[str] = field(default_factory=Counter)
    samples: list[Problem] = field(default_factory=list)
    max_samples: int = 20

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
        """Emit one :class:`ConversionWarning` summarising the problems, if there were any."""
        if not self.total:
            return
        first = "; ".join(str(p) for p in self.samples[:3])
        per_column = ", ".join(f"{c}: {n}" for c, n in self.counts.most_common())
        warnings.warn(
            f"{self.total} values did not fit their column and were read as null ({per_column}); e.g. {first}",
            ConversionWarning,
            stacklevel=stacklevel,
        )


def _dumps(value: Any) -> str | None:
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
    text = _normalise_ts(value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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


def _nested_array(
    values: Sequence[Any], arrow_type: pa.DataType, column: str, problems: ConversionProblems, rows: Sequence[Any]
) -> pa.Array:
    """Lists of dicts -> list<struct>; timestamps inside are parsed; rows that do not fit become null."""
    loose = loosen(arrow_type)
    try:
        return pa.array(values, loose).cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    out: list[pa.Array] = []
    for row, v in zip(rows, values, strict=True):
        try:
            out.append(pa.array([_normalise_deep(v)], loose).cast(arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            problems.add(row, column, f"does not fit {arrow_type}: {exc}")
            out.append(pa.nulls(1, arrow_type))
    return pa.concat_arrays(out) if out else pa.array([], arrow_type)


def _normalise_deep(value: Any) -> Any:
    if isinstance(value, list):
        return [_normalise_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_deep(v) for k, v in value.items()}
    return _normalise_ts(value)


def dictionary_array(
    values: Sequence[Any], categories: Sequence[str], column: str, problems: ConversionProblems, rows: Sequence[Any]
) -> pa.Array:
    """Strings -> dictionary<int8, string> with fixed categories; unknown values become null."""
    index = {c: i for i, c in enumerate(categories)}
    codes: list[int | None] = []
    for row, v in zip(rows, values, strict=True):
        code = index.get(v) if isinstance(v, str) else None
        if code is None and v is not None:
            problems.add(row, column, f"{v!r} is not one of {list(categories)}")
        codes.append(code)
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(list(categories), pa.string()))


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
_EXACT: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (float,), "boolean": (bool,)}


class _TraitColumns:
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
                out.append(json_array([None if v is None else _dumps(v) for v in column]))
                continue
            exact = _EXACT.get(info.json_type)
            bad = [i for i, v in enumerate(column) if v is not None and (exact is None or type(v) not in exact)]
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
                out.append(_nested_array(column, info.arrow_type, name, problems, rows))
            else:
                out.append(pa.array(column, info.arrow_type))
        return out


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(info: TraitInfo) -> str:
    if info.json_type == "array":
        return f"an array of {info.item_json_type}"
    return f"a {info.json_type}" if info.json_type != "integer" else "an integer"


# --- identities -----------------------------------------------------------------------------------

_IDENTITY_HEAD = [
    pa.field("id", pa.string()),
    pa.field("external_id", pa.string()),
    pa.field("schema_id", pa.string()),
    pa.field("state", _STATE_TYPE),
    pa.field("state_changed_at", TIMESTAMP),
    pa.field("created_at", TIMESTAMP),
    pa.field("updated_at", TIMESTAMP),
    pa.field("organization_id", pa.string()),
]
_IDENTITY_TAIL = [
    pa.field("metadata_public", JSON_TYPE, metadata=JSON_FIELD_METADATA),
    pa.field("metadata_admin", JSON_TYPE, metadata=JSON_FIELD_METADATA),
    pa.field("verifiable_addresses", pa.list_(VERIFIABLE_ADDRESS)),
    pa.field("recovery_addresses", pa.list_(RECOVERY_ADDRESS)),
    pa.field("email", pa.string()),
    pa.field("email_verified", pa.bool_()),
    pa.field("emails", pa.list_(pa.string())),
    pa.field("verified_emails", pa.list_(pa.string())),
    pa.field("phone", pa.string()),
    pa.field("phone_verified", pa.bool_()),
    pa.field("phones", pa.list_(pa.string())),
    pa.field("verified_address_count", pa.int64()),
    pa.field("credential_types", pa.list_(pa.string())),
    pa.field("credential_identifiers", pa.list_(pa.string())),
]


def _summary(addresses: Any, recovery: Any) -> tuple[Any, ...]:
    """email, email_verified, emails, verified_emails, phone, phone_verified, phones, verified count."""
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


def _credential_columns(recs: Sequence[Mapping[str, Any]], include: Sequence[str]) -> list[pa.Array]:
    """credential_types, credential_identifiers and one config column per type in ``include``."""
    creds = [c if type(c := r.get("credentials")) is dict else None for r in recs]
    cred_ids = [
        None
        if c is None
        else [
            i
            for e in c.values()
            if type(e) is dict and type(e.get("identifiers")) is list
            for i in e["identifiers"]
            if type(i) is str
        ]
        for c in creds
    ]
    configs = [
        [_dumps(e.get("config")) if type(e := (c or {}).get(ctype)) is dict else None for c in creds]
        for ctype in include
    ]
    return [
        pa.array([None if c is None else [str(k) for k in c] for c in creds], pa.list_(pa.string())),
        pa.array(cred_ids, pa.list_(pa.string())),
        *(json_array(c) for c in configs),
    ]


class IdentityConverter:
    """Identity JSON objects -> RecordBatches of one fixed Arrow schema.

    Parameters
    ----------
    traits
        The trait columns, from :func:`ory_frames._schema.trait_columns`.
    include_credential
        Credential types whose ``config`` becomes a ``credentials.<type>.config`` JSON column.
    """

    def __init__(self, traits: Mapping[str, TraitInfo], *, include_credential: Sequence[str] = ()) -> None:
        self.traits = dict(traits)
        self.include_credential = tuple(dict.fromkeys(include_credential))
        self.problems = ConversionProblems()
        config_fields = [
            pa.field(f"credentials.{t}.config", JSON_TYPE, metadata=JSON_FIELD_METADATA)
            for t in self.include_credential
        ]
        self.schema = pa.schema(
            [*_IDENTITY_HEAD, *_TraitColumns(self.traits).fields(), *_IDENTITY_TAIL, *config_fields]
        )
        self._fast = FastIdentityColumns(self.traits, pa.list_(VERIFIABLE_ADDRESS), pa.list_(RECOVERY_ADDRESS))
        self._json_traits = _TraitColumns({k: v for k, v in self.traits.items() if v.is_json})

    def convert(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        """One RecordBatch of ``self.schema`` from identity JSON objects (unknown keys are ignored)."""
        with _gc_paused():
            batch = self._convert_fast(records)
            return batch if batch is not None else self._convert(records)

    def convert_pages(self, pages: Sequence[Sequence[Mapping[str, Any]]]) -> pa.Table:
        """A table of several pages' records, equal to :meth:`convert` of their concatenation.

        The pages are tried in bulk together (fewer, larger Arrow calls); if a value needs the
        value-by-value path, each page is converted on its own so that only that page takes it.
        """
        records = [r for page in pages for r in page] if len(pages) != 1 else pages[0]
        with _gc_paused():
            batch = self._convert_fast(records) if len(pages) > 1 else None
        if batch is not None:
            return pa.Table.from_batches([batch], schema=self.schema)
        return pa.Table.from_batches([self.convert(page) for page in pages], schema=self.schema)

    def _convert_fast(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch | None:
        """The page in bulk (:mod:`ory_frames._columnar`), or None when a value needs the slow path."""
        columns = self._fast.build(records)
        if columns is None:
            return None
        # JSON-text columns need one orjson.dumps per non-null value; credentials are rare in lists.
        json_traits = self._json_traits.arrays(field_values(records, "traits"), self.problems, ())
        columns.update(zip(self._json_traits.names, json_traits, strict=True))
        for key in ("metadata_public", "metadata_admin"):
            columns[key] = json_array([None if v is None else _dumps(v) for v in field_values(records, key)])
        arrays = [columns[f.name] for f in self.schema if not f.name.startswith("credential")]
        arrays += _credential_columns(records, self.include_credential)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _convert(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        problems = self.problems
        recs = [r if isinstance(r, dict) else {} for r in records]
        rows = [r.get("id") for r in recs]
        va = [r.get("verifiable_addresses") for r in recs]
        ra = [r.get("recovery_addresses") for r in recs]
        va = [v if type(v) is list else None for v in va]
        ra = [v if type(v) is list else None for v in ra]
        summaries = list(zip(*map(_summary, va, ra), strict=True)) if recs else [()] * 8

        def get(key: str) -> list[Any]:
            return [r.get(key) for r in recs]

        arrays = [
            string_array(rows, "id", problems, rows),
            string_array([v or None for v in get("external_id")], "external_id", problems, rows),
            string_array(get("schema_id"), "schema_id", problems, rows),
            dictionary_array(get("state"), STATE_CATEGORIES, "state", problems, rows),
            timestamp_array(get("state_changed_at"), "state_changed_at", problems, rows),
            timestamp_array(get("created_at"), "created_at", problems, rows),
            timestamp_array(get("updated_at"), "updated_at", problems, rows),
            string_array(get("organization_id"), "organization_id", problems, rows),
            *_TraitColumns(self.traits).arrays(get("traits"), problems, rows),
            json_array([None if v is None else _dumps(v) for v in get("metadata_public")]),
            json_array([None if v is None else _dumps(v) for v in get("metadata_admin")]),
            _nested_array(va, pa.list_(VERIFIABLE_ADDRESS), "verifiable_addresses", problems, rows),
            _nested_array(ra, pa.list_(RECOVERY_ADDRESS), "recovery_addresses", problems, rows),
            *(pa.array(values, f.type) for values, f in zip(summaries, _IDENTITY_TAIL[4:12], strict=True)),
            *_credential_columns(recs, self.include_credential),
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


# --- sessions -------------------------------------------------------------------------------------

_SESSION_HEAD = [
    pa.field("id", pa.string()),
    pa.field("identity_id", pa.string()),
    pa.field("active", pa.bool_()),
    pa.field("expires_at", TIMESTAMP),
    pa.field("authenticated_at", TIMESTAMP),
    pa.field("issued_at", TIMESTAMP),
    pa.field("authenticator_assurance_level", _STATE_TYPE),
    pa.field("authentication_methods", pa.list_(AUTHENTICATION_METHOD)),
    pa.field("devices", pa.list_(DEVICE)),
    pa.field("methods", pa.list_(pa.string())),
    pa.field("device_count", pa.int64()),
    pa.field("last_ip", pa.string()),
]
_SESSION_IDENTITY = [
    pa.field("identity.schema_id", pa.string()),
    pa.field("identity.state", _STATE_TYPE),
]


class SessionConverter:
    """Session JSON objects -> RecordBatches of one fixed Arrow schema.

    Columns: ``id, identity_id, active, expires_at, authenticated_at, issued_at,
    authenticator_assurance_level`` (category ``aal0``..``aal3``), ``authentication_methods``
    (list<struct>), ``devices`` (list<struct>; null when not expanded, fact sheet section 8), and the
    summaries ``methods`` (method names), ``device_count`` and ``last_ip`` (the last device's address).
    With ``identity_traits`` given, also ``identity.schema_id``, ``identity.state`` and
    ``identity.traits.<path>``. ``identity_id`` comes from the embedded identity, or from an
    ``identity_id`` key, or from ``identity_id=`` (sessions of one identity).
    """

    def __init__(self, identity_traits: Mapping[str, TraitInfo] | None = None) -> None:
        self.identity_traits = dict(identity_traits) if identity_traits is not None else None
        self.problems = ConversionProblems()
        extra: list[pa.Field] = []
        if self.identity_traits is not None:
            extra = [*_SESSION_IDENTITY, *_TraitColumns(self.identity_traits, "identity.").fields()]
        self.schema = pa.schema([*_SESSION_HEAD, *extra])

    def convert(self, records: Sequence[Mapping[str, Any]], *, identity_id: str | None = None) -> pa.RecordBatch:
        """One RecordBatch of ``self.schema`` from session JSON objects."""
        with _gc_paused():
            return self._convert(records, identity_id)

    def _convert(self, records: Sequence[Mapping[str, Any]], identity_id: str | None) -> pa.RecordBatch:
        problems = self.problems
        cols: list[list[Any]] = [[] for _ in range(12)]
        ids, idents, active, expires, authed, issued, aal, methods, devices, names, counts, ips = cols
        with_identity = self.identity_traits is not None
        trait_cols = _TraitColumns(self.identity_traits or {}, "identity.")
        id_schema: list[Any] = []
        id_state: list[Any] = []
        id_traits: list[Any] = []
        for rec in records:
            ids.append(rec.get("id"))
            ident = rec.get("identity")
            ident = ident if isinstance(ident, dict) else None
            idents.append((ident or {}).get("id") or rec.get("identity_id") or identity_id)
            act = rec.get("active")
            active.append(act if type(act) is bool else None)
            expires.append(rec.get("expires_at"))
            authed.append(rec.get("authenticated_at"))
            issued.append(rec.get("issued_at"))
            aal.append(rec.get("authenticator_assurance_level"))
            am, dv = rec.get("authentication_methods"), rec.get("devices")
            am = am if isinstance(am, list) else None
            dv = dv if isinstance(dv, list) else None
            methods.append(am)
            devices.append(dv)
            names.append([m.get("method") for m in am if isinstance(m, dict)] if am is not None else None)
            counts.append(len(dv) if dv is not None else None)
            last = dv[-1] if dv else None
            ips.append(last.get("ip_address") if isinstance(last, dict) else None)
            if with_identity:
                id_schema.append((ident or {}).get("schema_id"))
                id_state.append((ident or {}).get("state"))
                id_traits.append((ident or {}).get("traits"))
        rows = ids
        arrays = [
            string_array(ids, "id", problems, rows),
            string_array(idents, "identity_id", problems, rows),
            pa.array(active, pa.bool_()),
            timestamp_array(expires, "expires_at", problems, rows),
            timestamp_array(authed, "authenticated_at", problems, rows),
            timestamp_array(issued, "issued_at", problems, rows),
            dictionary_array(aal, AAL_CATEGORIES, "authenticator_assurance_level", problems, rows),
            _nested_array(methods, pa.list_(AUTHENTICATION_METHOD), "authentication_methods", problems, rows),
            _nested_array(devices, pa.list_(DEVICE), "devices", problems, rows),
            _safe_string_lists(names),
            pa.array(counts, pa.int64()),
            _safe_strings(ips),
        ]
        if with_identity:
            arrays += [
                string_array(id_schema, "identity.schema_id", problems, rows),
                dictionary_array(id_state, STATE_CATEGORIES, "identity.state", problems, rows),
                *trait_cols.arrays(id_traits, problems, rows),
            ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def _safe_strings(values: Sequence[Any]) -> pa.Array:
    return pa.array([v if isinstance(v, str) else None for v in values], pa.string())


def _safe_string_lists(values: Sequence[Any]) -> pa.Array:
    return pa.array(
        [[x for x in v if isinstance(x, str)] if v is not None else None for v in values], pa.list_(pa.string())
    )
