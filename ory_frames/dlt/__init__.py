"""Ory identities, sessions and identity schemas as a dlt source: ``ory_source`` (needs ``ory-frames[dlt]``).

``ory-frames load --destination duckdb`` runs it from the command line. dlt is imported when ``ory_source``
is first looked up, so a missing extra fails there, with an ImportError naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._source import RESOURCES, ory_source

__all__ = ["RESOURCES", "ory_source"]

_EXTRA_HINT = "ory_frames.dlt needs dlt: pip install 'ory-frames[dlt]'"


def __getattr__(name: str) -> Any:
    """``ory_source`` and ``RESOURCES`` (in ``_source``, which imports dlt) are looked up on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import dlt  # noqa: F401
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    from . import _source

    return getattr(_source, name)
