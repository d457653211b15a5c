"""JSON records -> Arrow RecordBatch, the one entry point of conversion: flatten traits, UTC timestamps, drop secrets.

The column names and Arrow shapes of identity and session frames are defined here. An identity page
is first tried on the fast path (:mod:`ory_frames.convert._identity_columns`: one ``pa.array`` over the page,
summaries by Arrow compute). A page holding any value that does not fit its column is redone on the
fallback path (:mod:`ory_frames.convert._values`), value by value: timestamps go through Arrow's
RFC 3339 parser (offsets and fractions included), and a trait value of the wrong type becomes null
and is counted in :class:`ConversionProblems` (reading never fails on data the server accepted
earlier, e.g. after a schema change); nested sub-objects that do not fit their struct are handled
the same way. Sessions always take the fallback path. Go's zero time ``0001-01-01T00:00:00Z`` (an
unset ``time.Time``) is read as null in every timestamp column, nested ones included, unless
``keep_zero_time`` (:mod:`ory_frames.convert._timestamps`). Everything here is pure (no I/O).

Summary columns of an identity (``SUMMARY_COLUMNS``, derived from ``verifiable_addresses``, wire notes §3):

``email``                  the first verifiable address with ``via == "email"`` (else the first recovery one)
``email_verified``         whether that address is verified (null when there is no email)
``emails``                 every verifiable email address, in order
``verified_emails``        the verified ones
``phone``                  the first verifiable address with ``via == "sms"``
``phone_verified``         whether it is verified
``phones``                 every verifiable sms address
``verified_address_count`` how many verifiable addresses are verified

Columns derived from ``credentials`` (``DERIVED_COLUMNS``):

``credential_types``       the keys of ``credentials`` (null when the response had no ``credentials``)
``credential_identifiers`` every credential identifier, across types

Credential ``config`` (hashes, OIDC tokens, TOTP URLs, lookup codes) never becomes a column unless
the type is named in ``include_credential``; then it is the JSON column ``credentials.<type>.config``.

``extra_fields`` (``EXTRA_COLUMN``, JSON) keeps the top-level fields Ory sends that ory_frames does not
know yet (a ``region``, ...) and, under ``traits``, the traits no column holds; new
``state``/``authenticator_assurance_level`` values widen their categories
(:mod:`ory_frames.convert._unknown_fields`); each new field or value is warned about once per read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from ory_frames._schema import JSON_FIELD_METADATA, JSON_TYPE, TraitInfo
from ory_frames.convert._identity_columns import FastIdentityColumns, field_values
from ory_frames.convert._timestamps import null_zero_times
from ory_frames.convert._unknown_fields import EXTRA_COLUMN, identity_extras, session_extras, trait_tree
from ory_frames.convert._values import (
    TIMESTAMP,
    ConversionProblems,
    ConversionWarning,
    TraitColumns,
    address_summary,
    dictionary_array,
    gc_paused,
    json_array,
    json_text,
    nested_array,
    string_array,
    timestamp_array,
)

__all__ = [
    "AAL_CATEGORIES",
    "DERIVED_COLUMNS",
    "EXTRA_COLUMN",
    "STATE_CATEGORIES",
    "SUMMARY_COLUMNS",
    "ConversionProblems",
    "ConversionWarning",
    "IdentityConverter",
    "SessionConverter",
]

_STRINGS = pa.list_(pa.string())
# Summary columns and their Arrow types, in the order both conversion paths produce them (see above).
_SUMMARY_TYPES: dict[str, pa.DataType] = {
    "email": pa.string(),
    "email_verified": pa.bool_(),
    "emails": _STRINGS,
    "verified_emails": _STRINGS,
    "phone": pa.string(),
    "phone_verified": pa.bool_(),
    "phones": _STRINGS,
    "verified_address_count": pa.int64(),
}
_DERIVED_TYPES: dict[str, pa.DataType] = {"credential_types": _STRINGS, "credential_identifiers": _STRINGS}
SUMMARY_COLUMNS: tuple[str, ...] = tuple(_SUMMARY_TYPES)
DERIVED_COLUMNS: tuple[str, ...] = tuple(_DERIVED_TYPES)
_SUMMARY_FIELDS = [pa.field(name, t) for name, t in _SUMMARY_TYPES.items()]
_DERIVED_FIELDS = [pa.field(name, t) for name, t in _DERIVED_TYPES.items()]
# Unknown top-level fields of a record, as JSON (``_convert_unknown``); one column, in identities and sessions.
_EXTRA_FIELD = pa.field(EXTRA_COLUMN, JSON_TYPE, metadata=JSON_FIELD_METADATA)

STATE_CATEGORIES = ("active", "inactive")
AAL_CATEGORIES = ("aal0", "aal1", "aal2", "aal3")
_STATE_TYPE = pa.dictionary(pa.int8(), pa.string())

# Sub-object shapes, wire notes §3 (addresses) and section 8 (devices, authentication methods).
# ``expires_at`` is a legacy field of verifiable addresses (older Kratos versions of
# `identity/identity_verification.go`; still sent for addresses created then): kept in the struct, not dropped.
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
        ("expires_at", TIMESTAMP),
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
    pa.field("region", pa.string()),  # Ory Network only (wire notes §3); null from a self-hosted Kratos
]
_IDENTITY_TAIL = [
    pa.field("metadata_public", JSON_TYPE, metadata=JSON_FIELD_METADATA),
    pa.field("metadata_admin", JSON_TYPE, metadata=JSON_FIELD_METADATA),
    pa.field("verifiable_addresses", pa.list_(VERIFIABLE_ADDRESS)),
    pa.field("recovery_addresses", pa.list_(RECOVERY_ADDRESS)),
    *_SUMMARY_FIELDS,
    *_DERIVED_FIELDS,
    _EXTRA_FIELD,
]


def _credential_columns(
    recs: Sequence[Mapping[str, Any]], include: Sequence[str]
) -> tuple[list[pa.Array], list[pa.Array]]:
    """The ``DERIVED_COLUMNS`` (credential types and identifiers), and one config column per type in ``include``."""
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
        [json_text(e.get("config")) if type(e := (c or {}).get(ctype)) is dict else None for c in creds]
        for ctype in include
    ]
    types = [None if c is None else [str(k) for k in c] for c in creds]
    derived = [pa.array(v, f.type) for v, f in zip((types, cred_ids), _DERIVED_FIELDS, strict=True)]
    return derived, [json_array(c) for c in configs]


class IdentityConverter:
    """Identity JSON objects -> RecordBatches of one fixed Arrow schema.

    Parameters
    ----------
    traits
        The trait columns, from :func:`ory_frames._schema.trait_columns`.
    include_credential
        Credential types whose ``config`` becomes a ``credentials.<type>.config`` JSON column.
    keep_zero_time
        Keep Go's zero time ``0001-01-01T00:00:00Z`` as the year 1; by default it is read as null.
    """

    def __init__(
        self, traits: Mapping[str, TraitInfo], *, include_credential: Sequence[str] = (), keep_zero_time: bool = False
    ) -> None:
        self.traits = dict(traits)
        self.keep_zero_time = keep_zero_time
        self.include_credential = tuple(dict.fromkeys(include_credential))
        self.problems = ConversionProblems()
        config_fields = [
            pa.field(f"credentials.{t}.config", JSON_TYPE, metadata=JSON_FIELD_METADATA)
            for t in self.include_credential
        ]
        self.schema = pa.schema([*_IDENTITY_HEAD, *TraitColumns(self.traits).fields(), *_IDENTITY_TAIL, *config_fields])
        self._fast = FastIdentityColumns(
            self.traits,
            pa.list_(VERIFIABLE_ADDRESS),
            pa.list_(RECOVERY_ADDRESS),
            summary_columns=SUMMARY_COLUMNS,
            states=STATE_CATEGORIES,
        )
        self._json_traits = TraitColumns({k: v for k, v in self.traits.items() if v.is_json})
        self._trait_tree = trait_tree(info.path for info in self.traits.values())
        # The columns the fast path builds: all but the credential ones and the extras, which both paths build alike.
        shared_columns = {*DERIVED_COLUMNS, EXTRA_COLUMN, *(f.name for f in config_fields)}
        self._fast_columns = [name for name in self.schema.names if name not in shared_columns]

    def convert(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        """One RecordBatch of ``self.schema`` from identity JSON objects (unknown fields go to ``extra_fields``)."""
        with gc_paused():
            batch = self._convert_fast(records)
            batch = batch if batch is not None else self._convert_fallback(records)
            return batch if self.keep_zero_time else null_zero_times(batch)

    def convert_pages(self, pages: Sequence[Sequence[Mapping[str, Any]]]) -> pa.Table:
        """A table of several pages' records, equal to :meth:`convert` of their concatenation.

        The pages are tried in bulk together (fewer, larger Arrow calls); if a value needs the
        value-by-value path, each page is converted on its own so that only that page takes it.
        """
        records = [r for page in pages for r in page] if len(pages) != 1 else pages[0]
        with gc_paused():
            batch = self._convert_fast(records) if len(pages) > 1 else None
        if batch is not None:
            batch = batch if self.keep_zero_time else null_zero_times(batch)
            return pa.Table.from_batches([batch], schema=self.schema)
        return pa.Table.from_batches([self.convert(page) for page in pages], schema=self.schema)

    def _convert_fast(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch | None:
        """The page in bulk (`_identity_columns`), or None when a value needs the value-by-value path."""
        columns = self._fast.build(records)
        if columns is None:
            return None
        # JSON-text columns need one orjson.dumps per non-null value; credentials are rare in lists.
        json_traits = self._json_traits.arrays(field_values(records, "traits"), self.problems, ())
        columns.update(zip(self._json_traits.names, json_traits, strict=True))
        for key in ("metadata_public", "metadata_admin"):
            columns[key] = json_array([None if v is None else json_text(v) for v in field_values(records, key)])
        arrays = [columns[name] for name in self._fast_columns]
        arrays += self._shared_columns(records)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _shared_columns(self, records: Sequence[Mapping[str, Any]]) -> list[pa.Array]:
        """The columns both paths build alike: credential types and identifiers, extras, credential configs."""
        derived, configs = _credential_columns(records, self.include_credential)
        extras = identity_extras(records, self.problems, states=STATE_CATEGORIES, traits=self._trait_tree)
        return [*derived, extras, *configs]

    def _convert_fallback(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        """The page value by value (:mod:`ory_frames.convert._values`): values that do not fit become null."""
        problems = self.problems
        recs = [r if isinstance(r, dict) else {} for r in records]
        rows = [r.get("id") for r in recs]
        va = [r.get("verifiable_addresses") for r in recs]
        ra = [r.get("recovery_addresses") for r in recs]
        va = [v if type(v) is list else None for v in va]
        ra = [v if type(v) is list else None for v in ra]
        summaries = list(zip(*map(address_summary, va, ra), strict=True)) if recs else [()] * len(_SUMMARY_FIELDS)

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
            string_array(get("region"), "region", problems, rows),
            *TraitColumns(self.traits).arrays(get("traits"), problems, rows),
            json_array([None if v is None else json_text(v) for v in get("metadata_public")]),
            json_array([None if v is None else json_text(v) for v in get("metadata_admin")]),
            nested_array(va, pa.list_(VERIFIABLE_ADDRESS), "verifiable_addresses", problems, rows),
            nested_array(ra, pa.list_(RECOVERY_ADDRESS), "recovery_addresses", problems, rows),
            *(pa.array(values, f.type) for values, f in zip(summaries, _SUMMARY_FIELDS, strict=True)),
            *self._shared_columns(recs),
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
    _EXTRA_FIELD,
]

_SESSION_IDENTITY = [
    pa.field("identity.schema_id", pa.string()),
    pa.field("identity.state", _STATE_TYPE),
]


class SessionConverter:
    """Session JSON objects -> RecordBatches of one fixed Arrow schema.

    Columns: ``id, identity_id, active, expires_at, authenticated_at, issued_at,
    authenticator_assurance_level`` (category ``aal0``..``aal3``), ``authentication_methods``
    (list<struct>), ``devices`` (list<struct>; null when not expanded, wire notes §8), and the
    summaries ``methods`` (method names), ``device_count`` and ``last_ip`` (the last device's address),
    and ``extra_fields`` (unknown top-level fields as JSON; new categories widen ``aal``/``state``).
    With ``identity_traits`` given, also ``identity.schema_id``, ``identity.state`` and
    ``identity.traits.<path>``. ``identity_id`` comes from the embedded identity, or from an
    ``identity_id`` key, or from ``identity_id=`` (sessions of one identity). Go's zero time
    ``0001-01-01T00:00:00Z`` is read as null, at any depth, unless ``keep_zero_time`` is true.
    """

    def __init__(self, identity_traits: Mapping[str, TraitInfo] | None = None, *, keep_zero_time: bool = False) -> None:
        self.keep_zero_time = keep_zero_time
        self.identity_traits = dict(identity_traits) if identity_traits is not None else None
        self.problems = ConversionProblems()
        extra: list[pa.Field] = []
        if self.identity_traits is not None:
            extra = [*_SESSION_IDENTITY, *TraitColumns(self.identity_traits, "identity.").fields()]
        self.schema = pa.schema([*_SESSION_HEAD, *extra])

    def convert(self, records: Sequence[Mapping[str, Any]], *, identity_id: str | None = None) -> pa.RecordBatch:
        """One RecordBatch of ``self.schema`` from session JSON objects."""
        with gc_paused():
            batch = self._convert(records, identity_id)
        return batch if self.keep_zero_time else null_zero_times(batch)

    def _convert(self, records: Sequence[Mapping[str, Any]], identity_id: str | None) -> pa.RecordBatch:
        problems = self.problems
        cols: list[list[Any]] = [[] for _ in range(12)]  # the _SESSION_HEAD columns but extra_fields
        ids, idents, active, expires, authed, issued, aal, methods, devices, names, counts, ips = cols
        with_identity = self.identity_traits is not None
        trait_cols = TraitColumns(self.identity_traits or {}, "identity.")
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
            nested_array(methods, pa.list_(AUTHENTICATION_METHOD), "authentication_methods", problems, rows),
            nested_array(devices, pa.list_(DEVICE), "devices", problems, rows),
            _safe_string_lists(names),
            pa.array(counts, pa.int64()),
            _safe_strings(ips),
            session_extras(records, problems, aal_values=AAL_CATEGORIES, states=STATE_CATEGORIES),
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
