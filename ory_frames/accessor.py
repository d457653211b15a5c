"""The ``df.ory`` accessor: write-back planning from a DataFrame; it forwards and holds no logic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from .writeback import Plan, SessionPlan, plan_changes, plan_revoke_sessions, plan_session_actions


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
        """Plan the changes that take ``original`` to this frame; no I/O.

        Parameters
        ----------
        original : pandas.DataFrame
            The frame as read; rows are matched by ``id``.
        schemas : mapping or list, optional
            Identity JSON schemas; by default the ones ``read_identities`` stored with ``original``.
        allow_delete : bool
            Plan deletes for identities missing from this frame.

        Returns
        -------
        Plan
            See :func:`ory_frames.plan_changes`, which this calls as ``plan_changes(original, self)``.
        """
        return plan_changes(original, self._frame, schemas=schemas, allow_delete=allow_delete)

    def plan_revoke_sessions(self, action: Literal["disable", "delete"] = "disable") -> SessionPlan:
        """Plan revoking every session of this frame's identities; no I/O.

        Parameters
        ----------
        action : {"disable", "delete"}
            Disable or delete the sessions.

        Returns
        -------
        SessionPlan
            See :func:`ory_frames.plan_revoke_sessions`, which this calls with this frame.
        """
        return plan_revoke_sessions(self._frame, action)

    def plan_session_actions(self, action: Literal["extend", "disable"] = "extend") -> SessionPlan:
        """Plan extending or disabling each session of this sessions frame; no I/O.

        Parameters
        ----------
        action : {"extend", "disable"}
            Extend or disable each listed session.

        Returns
        -------
        SessionPlan
            See :func:`ory_frames.plan_session_actions`, which this calls with this frame.
        """
        return plan_session_actions(self._frame, action)
