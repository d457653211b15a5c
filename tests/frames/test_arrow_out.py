"""Arrow out: record batches page by page and Arrow tables with the frames' columns and types, without pandas."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import drift_support
import duckdb
import httpx
import pandas as pd
import pyarrow as pa
import pytest

from ory_frames import (
    Client,
    ConversionWarning,
    InvalidInputError,
    iter_identity_batches,
    iter_session_batches,
    read_identities,
    read_sessions,
)
from ory_frames.convert._to_pandas import table_to_frame

SEEDED = 120  # the sandbox of tests/frames/conftest.py


class CountingTransport(httpx.BaseTransport):
    """Counts the list requests sent, by path, before passing them on."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: dict[str, int] = {}
        self._lock = threading.Lock()  # the next page is fetched in a background thread

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent[request.url.path] = self.sent.get(request.url.path, 0) + 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _decoded(table: pa.Table) -> pa.Table:
    """The table with category columns as plain strings: a page holding a new state widens only its own dictionary."""
    fields = [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def test_identity_batches_are_the_table_of_the_frame(client: Client) -> None:
    batches = list(iter_identity_batches(client, page_size=25, include_credential=["password"]))
    table = read_identities(client, as_arrow=True, include_credential=["password"])
    assert isinstance(table, pa.Table) and table.num_rows == SEEDED
    assert [b.num_rows for b in batches] == [25, 25, 25, 25, 20]
    assert all(b.schema == table.schema for b in batches)
    assert _decoded(pa.Table.from_batches(batches)).equals(_decoded(table))
    assert "credentials.password.config" in table.column_names and "traits.email" in table.column_names
    frame = read_identities(client, include_credential=["password"])
    assert list(frame.columns) == table.column_names
    pd.testing.assert_frame_equal(table_to_frame(table), frame)


def test_session_batches_are_the_table_of_the_frame(client: Client) -> None:
    batches = list(iter_session_batches(client, page_size=50))
    table = read_sessions(client, as_arrow=True)
    assert table.num_rows > 50 and len(batches) == -(-table.num_rows // 50)
    assert all(b.schema == table.schema for b in batches)
    assert _decoded(pa.Table.from_batches(batches)).equals(_decoded(table))
    assert {"identity_id", "identity.traits.email", "devices"} <= set(table.column_names)
    assert table.column("identity_id").null_count == 0
    pd.testing.assert_frame_equal(table_to_frame(table), read_sessions(client))


def test_session_batches_without_expansion_fetch_no_schemas(sandbox_url: str) -> None:
    counting = CountingTransport()
    with Client(sandbox_url, transport=counting) as client:
        table = pa.Table.from_batches(iter_session_batches(client, expand=None, active=True))
        assert table.schema == read_sessions(client, expand=(), active=True, as_arrow=True).schema
    assert (
        "identity.traits.email" not in table.column_names and table.column("identity_id").null_count == table.num_rows
    )
    assert counting.sent["/admin/sessions"] == 2 and "/schemas" not in counting.sent  # one per read, no schemas


def test_duckdb_queries_the_table_without_pandas(client: Client) -> None:
    db = duckdb.connect()
    db.register("users", read_identities(client, as_arrow=True))
    by_state = db.sql("SELECT state::VARCHAR AS state, count(*) AS n FROM users GROUP BY 1 ORDER BY 1").fetchall()
    frame = read_identities(client)
    assert by_state == sorted((str(k), int(v)) for k, v in frame["state"].value_counts().items() if v)
    verified = db.sql("SELECT count(*) FROM users, unnest(verifiable_addresses) AS t(a) WHERE a.verified").fetchall()
    # The frame's address column is Arrow-backed: one address per row after explode, a field through .struct.
    expected = int(frame["verifiable_addresses"].explode().struct.field("verified").sum())
    assert verified[0][0] == expected > 0
    db.close()


def test_batches_stream_page_by_page(sandbox_url: str) -> None:
    counting = CountingTransport()
    with Client(sandbox_url, transport=counting) as client:
        batches = iter_identity_batches(client, page_size=10, buffer_bytes=1)
        assert counting.sent == {}  # nothing is sent before the first next()
        first = next(batches)
        sent_at_first = counting.sent["/admin/identities"]
        second = next(batches)
        sent_at_second = counting.sent["/admin/identities"]
        rest = list(batches)
    assert first.num_rows == second.num_rows == 10 and len(rest) == SEEDED // 10 - 2
    # Kratos' admin port redirects the one schema listing to its public port: two requests to /schemas there
    assert counting.sent["/schemas"] == (2 if drift_support.on_kratos() else 1)
    # of 12 pages in all: the page in hand, one in the buffer (one byte holds a page, alone), one the
    # fetcher holds while it waits for room and the request of the next, sent as soon as its Link came
    assert sent_at_first <= 4 and sent_at_second <= 5
    assert counting.sent["/admin/identities"] == SEEDED // 10


def test_a_bad_page_size_is_refused_before_any_request(sandbox_url: str) -> None:
    counting = CountingTransport()
    with Client(sandbox_url, transport=counting) as client:
        for call in (iter_identity_batches, iter_session_batches):
            with pytest.raises(InvalidInputError):
                call(client, page_size=0)
    assert counting.sent == {}


def test_an_empty_read_is_an_empty_table_with_every_column(client: Client) -> None:
    batches: Any = list(iter_identity_batches(client, credentials_identifier="nobody@example.invalid"))
    table = read_identities(client, credentials_identifier="nobody@example.invalid", as_arrow=True)
    assert table.num_rows == 0 and sum(b.num_rows for b in batches) == 0
    assert table.schema == read_identities(client, as_arrow=True).schema


def test_values_that_do_not_fit_are_warned_about_once_after_the_last_batch(make: Any) -> None:
    records = [make.identity(0), make.identity(1, traits={"email": 12}), make.identity(2, traits={"email": 13})]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/schemas":
            return httpx.Response(200, json=[{"id": "default", "schema": make.email_name_schema}])
        assert request.url.path == "/admin/identities"
        return httpx.Response(200, json=records)  # no Link header: the only page

    with Client("http://ory.test", transport=httpx.MockTransport(answer)) as client:
        batches = iter_identity_batches(client)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batch = next(batches)
            assert caught == []  # nothing said before the read is over
            assert list(batches) == []
    assert [type(w.message) for w in caught] == [ConversionWarning]
    assert "2 values did not fit" in str(caught[0].message) and "traits.email" in str(caught[0].message)
    assert caught[0].filename == __file__  # pointed at the loop that read the batches
    assert batch.column("traits.email").to_pylist() == ["user0@example.com", None, None]
