"""Shards on the real server: Kratos' identity page token is the last id, so crafted tokens split the id space.

Kratos v1.3.1 pages identities by keyset (`identity/pool.go`, `ListIdentities`; ory/x keysetpagination):
the `next` Link carries the last id of the page as `page_token`, and the last page has no `next`. A crafted
token (a UUID at a shard's lower bound) is accepted like one of its own, so `shards=4` reads every identity
exactly once, without falling back to one cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import kratos_support
import pyarrow.parquet as pq
import pytest

from ory_frames import Client, export_identities, iter_identity_batches, read_identities

pytestmark = pytest.mark.kratos
SEEDED = 260


@pytest.fixture(scope="module")
def seeded(kratos: kratos_support.Kratos) -> Iterator[str]:
    kratos_support.seed_kratos(kratos, SEEDED, seed=21, sessions=False)
    yield kratos.admin_url


def test_kratos_link_headers_name_the_last_id_as_the_next_token(seeded: str) -> None:
    first = httpx.get(seeded + "/admin/identities", params={"page_size": 7})
    ids = [item["id"] for item in first.json()]
    assert f"page_token={ids[-1]}" in first.headers["link"] and 'rel="next"' in first.headers["link"]
    assert ids == sorted(ids)  # keyset order is the id order
    crafted = httpx.get(seeded + "/admin/identities", params={"page_size": 3, "page_token": ids[2]})
    assert [item["id"] for item in crafted.json()] == ids[3:6]


@pytest.mark.parametrize("page_size", [1, 9, 500])
def test_four_shards_export_every_identity_once(seeded: str, tmp_path: Path, page_size: int) -> None:
    with Client(seeded) as client:
        one = export_identities(client, tmp_path / "one.parquet", page_size=page_size)
        four = export_identities(client, tmp_path / "four.parquet", shards=4, page_size=page_size)
    ids_one = pq.read_table(tmp_path / "one.parquet").column("id").to_pylist()
    ids_four = pq.read_table(tmp_path / "four.parquet").column("id").to_pylist()
    assert one.rows == four.rows == len(set(ids_four)) == len(ids_four) == SEEDED
    assert sorted(ids_four) == sorted(ids_one)
    assert four.shard_fallback is None
    assert four.shards == (4 if page_size < SEEDED else 1)


def test_reads_and_batches_take_shards_on_kratos(seeded: str) -> None:
    with Client(seeded) as client:
        frame = read_identities(client, shards=4, page_size=25)
        rows = sum(batch.num_rows for batch in iter_identity_batches(client, shards=3, page_size=25))
    assert len(frame) == frame["id"].nunique() == rows == SEEDED
