"""Read-only checks against the real Ory project named by ORY_SDK_URL / ORY_API_KEY (``make test-live``).

Nothing here writes. Every test reads at most a few small pages, so the project's rate limits are not at
risk. Skipped when ORY_SDK_URL is not set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice, pairwise

import pandas as pd
import pytest

from ory_frames import Client, NotFoundError, iter_identities, iter_identity_schemas, iter_sessions, read_identities
from ory_frames.client._models import Identity

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("ORY_SDK_URL"), reason="set ORY_SDK_URL (and ORY_API_KEY) to run"),
]

PAGE_SIZE = 2
MAX_PAGES = 3


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A client of the project in the environment (the key never shows in its repr)."""
    with Client() as live:
        key = os.environ.get("ORY_API_KEY")
        assert not key or key not in repr(live)
        yield live


@pytest.fixture(scope="module")
def first_ids(client: Client) -> list[str]:
    """Up to PAGE_SIZE identity ids from the first page."""
    return [item["id"] for item in client.list_identities(page_size=PAGE_SIZE)]


def test_identity_pages_follow_the_link_header(client: Client) -> None:
    pages = list(islice(iter_identities(client, page_size=PAGE_SIZE, prefetch=False), MAX_PAGES))
    ids = [item["id"] for page in pages for item in page]
    assert len(set(ids)) == len(ids), "a page repeated an identity"
    for page, following in pairwise(pages):
        # A page that has a successor was full and named the token the successor was fetched with.
        assert len(page) == PAGE_SIZE and page.next_token
        assert following.items and following.items[0]["id"] not in {item["id"] for item in page}
    if len(pages) < MAX_PAGES:
        assert pages[-1].next_token is None
    # Ory Network's Link header is relative and same-host; the client refuses anything else.
    assert all(page.total_count is None for page in pages)


def test_identity_schemas_list(client: Client) -> None:
    pages = list(iter_identity_schemas(client, prefetch=False))
    schemas = [item for page in pages for item in page]
    assert schemas, "a project always has at least one identity schema"
    assert all(isinstance(item["id"], str) and isinstance(item["schema"], dict) for item in schemas)
    first = client.get_identity_schema(schemas[0]["id"])
    assert first == schemas[0]["schema"]


def test_get_one_identity(client: Client, first_ids: list[str]) -> None:
    if not first_ids:
        pytest.skip("the project has no identities")
    identity = client.get_identity(first_ids[0])
    assert isinstance(identity, Identity)
    assert identity.id == first_ids[0] and identity.schema_id
    for cred in (identity.credentials or {}).values():
        assert cred.config is None, "no credential config without include_credential"
    with pytest.raises(NotFoundError):
        client.get_identity("00000000-0000-4000-8000-000000000000")


def test_sessions_list(client: Client) -> None:
    pages = list(islice(iter_sessions(client, page_size=PAGE_SIZE, prefetch=False), 2))
    sessions = [item for page in pages for item in page]
    assert len({item["id"] for item in sessions}) == len(sessions)
    for item in sessions:
        assert isinstance(item["id"], str) and isinstance(item.get("active"), bool)
    assert all(page.next_token for page in pages[:-1])


def test_read_identities_returns_a_frame(client: Client, first_ids: list[str]) -> None:
    if not first_ids:
        pytest.skip("the project has no identities")
    df = read_identities(client, ids=first_ids, page_size=len(first_ids))
    assert isinstance(df, pd.DataFrame)
    assert sorted(df["id"]) == sorted(first_ids)
    assert {"id", "schema_id", "state", "created_at"} <= set(df.columns)
    assert not any(column.startswith("credentials.") for column in df.columns)
