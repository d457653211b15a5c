"""Fixtures for the copy tests: a seeded source sandbox and an empty target, each with a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from copy_support import SOURCE_SIZE
from drift_support import sandbox_running

from ory_frames import Client, sandbox


@pytest.fixture(scope="module")
def source_url() -> Iterator[str]:
    """A seeded sandbox: passwords, OIDC, TOTP, lookup secrets, addresses, metadata, external ids (read only)."""
    with sandbox_running(seed_identities=SOURCE_SIZE, seed=11) as url:
        yield url


@pytest.fixture
def target_url() -> Iterator[str]:
    """An empty sandbox."""
    with sandbox.running() as url:
        yield url


@pytest.fixture(scope="module")
def source(source_url: str) -> Iterator[Client]:
    with Client(source_url, api_key="") as client:
        yield client


@pytest.fixture
def target(target_url: str) -> Iterator[Client]:
    with Client(target_url, api_key="") as client:
        yield client
