"""The ``df.ory`` accessor: write-back planning from a DataFrame; it forwards and holds no logic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from .writeback import Plan, SessionPlan, plan_changes, plan_session_changes, plan_session_updates


@pd.api.extensions.register_dataframe_accessor("ory")
class OryAccessor:
    """``edited.ory.plan(original)`` and the session planners, on any DataFrame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def plan(
        self,
        original: pd.DataFrame,
        *,
        schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
        allow_delete: bool = False,
    ) -> Plan:
        """Plan the changes from ``original`` to this frame; see :func:`ory_frames.writeback.plan_changes`."""
        return plan_changes(original, self._frame, schemas=schemas, allow_delete=allow_delete)

    def plan_sessions(self, action: Literal["disable", "delete"] = "disable") -> SessionPlan:
        """Plan revoking the sessions of this frame's identities; see ``plan_session_changes``."""
        return plan_session_changes(self._frame, action)

    def plan_session_updates(self, action: Literal["extend", "disable"] = "extend") -> SessionPlan:
        """Plan extending or disabling each session of this sessions frame; see ``plan_session_updates``."""
        return plan_session_updates(self._frame, action)
