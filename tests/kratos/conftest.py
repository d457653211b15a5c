"""Fixtures of the tests that need a real Ory Kratos whatever server the run points at (marker ``kratos``)."""

from __future__ import annotations

from collections.abc import Iterator

import kratos_support
import pytest


@pytest.fixture(scope="module")
def kratos() -> Iterator[kratos_support.Kratos]:
    """A fresh, empty Kratos for the module."""
    with kratos_support.running_kratos() as server:
        yield server
