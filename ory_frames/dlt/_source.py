"""``ory_source``: identities, sessions and identity schemas as a dlt source, merged by id, deletions marked.

Each run reads everything (identities are always read in full), so the ids a resource saw in the previous run,
kept in its dlt resource state, tell which ones Ory no longer lists: for those the resource yields a tombstone
row, ``id`` and ``deleted_at`` set and every other column null, which dlt's ``merge`` puts in place of the
stored row (dlt docs, "Merge loading": the ``delete-insert`` strategy replaces the whole row of a primary key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from typing import Any, TypeAlias

import dlt
import pyarrow as pa
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource

from ory_frames import Client, iter_identity_batches, iter_identity_schemas, iter_session_batches

from ._arrow import DELETED_AT, coalesce, for_dlt, tombstones

__all__ = ["RESOURCES", "ory_source"]

RESOURCES: tuple[str, ...] = ("identities", "sessions", "identity_schemas")
"""The resources of :func:`ory_source`, by name, in the order they load (``ory-frames load --resource`` takes them)."""

# The resource state key holding the ids seen by the last run (dlt docs, "State": resource-scoped state is
# committed with the load that produced it, so a failed run leaves the previous set in place).
_SEEN = "ids_seen"

Item: TypeAlias = "pa.RecordBatch | pa.Table | dict[str, Any]"


def _ids_of(item: Item) -> list[str]:
    """The ``id`` values of a batch, a table or one row."""
    if isinstance(item, dict):
        return [str(item["id"])]
    return [str(value) for value in item.column("id").to_pylist()]


def track_deletions(
    items: Iterable[Item], state: dict[str, Any], *, now: Callable[[], datetime], as_rows: bool = False
) -> Iterator[Item]:
    """The items as they come, then tombstones for the ids ``state`` holds from the last run that did not come.

    ``state`` (the resource's dlt state) then holds this run's ids: one string per row, about 100 bytes of memory
    each while the run lasts (some 100 MB per million identities); dlt stores the state, compressed, in the
    destination's ``_dlt_pipeline_state`` table, a row per run.
    ``as_rows`` yields tombstones as dicts (for a resource of dicts) instead of one Arrow table.
    """
    seen: list[str] = []
    last_schema: pa.Schema | None = None
    for item in items:
        seen.extend(_ids_of(item))
        if not isinstance(item, dict):
            last_schema = item.schema
        yield item
    previous: list[str] = state.get(_SEEN) or []
    gone = sorted(set(previous).difference(seen))
    if gone:
        when = now()
        if as_rows:
            yield from ({"id": row_id, DELETED_AT: when} for row_id in gone)
        else:
            yield tombstones(gone, when, last_schema)
    state[_SEEN] = seen


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dlt.source(name="ory", section="ory", max_table_nesting=0)
def ory_source(
    client: Client | None = None,
    url: str | None = None,
    api_key: TSecretStrValue | None = None,
    page_size: int | None = None,
    progress: bool = False,
) -> Iterator[DltResource]:
    """The Ory identities, sessions and identity schemas of a project as a dlt source.

    Three resources, each merged by primary key ``id`` (write disposition ``merge``): ``identities`` and
    ``sessions`` from the Arrow batches of :func:`ory_frames.iter_identity_batches` and
    :func:`ory_frames.iter_session_batches` (dlt loads them as Arrow, without its JSON normaliser), and
    ``identity_schemas`` (``id``, ``schema`` as a JSON column). Columns are named as in the frames with dots
    as dlt's ``__`` (``traits.name.first`` becomes ``traits__name__first``); ``metadata_public``,
    ``metadata_admin`` and ``extra_fields`` hold JSON text, lists and structs dlt's ``json`` type.

    Deletions: an id the previous run loaded that Ory no longer lists gets a row with ``deleted_at`` set and
    every other column null (a deletion in Ory is often an erasure request, so its data goes too); live rows
    have ``deleted_at`` null. A trait added to a schema is a new column from the next run on (dlt's schema
    evolution); rows loaded before it have it null until they are loaded again.

    Parameters
    ----------
    client
        The :class:`ory_frames.Client` to read with; by default one made of ``url`` and ``api_key``.
    url, api_key
        The project; dlt's config and secrets supply them (``sources.ory.url``, ``sources.ory.api_key`` in
        ``.dlt/config.toml`` and ``.dlt/secrets.toml``, or ``SOURCES__ORY__API_KEY``), else ``ORY_SDK_URL``
        and ``ORY_API_KEY``.
    page_size
        Items per request; default Ory's maximum.
    progress
        Draw a ``tqdm`` bar per resource.

    Returns
    -------
    dlt.extract.DltSource
        The source ``ory`` with resources ``identities``, ``sessions`` and ``identity_schemas``.

    Examples
    --------
    >>> import dlt
    >>> from ory_frames import sandbox
    >>> from ory_frames.dlt import ory_source
    >>> with sandbox.running(seed_identities=5) as url:
    ...     pipeline = dlt.pipeline("ory_frames", destination="duckdb", dataset_name="ory", pipelines_dir="dlt")
    ...     info = pipeline.run(ory_source(url=url))
    >>> pipeline.last_trace.last_normalize_info.row_counts["identities"]
    5
    """

    def connect() -> AbstractContextManager[Client]:
        return nullcontext(client) if client is not None else Client(url, api_key=api_key)

    def identities() -> Iterator[Item]:
        with connect() as c:
            batches = (for_dlt(b) for b in iter_identity_batches(c, page_size=page_size, progress=progress))
            yield from track_deletions(coalesce(batches), dlt.current.resource_state(), now=_utc_now)

    def sessions() -> Iterator[Item]:
        with connect() as c:
            batches = (for_dlt(b) for b in iter_session_batches(c, page_size=page_size, progress=progress))
            yield from track_deletions(coalesce(batches), dlt.current.resource_state(), now=_utc_now)

    def identity_schemas() -> Iterator[Item]:
        with connect() as c:
            rows = (
                {"id": item["id"], "schema": item["schema"], DELETED_AT: None}
                for page in iter_identity_schemas(c)
                for item in page.items
            )
            yield from track_deletions(rows, dlt.current.resource_state(), now=_utc_now, as_rows=True)

    # Each run reads every id once (keyset paging; tombstones are ids not read), so dlt need not deduplicate the
    # staged rows before merging them ("deduplicated", dlt docs "Merge loading").
    merged: dict[str, Any] = {
        "primary_key": "id",
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    }
    yield dlt.resource(identities, name="identities", **merged)
    yield dlt.resource(sessions, name="sessions", **merged)
    yield dlt.resource(
        identity_schemas,
        name="identity_schemas",
        columns={"schema": {"data_type": "json"}, DELETED_AT: {"data_type": "timestamp", "nullable": True}},
        **merged,
    )
