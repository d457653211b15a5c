"""Write-back: plan changes from an edited identities frame, review them, then apply them.

``plan_changes(original, edited)`` does no I/O and returns a :class:`Plan`; ``Plan.apply(client)``
is the only step that sends. Session helpers plan ``POST /admin/sessions`` and per-session calls.
"""

from __future__ import annotations

from ._build import plan_changes
from ._plan import Operation, Plan, Result
from ._sessions import SessionPlan, plan_session_changes, plan_session_updates

__all__ = [
    "Operation",
    "Plan",
    "Result",
    "SessionPlan",
    "plan_changes",
    "plan_session_changes",
    "plan_session_updates",
]
