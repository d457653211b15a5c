"""JSON from Ory into Arrow, typed by the identity schemas; Arrow into pandas; the JSON dtype; timestamps.

The pandas side (``table_to_frame``, ``attrs``, ``ATTRS_KEY``, ``now``) is imported on first use, so that
the reads that stay in Arrow (batches, exports) never load pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ory_frames.convert._records import (
    DERIVED_COLUMNS,
    EXTRA_COLUMN,
    SUMMARY_COLUMNS,
    ConversionProblems,
    ConversionWarning,
    IdentityConverter,
    SessionConverter,
)
from ory_frames.convert._timestamps import timestamps_as_text
from ory_frames.convert._values import gc_paused

if TYPE_CHECKING:
    from ory_frames.convert._to_pandas import ATTRS_KEY, attrs, now, table_to_frame

__all__ = [
    "ATTRS_KEY",
    "DERIVED_COLUMNS",
    "EXTRA_COLUMN",
    "SUMMARY_COLUMNS",
    "ConversionProblems",
    "ConversionWarning",
    "IdentityConverter",
    "SessionConverter",
    "attrs",
    "gc_paused",
    "now",
    "table_to_frame",
    "timestamps_as_text",
]

_PANDAS_SIDE = frozenset({"ATTRS_KEY", "attrs", "now", "table_to_frame"})


def __getattr__(name: str) -> Any:
    """The pandas side's names, imported on first use (PEP 562)."""
    if name not in _PANDAS_SIDE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("ory_frames.convert._to_pandas"), name)
