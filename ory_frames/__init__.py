"""ory_frames: the Ory Identity API in pandas, Arrow and Jupyter.

Read::

    client = Client()                      # ORY_SDK_URL / ORY_API_KEY, or Client(url, api_key=...)
    users = read_identities(client)        # DataFrame, traits.* columns typed from your schemas
    export_identities(client, "users.parquet", resume=True)

Write back::

    plan = plan_changes(users, edited)     # no I/O; validated JSON Patch / batch create / delete
    plan.preview(); report = plan.apply(client)

Forms live in ``ory_frames.widgets``; the local Ory-compatible server in ``ory_frames.sandbox``.

Only the error classes are imported with the package; every other name is imported from its module on
first use (PEP 562), so that ``import ory_frames`` and ``ory-frames --help`` load neither httpx nor
pandas nor pyarrow until something needs them. The ``df.ory`` accessor is registered when the frame
or write-back functions are first used, or at once if pandas is already imported.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import typing as _typing

from ._errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    ExportError,
    InvalidInputError,
    NotFoundError,
    OryFramesError,
    Problem,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

if _typing.TYPE_CHECKING:
    from ory_frames.export import ExportResult, export_identities, export_sessions

    from ._read import iter_identity_batches, iter_session_batches
    from .client import Client, Estimate, RateBudget
    from .convert import ConversionWarning
    from .copy import CopyResult, copy_identities
    from .frames import identities_frame, read_identities, read_identity_sessions, read_sessions, sessions_frame
    from .pages import Page, iter_identities, iter_identity_schemas, iter_identity_sessions, iter_sessions
    from .writeback import Plan, SessionPlan, plan_changes, plan_revoke_sessions, plan_session_actions

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "ConversionWarning",
    "CopyResult",
    "Estimate",
    "ExportError",
    "ExportResult",
    "InvalidInputError",
    "NotFoundError",
    "OryFramesError",
    "Page",
    "Plan",
    "Problem",
    "RateBudget",
    "RateLimitError",
    "ServerError",
    "SessionPlan",
    "TransportError",
    "UnexpectedResponseError",
    "copy_identities",
    "export_identities",
    "export_sessions",
    "identities_frame",
    "iter_identities",
    "iter_identity_batches",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_session_batches",
    "iter_sessions",
    "plan_changes",
    "plan_revoke_sessions",
    "plan_session_actions",
    "read_identities",
    "read_identity_sessions",
    "read_sessions",
    "sessions_frame",
]

# The public names each module holds, imported on first use; the TYPE_CHECKING block above says the same for
# type checkers.
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    ".client": ("Client", "Estimate", "RateBudget"),
    ".convert": ("ConversionWarning",),
    ".pages": ("Page", "iter_identities", "iter_identity_schemas", "iter_identity_sessions", "iter_sessions"),
    "._read": ("iter_identity_batches", "iter_session_batches"),
    ".copy": ("CopyResult", "copy_identities"),
    ".export": ("ExportResult", "export_identities", "export_sessions"),
    ".frames": ("identities_frame", "read_identities", "read_identity_sessions", "read_sessions", "sessions_frame"),
    ".writeback": ("Plan", "SessionPlan", "plan_changes", "plan_revoke_sessions", "plan_session_actions"),
}
_LAZY: dict[str, str] = {name: module for module, names in _LAZY_MODULES.items() for name in names}
# Modules that hand out DataFrames or plan from them: loading one registers the df.ory accessor too.
_PANDAS_EDGE = frozenset({".copy", ".frames", ".writeback"})


def _publish(value: _typing.Any, name: str) -> _typing.Any:
    """Keep ``value`` as this module's ``name``; a public class or function shows where users import it from.

    As httpx does: ory_frames.Client, not ory_frames.client._client.Client (in reprs, tracebacks, help()
    and pickles, which find it here).
    """
    if isinstance(value, type) or (callable(value) and hasattr(value, "__globals__")):
        value.__module__ = __name__
    globals()[name] = value
    return value


def __getattr__(name: str) -> _typing.Any:
    """Import the module of a public name on first use (PEP 562), publishing every public name it holds."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _importlib.import_module(module_name, __name__)
    if module_name in _PANDAS_EDGE:
        _importlib.import_module(".accessor", __name__)
    for other in _LAZY_MODULES[module_name]:
        _publish(getattr(module, other), other)
    return globals()[name]


def __dir__() -> list[str]:
    """The public names (loaded or not) beside the module's own attributes."""
    return sorted({*globals(), *__all__})


for _name in __all__:
    if _name not in _LAZY:
        _publish(globals()[_name], _name)
if "pandas" in _sys.modules:  # pandas costs nothing more here: register df.ory before any frame is read
    _importlib.import_module(".accessor", __name__)
del _name
