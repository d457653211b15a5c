"""The one way tests start a sandbox: in drift mode when the suite runs with ``--drift`` or ``ORY_FRAMES_TEST_DRIFT=1``.

``tests/conftest.py`` turns ``--drift`` into the environment variable, so this module (and any helper
process a test starts) sees one switch. A test that passes ``drift=`` itself keeps its choice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENV = "ORY_FRAMES_TEST_DRIFT"


def drift_enabled() -> bool:
    """Whether the sandboxes of this run drift."""
    return os.environ.get(ENV, "") not in ("", "0")


@contextmanager
def running(**kwargs: Any) -> Iterator[str]:
    """``ory_frames.sandbox.running`` with ``drift`` set as the run asks (unless given)."""
    from ory_frames import sandbox

    kwargs.setdefault("drift", drift_enabled())
    with sandbox.running(**kwargs) as url:
        yield url


def create_app(**kwargs: Any) -> Any:
    """``ory_frames.sandbox.create_app`` with ``drift`` set as the run asks (unless given)."""
    from ory_frames import sandbox

    kwargs.setdefault("drift", drift_enabled())
    return sandbox.create_app(**kwargs)
