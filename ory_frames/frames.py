"""Identities and sessions as pandas DataFrames: pages in, DataFrames out.

``read_*`` functions fetch (through :mod:`ory_frames._read`, which they share with the exports and
the command line), ``*_frame`` functions convert JSON already in hand. Both go JSON -> Arrow
(:mod:`ory_frames.convert._records`) -> pandas with nullable dtypes: strings are ``string``, integers
``Int64``, booleans ``boolean``, timestamps ``datetime64[us, UTC]``, ``state`` and
``authenticator_assurance_level`` are ``category``. List and struct columns (addresses, devices,
``emails``, list traits) are ``pd.ArrowDtype`` over the read's Arrow data, for pandas' ``.list`` and
``.struct`` accessors; a cell or ``.tolist()`` gives Python lists and dicts. JSON columns (metadata,
object traits) keep their JSON text and parse a cell when it is looked at. No Python object is made
per nested value while reading.

Every frame carries ``df.attrs["ory_frames"]``, a dict that write-back relies on:

``kind``            ``"identities"`` or ``"sessions"``
``schemas``         ``{schema_id: JSON Schema}`` used for the trait columns (fetched or inferred)
``schemas_inferred`` True when the schemas were inferred from the records (``*_frame`` without schemas)
``trait_columns``   ``{column: {"pointer", "json_type", "item_json_type", "format", "schema_ids"}}``
``read_at``         when the read started, RFC 3339 UTC
``filters``         the filters and options of the read (only those given)
``include_credential`` credential types whose config became columns
``problems``        ``{column: count}`` of values read as null because they did not fit their column
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
import pyarrow as pa

from ory_frames.convert import ATTRS_KEY, IdentityConverter, SessionConverter, attrs, now, table_to_frame
from ory_frames.pages import DEFAULT_BUFFER_BYTES

from ._errors import InvalidInputError, Problem
from ._read import (
    expand_list,
    fetch_schemas,
    identity_filters,
    identity_pages,
    identity_session_pages,
    session_pages,
    with_progress,
)
from ._schema import infer_schemas, normalize_schemas, trait_columns
from ._types import DEFAULT_SESSION_EXPAND, Consistency, CredentialType, JSONObject, SessionExpand

if TYPE_CHECKING:
    from ory_frames.client import Client

__all__ = [
    "identities_frame",
    "read_identities",
    "read_identity_sessions",
    "read_sessions",
    "sessions_frame",
    "table_to_frame",
]


@overload
def read_identities(
    client: Client,
    *,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    consistency: Consistency | None = None,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: Literal[False] = False,
) -> pd.DataFrame: ...


@overload
def read_identities(
    client: Client,
    *,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    consistency: Consistency | None = None,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: Literal[True],
) -> pa.Table: ...


def read_identities(
    client: Client,
    *,
    ids: Sequence[str] | None = None,
    credentials_identifier: str | None = None,
    preview_credentials_identifier_similar: str | None = None,
    organization_id: str | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    consistency: Consistency | None = None,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    shards: int = 1,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: bool = False,
) -> pd.DataFrame | pa.Table:
    """Every identity matching the filters, one row each, with one column per trait.

    Parameters
    ----------
    client
        The :class:`~ory_frames.Client` to read with.
    ids, credentials_identifier, preview_credentials_identifier_similar, organization_id
        The list filters of ``GET /admin/identities``; at most one of them (Ory refuses combinations).
    include_credential
        Credential types whose ``config`` is wanted, e.g. ``["password"]``: each becomes a
        ``credentials.<type>.config`` column. Configs hold secrets; no other column ever does.
    consistency
        ``"strong"`` or ``"eventual"`` (Ory Network only).
    page_size
        Identities per request; None asks for Ory's maximum, 500.
    progress
        Draw a progress bar (tqdm.auto).
    keep_zero_time
        Keep Go's zero time ``0001-01-01T00:00:00Z`` (an unset timestamp) as the year 1, typed like every
        other timestamp (UTC, microseconds); by default it is read as NaT, in every timestamp column,
        nested ones included. Such a frame writes Parquet and JSON with ``date_format="iso"``, but
        pandas' epoch JSON form (``df.to_json()`` without it) overflows, and ``describe()`` reports
        means a thousand years off.
    shards
        Keyset cursors reading slices of the id space at once, as in :func:`~ory_frames.export_identities`;
        the same rows, in another order.
    buffer_bytes
        Bytes of answers fetched ahead, by background threads, while pages are converted.
    as_arrow
        Return the ``pyarrow.Table`` the frame would be made from (by :func:`table_to_frame`), for polars,
        DuckDB or Arrow: no pandas involved. Nested columns stay Arrow lists and structs; JSON columns
        (metadata, ...) hold JSON text.

    Returns
    -------
    pandas.DataFrame or pyarrow.Table
        Columns as in docs/architecture.md; ``df.attrs["ory_frames"]`` as in this module's docstring.
        The trait columns come from the project's identity schemas, fetched once.

    Examples
    --------
    >>> from ory_frames import Client, read_identities, sandbox
    >>> with sandbox.running(seed_identities=20) as url, Client(url) as client:
    ...     df = read_identities(client)
    >>> len(df)
    20
    """
    read_at = now()
    schemas = fetch_schemas(client)
    traits = trait_columns(schemas)
    converter = IdentityConverter(traits, include_credential=include_credential or (), keep_zero_time=keep_zero_time)
    filters = identity_filters(
        ids=ids,
        credentials_identifier=credentials_identifier,
        preview_credentials_identifier_similar=preview_credentials_identifier_similar,
        organization_id=organization_id,
        include_credential=include_credential,
        consistency=consistency,
    )
    pages = identity_pages(client, filters, page_size=page_size, shards=shards, buffer_bytes=buffer_bytes)
    batches = [converter.convert(page.items) for page in with_progress(pages, progress, "identities")]
    table = pa.Table.from_batches(batches, schema=converter.schema)
    converter.problems.warn()
    if as_arrow:
        return table
    df = table_to_frame(table)
    df.attrs[ATTRS_KEY] = attrs(
        "identities",
        schemas,
        traits,
        read_at=read_at,
        filters={k: v for k, v in filters.items() if k != "include_credential"},
        problems=converter.problems,
        include_credential=list(include_credential or ()),
    )
    return df


def identities_frame(
    records: Iterable[Mapping[str, Any]],
    *,
    schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    include_credential: Sequence[CredentialType | str] | None = None,
    keep_zero_time: bool = False,
) -> pd.DataFrame:
    """A DataFrame from identity JSON objects already in hand (no I/O).

    Parameters
    ----------
    records
        Identity objects as the API sends them.
    schemas
        ``{schema_id: JSON Schema}`` or ``GET /schemas`` items. Without them the trait columns are
        inferred from the records' traits (no formats, so no date-time columns).
    include_credential
        Credential types whose ``config`` becomes a column.
    keep_zero_time
        As in :func:`read_identities`: Go's zero time is NaT unless this is true.

    Raises
    ------
    InvalidInputError
        If a record is not an object with a string ``id``, or its ``traits`` are not an object: such a
        row could not be matched back to Ory by write-back.

    Examples
    --------
    >>> df = identities_frame([{"id": "a", "schema_id": "default", "state": "active", "traits": {"email": "a@x.io"}}])
    >>> df["traits.email"].tolist()
    ['a@x.io']
    """
    items = _objects_with_ids(records, "identity")
    inferred = schemas is None
    resolved = infer_schemas(items) if schemas is None else normalize_schemas(schemas)
    traits = trait_columns(resolved)
    converter = IdentityConverter(traits, include_credential=include_credential or (), keep_zero_time=keep_zero_time)
    df = table_to_frame(pa.Table.from_batches([converter.convert(items)], schema=converter.schema))
    converter.problems.warn()
    df.attrs[ATTRS_KEY] = attrs(
        "identities",
        resolved,
        traits,
        read_at=now(),
        filters={},
        problems=converter.problems,
        inferred=inferred,
        include_credential=list(include_credential or ()),
    )
    return df


def _sessions_df(
    converter: SessionConverter,
    batches: list[pa.RecordBatch],
    schemas: Mapping[str, JSONObject],
    *,
    read_at: str,
    filters: Mapping[str, Any],
    inferred: bool = False,
) -> pd.DataFrame:
    df = table_to_frame(pa.Table.from_batches(batches, schema=converter.schema))
    converter.problems.warn(stacklevel=4)
    df.attrs[ATTRS_KEY] = attrs(
        "sessions",
        schemas,
        converter.identity_traits or {},
        read_at=read_at,
        filters=filters,
        problems=converter.problems,
        inferred=inferred,
    )
    return df


@overload
def read_sessions(
    client: Client,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: Literal[False] = False,
) -> pd.DataFrame: ...


@overload
def read_sessions(
    client: Client,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: Literal[True],
) -> pa.Table: ...


def read_sessions(
    client: Client,
    *,
    active: bool | None = None,
    expand: SessionExpand | Sequence[SessionExpand] | None = DEFAULT_SESSION_EXPAND,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    as_arrow: bool = False,
) -> pd.DataFrame | pa.Table:
    """Every session of the project (``GET /admin/sessions``), one row each.

    Parameters
    ----------
    active
        ``True``: active and unexpired only; ``False``: inactive or expired only (wire notes §1).
        With ``"identity"`` expanded, Ory also reports ``active`` false for sessions of an inactive
        identity, which this filter does not look at (wire notes §8).
    expand
        By default ``("identity", "devices")``. ``"identity"`` fills ``identity_id`` and adds
        ``identity.schema_id``, ``identity.state`` and ``identity.traits.*`` (the schemas are fetched
        once); ``"devices"`` fills ``devices``, ``device_count`` and ``last_ip``. The default expands
        both because without ``"identity"`` Ory's list answer has ``"identity": null`` (wire notes
        §8): nothing says whose session a row is. ``expand=()`` or ``None`` asks for no
        expansion; then ``identity_id`` and ``devices`` are null.
    page_size
        Sessions per request; None asks for Ory's maximum, 1000.
    progress
        Draw a progress bar (tqdm.auto).
    keep_zero_time
        As in :func:`read_identities`: Go's zero time is NaT unless this is true.
    buffer_bytes
        As in :func:`read_identities`.
    as_arrow
        Return the ``pyarrow.Table`` the frame would be made from, as in :func:`read_identities`.

    Examples
    --------
    >>> from ory_frames import Client, read_sessions, sandbox
    >>> with sandbox.running(seed_identities=5) as url, Client(url) as client:
    ...     df = read_sessions(client)
    >>> "identity.traits.email" in df.columns and bool(df["identity_id"].notna().all())
    True
    """
    read_at = now()
    expands = expand_list(expand)
    schemas = fetch_schemas(client) if "identity" in expands else {}
    converter = SessionConverter(
        trait_columns(schemas) if "identity" in expands else None, keep_zero_time=keep_zero_time
    )
    pages = session_pages(client, active=active, expand=expands, page_size=page_size, buffer_bytes=buffer_bytes)
    batches = [converter.convert(page.items) for page in with_progress(pages, progress, "sessions")]
    if as_arrow:
        converter.problems.warn()
        return pa.Table.from_batches(batches, schema=converter.schema)
    return _sessions_df(
        converter, batches, schemas, read_at=read_at, filters={"active": active, "expand": expands or None}
    )


def read_identity_sessions(
    client: Client,
    identity_id: str,
    *,
    active: bool | None = None,
    page_size: int | None = None,
    progress: bool = False,
    keep_zero_time: bool = False,
) -> pd.DataFrame:
    """The sessions of one identity (``GET /admin/identities/{id}/sessions``), newest first.

    The identity is the same on every row, so no ``identity.*`` columns are added; ``identity_id``
    is filled. An unknown identity gives an empty frame (wire notes §1). ``active`` and
    ``progress`` are as in :func:`read_sessions`, ``keep_zero_time`` as in :func:`read_identities`;
    ``page_size`` None asks for Ory's maximum, 1000.
    """
    read_at = now()
    converter = SessionConverter(None, keep_zero_time=keep_zero_time)
    pages = identity_session_pages(client, identity_id, active=active, page_size=page_size)
    batches = [
        converter.convert(page.items, identity_id=identity_id) for page in with_progress(pages, progress, "sessions")
    ]
    return _sessions_df(converter, batches, {}, read_at=read_at, filters={"identity_id": identity_id, "active": active})


def sessions_frame(
    records: Iterable[Mapping[str, Any]],
    *,
    schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    keep_zero_time: bool = False,
) -> pd.DataFrame:
    """A DataFrame from session JSON objects already in hand (no I/O).

    When any record embeds its ``identity``, the ``identity.*`` columns are added, typed from
    ``schemas`` or inferred from the embedded traits. ``keep_zero_time`` is as in :func:`read_identities`.
    """
    items = _objects_with_ids(records, "session")
    identities = [r["identity"] for r in items if isinstance(r.get("identity"), dict)]
    inferred = schemas is None
    resolved = infer_schemas(identities) if schemas is None else normalize_schemas(schemas)
    converter = SessionConverter(trait_columns(resolved) if identities else None, keep_zero_time=keep_zero_time)
    batch = converter.convert(items)
    return _sessions_df(
        converter, [batch], resolved if identities else {}, read_at=now(), filters={}, inferred=inferred
    )


def _objects_with_ids(records: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    """The records as a list; InvalidInputError names every one that is not an Ory object with a string id.

    A row without its id could not be matched back to Ory: write-back would take it for a new identity.
    """
    items = list(records)
    problems = []
    for row, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(
                Problem(row, None, f"{_article(kind)} {kind} must be a JSON object, not {type(item).__name__}")
            )
        elif not isinstance(item.get("id"), str):
            problems.append(Problem(row, "id", f"{_article(kind)} {kind} needs a string id, got {item.get('id')!r}"))
        elif kind == "identity" and not isinstance(item.get("traits"), (Mapping, type(None))):
            problems.append(
                Problem(row, "traits", f"traits must be a JSON object, not {type(item['traits']).__name__}")
            )
    if problems:
        raise InvalidInputError(problems)
    return items


def _article(noun: str) -> str:
    """'an' before a vowel, else 'a'."""
    return "an" if noun[:1] in "aeiou" else "a"
