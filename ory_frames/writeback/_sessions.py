"""Session plans from frames: revoke every session of the identities in a frame, or act on each listed session.

:func:`plan_revoke_sessions` plans ``POST /admin/sessions`` calls (500 identity ids per call, repeated
while Ory answers ``more``; wire notes §8). :func:`plan_session_actions` plans one call per session:
``PATCH /admin/sessions/{id}/extend`` or ``DELETE /admin/sessions/{id}`` (disable). Both return a
:class:`SessionPlan`, which reviews, saves and applies through the same plan engine as :class:`Plan`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ory_frames._errors import InvalidInputError, NotFoundError, OryFramesError, Problem

from ._engine import PlanEngine, PlannedOp, Result, Target, failed, report_frame
from ._payloads import content_id, is_missing

if TYPE_CHECKING:
    from collections.abc import Callable

    from ory_frames.client import Client

MAX_IDS_PER_CALL = 500  # wire notes §8: at most 500 explicit ids
_MAX_REPEATS = 1000
SessionKind = Literal["manage", "extend", "disable"]


@dataclass
class SessionOp(PlannedOp):
    """One planned request: a manage-sessions call for many identities, or one session's extend or disable."""

    kind: SessionKind
    rows: list[Any]
    identity_ids: list[str | None]
    session_id: str | None = None
    body: dict[str, Any] | None = None


def _method_path(op: SessionOp) -> tuple[str, str]:
    if op.kind == "manage":
        return "POST", "/admin/sessions"
    if op.kind == "extend":
        return "PATCH", f"/admin/sessions/{op.session_id}/extend"
    return "DELETE", f"/admin/sessions/{op.session_id}"


def _manage(client: Client, op: SessionOp) -> Result:
    """Send one manage-sessions call, repeated while Ory answers ``more`` (wire notes §8)."""
    processed, repeats, more = 0, 0, True
    try:
        while more and repeats < _MAX_REPEATS:
            answer = client.manage_sessions(op.body or {})
            processed += answer.processed
            more = answer.more
            repeats += 1
    except OryFramesError as exc:
        return failed(exc)
    return Result("applied", http_status=200, message=f"processed {processed} session(s) in this call")


def _send_batch(client: Client, ops: list[SessionOp], record: Callable[[SessionOp, Result], None]) -> None:
    for op in ops:
        record(op, _manage(client, op))


def _send_one(client: Client, op: SessionOp) -> Result:
    """Extend or disable one session."""
    try:
        if op.kind == "extend":
            client.extend_session(op.session_id or "")
            return Result("applied")
        client.disable_session(op.session_id or "")
    except NotFoundError as exc:
        return failed(exc, exc.reason or "session not found")
    except OryFramesError as exc:
        return failed(exc)
    return Result("applied", http_status=204)


class SessionPlan(PlanEngine[SessionOp]):
    """Planned session changes; review with :meth:`preview`, send with :meth:`apply`.

    Build one with :func:`ory_frames.plan_revoke_sessions` or :func:`ory_frames.plan_session_actions`.
    The report has one row per identity (revocations) or per session (extend, disable).

    Examples
    --------
    >>> import pandas as pd
    >>> from ory_frames import plan_revoke_sessions
    >>> plan = plan_revoke_sessions(pd.DataFrame({"id": ["5ff66179-c240-4703-b0d8-494592cefff5"]}))
    >>> plan.summary().to_dict()
    {'disable sessions': 1, 'requests': 1}
    """

    _FORMAT = "ory_frames.session_plan"
    _WHAT = "session plan"

    def _targets(self, op: SessionOp) -> list[Target]:
        pairs = zip(op.rows, op.identity_ids, strict=True)
        return [Target(row, identity_id, op.session_id) for row, identity_id in pairs]

    def _preview_rows(self, op: SessionOp) -> list[tuple[Any, ...]]:
        request = " ".join(_method_path(op))
        return [(t.row, t.identity_id, op.action, request, None, op.session_id) for t in self._targets(op)]

    def _schedule(self, ops: list[SessionOp]) -> tuple[list[list[SessionOp]], list[SessionOp]]:
        # Manage calls go one at a time (each may repeat while Ory answers more); per-session calls concurrently.
        return [[op] for op in ops if op.kind == "manage"], [op for op in ops if op.kind != "manage"]

    def _request(self, ops: list[SessionOp], *, reveal_passwords: bool) -> dict[str, Any]:
        method, path = _method_path(ops[0])
        return {"method": method, "path": path, "body": ops[0].body}

    @classmethod
    def _load_operation(cls, data: dict[str, Any]) -> SessionOp:
        return SessionOp(**data)

    def summary(self) -> pd.Series:
        """How many identities (or sessions) each action has, and the number of requests planned."""
        counts = super().summary()
        counts["requests"] = len(self.operations)
        return counts

    def apply(self, client: Client, *, workers: int = 8, progress: bool = False) -> pd.DataFrame:
        """Send the plan; return the report frame (one row per identity revoked, or per session).

        Manage calls (``POST /admin/sessions``) go one at a time; per-session calls run on
        ``workers`` threads. Operations an earlier ``apply`` finished are skipped, so applying again
        resumes.

        Parameters
        ----------
        client : Client
            Where to send.
        workers : int
            Concurrent per-session requests.
        progress : bool
            Draw a tqdm progress bar.

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`Plan.apply`'s report: ``row, identity_id, session_id, action,
            status, http_status, reason, message, request_id, patch_id`` (``patch_id`` is empty).

        Raises
        ------
        ValueError
            ``workers`` is less than 1.
        KeyboardInterrupt, Exception
            An interrupted run re-raises with the report so far attached as ``exc.report``.
        """
        rows = self._apply(
            workers=workers,
            progress=progress,
            send_batch=partial(_send_batch, client),
            send_one=partial(_send_one, client),
        )
        return report_frame(rows)


def _ids(frame: pd.DataFrame, column: str, what: str) -> tuple[list[Any], list[str], list[Problem]]:
    if column not in frame.columns:
        return [], [], [Problem(None, column, f"the frame has no {column!r} column")]
    rows, ids, problems, seen = [], [], [], set()
    for label, value in frame[column].items():
        row = label.item() if hasattr(label, "item") else label
        if is_missing(value):
            continue
        try:
            text = str(uuid.UUID(str(value)))
        except ValueError:
            problems.append(Problem(row, column, f"{value!r} is not a {what} id (a UUID)"))
            continue
        if text not in seen:
            seen.add(text)
            rows.append(row)
            ids.append(text)
    return rows, ids, problems


def _session_plan(ops: list[SessionOp]) -> SessionPlan:
    return SessionPlan(content_id([op.key for op in ops]), ops)


def plan_revoke_sessions(frame: pd.DataFrame, action: Literal["disable", "delete"] = "disable") -> SessionPlan:
    """Plan revoking every session of the identities in ``frame``; no I/O.

    Parameters
    ----------
    frame : pandas.DataFrame
        Identities (their ``id`` column) or sessions (their ``identity_id`` column, used when the
        frame has one). Missing ids are left out, repeated ids planned once.
    action : {"disable", "delete"}
        ``disable`` marks the sessions inactive; ``delete`` removes them. Ids go 500 per
        ``POST /admin/sessions`` call, repeated while Ory answers ``more`` (wire notes §8).

    Returns
    -------
    SessionPlan
        Its report has one row per identity.

    Raises
    ------
    InvalidInputError
        An unknown action, no id column, or an id that is not a UUID.

    Examples
    --------
    >>> import pandas as pd
    >>> from ory_frames import plan_revoke_sessions
    >>> identities = pd.DataFrame({"id": ["5ff66179-c240-4703-b0d8-494592cefff5"]})
    >>> plan = plan_revoke_sessions(identities, "delete")
    >>> plan.payloads()[0]["body"]
    {'action': 'delete', 'identities': ['5ff66179-c240-4703-b0d8-494592cefff5']}
    """
    if action not in ("disable", "delete"):
        raise InvalidInputError([Problem(None, None, f"action must be 'disable' or 'delete', not {action!r}")])
    column = "identity_id" if "identity_id" in frame.columns else "id"
    rows, ids, problems = _ids(frame, column, "identity")
    if problems:
        raise InvalidInputError(problems)
    ops = []
    for start in range(0, len(ids), MAX_IDS_PER_CALL):
        chunk = ids[start : start + MAX_IDS_PER_CALL]
        key = f"sessions:{action}:{uuid.uuid5(uuid.NAMESPACE_URL, ','.join(chunk))}"
        body: dict[str, Any] = {"action": action, "identities": chunk}
        chunk_rows = rows[start : start + MAX_IDS_PER_CALL]
        ops.append(SessionOp(key, f"{action} sessions", "manage", chunk_rows, list(chunk), body=body))
    return _session_plan(ops)


def plan_session_actions(sessions: pd.DataFrame, action: Literal["extend", "disable"] = "extend") -> SessionPlan:
    """Plan extending or disabling each session listed in a sessions frame; no I/O.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Sessions (``read_sessions``): the ``id`` column names them; ``identity_id``, if present,
        is carried into the report. Missing ids are left out, repeated ids planned once.
    action : {"extend", "disable"}
        ``extend`` is ``PATCH /admin/sessions/{id}/extend``; ``disable`` is
        ``DELETE /admin/sessions/{id}`` (wire notes §8). One request per session.

    Returns
    -------
    SessionPlan
        Its report has one row per session.

    Raises
    ------
    InvalidInputError
        An unknown action, no ``id`` column, or a session id that is not a UUID.

    Examples
    --------
    >>> import pandas as pd
    >>> from ory_frames import plan_session_actions
    >>> sessions = pd.DataFrame({"id": ["0b3e2f4c-9a51-4c7e-8d0a-2f6b1c9e7a10"]})
    >>> [(p["method"], p["path"]) for p in plan_session_actions(sessions, "disable").payloads()]
    [('DELETE', '/admin/sessions/0b3e2f4c-9a51-4c7e-8d0a-2f6b1c9e7a10')]
    """
    if action not in ("extend", "disable"):
        raise InvalidInputError([Problem(None, None, f"action must be 'extend' or 'disable', not {action!r}")])
    rows, ids, problems = _ids(sessions, "id", "session")
    if problems:
        raise InvalidInputError(problems)
    owners: dict[str, str | None] = {}
    if "identity_id" in sessions.columns:
        for sid, owner in zip(sessions["id"].astype(str), sessions["identity_id"], strict=True):
            owners[sid] = None if is_missing(owner) else str(owner)
    ops = [
        SessionOp(f"session:{action}:{sid}", action, action, [row], [owners.get(sid)], sid)
        for row, sid in zip(rows, ids, strict=True)
    ]
    return _session_plan(ops)
