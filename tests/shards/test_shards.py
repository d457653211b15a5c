"""Keyset shards against the sandbox: every identity once, the same rows, with faults; fallbacks, resume, budget."""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import drift_support
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ory_frames import Client, ConversionWarning, export_identities, iter_identity_batches, read_identities
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport
from ory_frames.export._files import STATE_SUFFIX

SIZES = (0, 1, 2, 3, 40, 333)
# Every fault a retried GET recovers from (a 429 fault would only make the run wait for its reset).
FAULTS = "500=0.04,502=0.03,503=0.03,reset=0.03,truncate=0.03"
FALLBACK = "cannot be read by several cursors"


def patient(url: str, inner: httpx.BaseTransport | None = None) -> Client:
    """A client that retries each safe request many times, quickly (the sandbox injects faults)."""
    policy = RetryPolicy(retries=15, base=0.002, cap=0.02)
    return Client(url, transport=RetryTransport(inner or httpx.HTTPTransport(), policy=policy))


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("id").combine_chunks()


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[int, str]]:
    """One sandbox per dataset size, each injecting faults into one request in six."""
    with contextlib.ExitStack() as stack:
        yield {
            n: stack.enter_context(drift_support.running(seed_identities=n, faults=FAULTS, fault_seed=n)) for n in SIZES
        }


@pytest.fixture(scope="module")
def clean() -> Iterator[str]:
    """A sandbox of 333 identities and no faults."""
    with drift_support.running(seed_identities=333) as url:
        yield url


@pytest.fixture(scope="module")
def reference(faulty: dict[int, str]) -> dict[int, pa.Table]:
    """The sequential export of each sandbox, sorted by id."""
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, url in faulty.items():
            with patient(url) as client:
                export_identities(client, Path(tmp) / f"{n}.parquet", page_size=50)
            tables[n] = by_id(pq.read_table(Path(tmp) / f"{n}.parquet"))
            assert tables[n].num_rows == n
    return tables


@pytest.mark.sandbox_only("shards under injected faults (the faulty sandboxes of this module)")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), shards=st.integers(1, 16), page_size=st.sampled_from([2, 7, 50, 500]))
def test_shards_export_every_identity_once_with_the_sequential_content(
    faulty: dict[int, str], reference: dict[int, pa.Table], size: int, shards: int, page_size: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp, patient(faulty[size]) as client:
        path = Path(tmp) / "ids.parquet"
        result = export_identities(client, path, shards=shards, page_size=page_size, batch_rows=60)
        table = pq.read_table(path)
    ids = table.column("id").to_pylist()
    assert result.rows == len(ids) == len(set(ids)) == size
    assert by_id(table).equals(reference[size])
    assert result.shard_fallback is None
    # one page that holds everything needs no second cursor; otherwise every one asked for is used
    assert result.shards == (shards if size > page_size else 1)


@pytest.mark.sandbox_only("shards under injected faults (the faulty sandboxes of this module)")
def test_reads_take_shards_too(faulty: dict[int, str], reference: dict[int, pa.Table]) -> None:
    with patient(faulty[333]) as client:
        table = read_identities(client, shards=5, page_size=20, as_arrow=True)
        frame = read_identities(client, shards=3, page_size=20)
        batches = list(iter_identity_batches(client, shards=4, page_size=20))
    assert by_id(table).equals(reference[333])
    assert sorted(frame["id"]) == reference[333].column("id").to_pylist()
    assert by_id(pa.Table.from_batches(batches)).equals(reference[333])
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ory_frames-")]  # none left running


@pytest.mark.sandbox_only("shards under injected faults (the faulty sandboxes of this module)")
def test_stopping_early_stops_every_fetcher(faulty: dict[int, str]) -> None:
    with patient(faulty[333]) as client:
        batches = iter_identity_batches(client, shards=4, page_size=10, buffer_bytes=1)
        first = next(batches)
        assert first.num_rows == 10
        batches.close()
        assert not [t.name for t in threading.enumerate() if t.name.startswith("ory_frames-")]


class Gatekeeper(httpx.BaseTransport):
    """A server that refuses page tokens it never sent (a 400 as Kratos words it, wire notes §1), or sends opaque ones.

    ``opaque``: tokens go out as ``t-<uuid>`` and come back in as the UUID, so the walk works but a
    token is not the plain UUID of the last identity.
    """

    def __init__(self, *, opaque: bool) -> None:
        self.inner = httpx.HTTPTransport()
        self.opaque = opaque
        self.issued: set[str] = set()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token")
        if request.url.path == "/admin/identities" and token:
            if token not in self.issued:
                self.refused += 1
                body = {
                    "error": {
                        "code": 400,
                        "status": "Bad Request",
                        "reason": "The page token is invalid, do not craft your own page tokens",
                        "message": "The request was malformed or contained invalid parameters",
                    }
                }
                return httpx.Response(400, json=body, request=request)
            if self.opaque:  # a new request: a retry sends the original again
                url = request.url.copy_set_param("page_token", token.removeprefix("t-"))
                request = httpx.Request(request.method, url, headers=request.headers)
        response = self.inner.handle_request(request)
        link = response.headers.get("link", "")
        for part in link.split(","):
            if 'rel="next"' in part:
                sent = parse_qs(part[part.index("?") + 1 : part.index(">")])["page_token"][0]
                if self.opaque:
                    link = link.replace(f"page_token={sent}", f"page_token=t-{sent}")
                    sent = f"t-{sent}"
                self.issued.add(sent)
        response.headers["link"] = link
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.mark.sandbox_only("shards under injected faults (the faulty sandboxes of this module)")
@pytest.mark.parametrize("opaque", [False, True])
def test_a_server_that_refuses_crafted_tokens_is_read_by_one_cursor(
    faulty: dict[int, str], reference: dict[int, pa.Table], tmp_path: Path, opaque: bool
) -> None:
    gate = Gatekeeper(opaque=opaque)
    with patient(faulty[333], gate) as client, pytest.warns(UserWarning, match=FALLBACK) as caught:
        result = export_identities(client, tmp_path / "ids.parquet", shards=4, page_size=30)
    assert len([w for w in caught if FALLBACK in str(w.message)]) == 1  # said once
    assert result.shards == 1 and result.shard_fallback is not None and FALLBACK in result.shard_fallback
    expected = "refused a page token" if not opaque else "not the plain UUIDs"
    assert expected in result.shard_fallback
    assert gate.refused == (3 if not opaque else 0)  # opaque tokens: no token is crafted at all
    assert by_id(pq.read_table(tmp_path / "ids.parquet")).equals(reference[333])


@pytest.mark.sandbox_only("shards under injected faults (the faulty sandboxes of this module)")
def test_filters_that_name_identities_are_read_by_one_cursor(faulty: dict[int, str], tmp_path: Path) -> None:
    with patient(faulty[333]) as client:
        wanted = read_identities(client, page_size=500)["id"].tolist()[5:25]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # documented, not warned about
            warnings.simplefilter("ignore", ConversionWarning)  # what a drifting server adds is another matter
            result = export_identities(client, tmp_path / "ids.parquet", ids=wanted, shards=8)
    assert result.shards == 1 and result.shard_fallback is not None and "ids filter" in result.shard_fallback
    assert sorted(pq.read_table(tmp_path / "ids.parquet").column("id").to_pylist()) == sorted(wanted)


class Recorder(httpx.BaseTransport):
    """Passes requests through, recording the page tokens of identity lists; raises after ``fail_after`` of them."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.tokens: list[str | None] = []
        self.fail_after = fail_after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/identities":
            if self.fail_after is not None and len(self.tokens) >= self.fail_after:
                raise RuntimeError("simulated crash")
            self.tokens.append(request.url.params.get("page_token"))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_resume_continues_each_shard_from_its_own_cursor(clean: str, tmp_path: Path) -> None:
    with Client(clean) as client:
        export_identities(client, tmp_path / "reference.parquet")
    path = tmp_path / "ids.parquet"
    broken = Client(clean, transport=Recorder(fail_after=9), retries=0)
    with broken, pytest.raises(RuntimeError, match="simulated crash"):
        export_identities(broken, path, shards=4, page_size=10, batch_rows=10, buffer_bytes=1)
    state = json.loads(Path(f"{path}{STATE_SUFFIX}").read_text())
    cursors = state["cursors"]
    assert len(cursors) == 4 and 0 < state["rows"] < 333 and not state["done"]
    assert [c["start"] for c in cursors[1:]] == [c["stop"] for c in cursors[:-1]]
    recorder = Recorder()
    with Client(clean, transport=recorder) as client:
        result = export_identities(client, path, shards=2, page_size=10, batch_rows=10, resume=True)
    assert result.resumed and result.rows == 333 and result.shards == 4  # the interrupted run's cursors
    assert by_id(pq.read_table(path)).equals(by_id(pq.read_table(tmp_path / "reference.parquet")))
    # each unfinished cursor's first request asks for the page after the last one written, not from its start
    assert {c["token"] for c in cursors if not c["done"]} <= set(recorder.tokens)
    assert state["pages"] + len(recorder.tokens) == result.pages  # no page fetched twice


@pytest.mark.parametrize("tier", ["developer", "production", "growth", "enterprise"])
@pytest.mark.sandbox_only("Ory Network's rate limits")
def test_shards_share_the_rate_budget_and_get_no_more_429s(tier: str, tmp_path: Path) -> None:
    with drift_support.running(seed_identities=150, rate_limits=tier) as url:

        def too_many() -> int:
            with httpx.Client(base_url=url) as http:
                stats: dict[str, Any] = http.get("/__sandbox/stats").json()
            return int(stats["by_status"].get("429", 0))

        # one client, so one budget knows every request of both exports (the server counts them all)
        with Client(url) as client:
            export_identities(client, tmp_path / "one.parquet", page_size=30)
            sequential = too_many()
            result = export_identities(client, tmp_path / "four.parquet", page_size=30, shards=4)
        assert result.shards == 4 and result.rows == 150
        assert too_many() - sequential <= sequential
