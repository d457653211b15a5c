"""Write-back: plan changes from an edited frame, review them, then apply them.

``plan_changes(original, edited)`` does no I/O and returns a :class:`Plan` of identity creates,
patches and deletes; ``plan_revoke_sessions`` and ``plan_session_actions`` return a
:class:`SessionPlan`. Both kinds of plan share one engine (preview, summary, payloads, report,
``to_json``/``from_json``, resumable ``apply``), and ``apply(client)`` is the only step that sends.
"""

from __future__ import annotations

from ._build import Operation
from ._engine import REPORT_COLUMNS, Result
from ._plan import Plan, plan_changes
from ._sessions import SessionOp, SessionPlan, plan_revoke_sessions, plan_session_actions

__all__ = [
    "REPORT_COLUMNS",
    "Operation",
    "Plan",
    "Result",
    "SessionOp",
    "SessionPlan",
    "plan_changes",
    "plan_revoke_sessions",
    "plan_session_actions",
]
