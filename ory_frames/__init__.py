"""ory_frames: the Ory Identity API in pandas, Arrow and Jupyter.

Read::

    client = Client()                      # ORY_SDK_URL / ORY_API_KEY, or Client(url, api_key=...)
    users = read_identities(client)        # DataFrame, traits.* columns typed from your schemas
    export_identities(client, "users.parquet", resume=True)

Write back::

    plan = plan_changes(users, edited)     # no I/O; validated JSON Patch / batch create / delete
    plan.preview(); report = plan.apply(client)

Forms live in ``ory_frames.widgets``; the local Ory-compatible server in ``ory_frames.sandbox``.
"""

from __future__ import annotations

from . import accessor as _accessor  # registers the DataFrame.ory accessor
from ._budget import RateBudget
from ._client import Client
from ._convert import ConversionWarning
from ._errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    OryFramesError,
    Problem,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ._paging import Page, iter_identities, iter_identity_schemas, iter_identity_sessions, iter_sessions
from .export import ExportResult, export_identities, export_sessions
from .frames import identities_frame, read_identities, read_identity_sessions, read_sessions, sessions_frame
from .writeback import Plan, SessionPlan, plan_changes, plan_revoke_sessions, plan_session_actions

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "ConversionWarning",
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
    "export_identities",
    "export_sessions",
    "identities_frame",
    "iter_identities",
    "iter_identity_schemas",
    "iter_identity_sessions",
    "iter_sessions",
    "plan_changes",
    "plan_revoke_sessions",
    "plan_session_actions",
    "read_identities",
    "read_identity_sessions",
    "read_sessions",
    "sessions_frame",
]

# Public classes show where users import them from, as httpx does: ory_frames.Client, not
# ory_frames._client.Client (in reprs, tracebacks, help() and pickles, which find them here).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _value.__module__ = __name__

del _accessor, _name, _value
