"""Fixtures for the sandbox tests: an in-process app and a TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from drift_support import create_app
from starlette.testclient import TestClient


@pytest.fixture
def app() -> Any:
    return create_app(public_url="https://sandbox.example")


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as tc:
        yield tc
