"""Fixtures for the notebook tests: the repo's notebooks and the helpers of ``notebooks/execute.py``."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def _load(path: Path, name: str) -> ModuleType:
    """Import a module from a file that is not on sys.path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def execute_module() -> ModuleType:
    """``notebooks/execute.py``: ``execute``, ``sanitise``, ``error_outputs``."""
    return _load(NOTEBOOKS / "execute.py", "ory_frames_notebooks_execute")


@pytest.fixture(scope="session")
def find_secrets() -> Callable[[str], list[str]]:
    """The project's secret scanner (``tests/secret_scan.py``)."""
    scanner: Any = _load(REPO / "tests" / "secret_scan.py", "ory_frames_tests_secret_scan").find_secrets
    return scanner  # type: ignore[no-any-return]
