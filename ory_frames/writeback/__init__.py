"""Write-back: plan changes from an edited frame, review them, then apply them.

``plan_changes(original, edited)`` does no I/O and returns a :class:`Plan` of identity creates,
patches and deletes; ``plan_revoke_sessions`` and ``plan_session_actions`` return a
:class:`SessionPlan`. Both kinds of plan share one engine (preview, summary, payloads, report,
``to_json``/``from_json``, resumable ``apply``), and ``apply(client)`` is the only step that sends.

For ``ory_frames.copy``, which creates identities as read from another project through the same
plan: :func:`create_body` (the create item of an identity document), :func:`login_identifiers` (its
login identifiers as Kratos stores them), :meth:`Plan.apply_rows` (the report as :class:`ReportRow`
objects), the batch limit and the ids and mask write-back uses.
"""

from __future__ import annotations

from ._build import Operation
from ._create import IMPORTED_CREDENTIALS, CreateBody, create_body, login_identifiers
from ._engine import REPORT_COLUMNS, ReportRow, Result
from ._payloads import MAX_BATCH_ITEMS, PASSWORD_MASK, content_id, stable_id
from ._plan import Plan, plan_changes
from ._sessions import SessionOp, SessionPlan, plan_revoke_sessions, plan_session_actions

__all__ = [
    "IMPORTED_CREDENTIALS",
    "MAX_BATCH_ITEMS",
    "PASSWORD_MASK",
    "REPORT_COLUMNS",
    "CreateBody",
    "Operation",
    "Plan",
    "ReportRow",
    "Result",
    "SessionOp",
    "SessionPlan",
    "content_id",
    "create_body",
    "login_identifiers",
    "plan_changes",
    "plan_revoke_sessions",
    "plan_session_actions",
    "stable_id",
]
