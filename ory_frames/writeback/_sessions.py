"""Session changes from frames: revoke the sessions of the identities in a frame, or act per session.

``plan_session_changes`` plans ``POST /admin/sessions`` calls (500 identity ids per call, repeated
while Ory answers ``more``; wire notes §8). ``plan_session_updates`` plans one call per session:
``PATCH /admin/sessions/{id}/extend`` or ``DELETE /admin/sessions/{id}`` (disable). Both return a
:class:`SessionPlan` that previews, serialises and applies like an identity :class:`Plan`.
"""

from __future__ import annotations

import html
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ory_frames._errors import ApiError, InvalidInputError, NotFoundError, OryFramesError, Problem

from ._apply import as_json
from ._payloads import is_missing

if TYPE_CHECKING:
    from ory_frames._client import Client

MAX_IDS_PER_CALL = 500  # wire notes §8: at most 500 explicit ids
_MAX_REPEATS = 1000
SessionKind = Literal["manage", "extend", "disable"]
SESSION_REPORT_COLUMNS = (
    "row",
    "session_id",
    "identity_id",
    "action",
    "status",
    "http_status",
    "reason",
    "message",
    "request_id",
)


@dataclass
class SessionOp:
    """One planned request: a manage-sessions call for many identities, or one session's call."""

    key: str
    kind: SessionKind
    action: str
    rows: list[Any]
    identity_ids: list[str | None]
    session_id: str | None = None
    body: dict[str, Any] | None = None


@dataclass
class _Outcome:
    status: str
    http_status: int | None = None
    reason: str | None = None
    message: str | None = None
    request_id: str | None = None


@dataclass
class SessionPlan:
    """Planned session changes; review with :meth:`preview`, send with :meth:`apply`."""

    operations: list[SessionOp]
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    _last: dict[str, _Outcome] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _method_path(self, op: SessionOp) -> tuple[str, str]:
        if op.kind == "manage":
            return "POST", "/admin/sessions"
        if op.kind == "extend":
            return "PATCH", f"/admin/sessions/{op.session_id}/extend"
        return "DELETE", f"/admin/sessions/{op.session_id}"

    def preview(self) -> pd.DataFrame:
        """One row per identity or session: row, identity_id, action, path, old, new."""
        rows = []
        for op in self.operations:
            method, path = self._method_path(op)
            for row, identity_id in zip(op.rows, op.identity_ids, strict=True):
                rows.append((row, identity_id, op.action, f"{method} {path}", None, op.session_id))
        columns = ["row", "identity_id", "action", "path", "old", "new"]
        return pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(columns)})

    def summary(self) -> pd.Series:
        """Number of identities (or sessions) per action, and the number of requests."""
        counts: dict[str, int] = {}
        for op in self.operations:
            counts[op.action] = counts.get(op.action, 0) + len(op.rows)
        counts["requests"] = len(self.operations)
        return pd.Series(counts, name="count", dtype="int64")

    def payloads(self) -> list[dict[str, Any]]:
        """The requests ``apply`` sends: ``[{method, path, body}]`` (a manage call may repeat)."""
        out = []
        for op in self.operations:
            method, path = self._method_path(op)
            out.append({"method": method, "path": path, "body": op.body})
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary().items())
        return f"<SessionPlan {counts}; {len(self.done)} applied earlier>"

    def _repr_html_(self) -> str:
        table = self.preview().head(50).to_html()
        return f"<div><strong>ory_frames SessionPlan</strong><pre>{html.escape(repr(self))}</pre>{table}</div>"

    def to_json(self) -> str:
        """The plan and its progress as JSON text."""
        ops = [asdict(op) for op in self.operations]
        return json.dumps({"format": "ory_frames.session_plan", "version": 1, "operations": ops, "done": self.done})

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionPlan:
        """Read a plan written by :meth:`to_json`."""
        try:
            data = json.loads(text)
            if data.get("format") != "ory_frames.session_plan":
                raise ValueError("not an ory_frames session plan")
            return cls([SessionOp(**op) for op in data["operations"]], done=dict(data.get("done", {})))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInputError([Problem(None, None, f"cannot read session plan: {exc}")]) from exc

    def _run(self, client: Client, op: SessionOp) -> _Outcome:
        try:
            if op.kind == "extend":
                client.extend_session(op.session_id or "")
                return _Outcome("applied")
            if op.kind == "disable":
                client.disable_session(op.session_id or "")
                return _Outcome("applied", http_status=204)
            processed, repeats, more = 0, 0, True
            while more and repeats < _MAX_REPEATS:
                answer = as_json(client.manage_sessions(op.body or {}))
                processed += int(answer.get("processed", 0))
                more = bool(answer.get("more", False))
                repeats += 1
            return _Outcome("applied", http_status=200, message=f"processed {processed} session(s) in this call")
        except NotFoundError as exc:
            return _Outcome("failed", exc.status, exc.reason or "session not found", exc.message, exc.request_id)
        except ApiError as exc:
            return _Outcome("failed", exc.status, exc.reason, exc.message, exc.request_id)
        except OryFramesError as exc:
            return _Outcome("failed", reason=type(exc).__name__, message=str(exc))

    def apply(self, client: Client, *, workers: int = 8, progress: bool = False) -> pd.DataFrame:
        """Send the plan; one report row per identity (manage) or session (extend, disable).

        Manage calls go one at a time; per-session calls run on ``workers`` threads. Applied
        operations are remembered, so applying again skips them. An interrupted run re-raises with
        the report so far as ``exc.report``.
        """
        self._last = {}
        bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(self.operations), desc="sessions", unit="request")

        def run(op: SessionOp) -> None:
            if op.key in self.done:
                outcome = _Outcome("skipped", reason="applied by an earlier run")
            else:
                outcome = self._run(client, op)
            with self._lock:
                self._last[op.key] = outcome
                if outcome.status == "applied":
                    self.done[op.key] = asdict(outcome)
            if bar is not None:
                bar.update(1)

        try:
            for op in self.operations:
                if op.kind == "manage":
                    run(op)
            singles = [op for op in self.operations if op.kind != "manage"]
            if singles:
                with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                    for future in [pool.submit(run, op) for op in singles]:
                        future.result()
        except BaseException as exc:
            exc.report = self.report()  # type: ignore[attr-defined]
            raise
        finally:
            if bar is not None:
                bar.close()
        return self.report()

    def report(self) -> pd.DataFrame:
        """The report of the latest ``apply`` so far."""
        rows = []
        for op in self.operations:
            outcome = self._last.get(op.key) or _Outcome("skipped", reason="not run")
            for row, identity_id in zip(op.rows, op.identity_ids, strict=True):
                rows.append((row, op.session_id, identity_id, op.action, *asdict(outcome).values()))
        frame = pd.DataFrame(rows, columns=list(SESSION_REPORT_COLUMNS))
        frame["http_status"] = frame["http_status"].astype("Int64")
        return frame


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


def plan_session_changes(frame: pd.DataFrame, action: Literal["disable", "delete"] = "disable") -> SessionPlan:
    """Plan disabling or deleting every session of the identities in ``frame``; no I/O.

    The identity ids come from ``identity_id`` if the frame has it (a sessions frame), else ``id``.
    Ids go 500 per ``POST /admin/sessions`` call (wire notes §8).

    Raises
    ------
    InvalidInputError
        An unknown action or an id that is not a UUID.
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
        body = {"action": action, "identities": chunk}
        key = f"sessions:{action}:{uuid.uuid5(uuid.NAMESPACE_URL, ','.join(chunk))}"
        ops.append(
            SessionOp(
                key, "manage", f"{action} sessions", rows[start : start + MAX_IDS_PER_CALL], list(chunk), None, body
            )
        )
    return SessionPlan(ops)


def plan_session_updates(sessions: pd.DataFrame, action: Literal["extend", "disable"] = "extend") -> SessionPlan:
    """Plan extending or disabling each session in a sessions frame (its ``id`` column); no I/O.

    Raises
    ------
    InvalidInputError
        An unknown action or a session id that is not a UUID.
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
        SessionOp(f"session:{action}:{sid}", action, action, [row], [owners.get(sid)], sid, None)
        for row, sid in zip(rows, ids, strict=True)
    ]
    return SessionPlan(ops)
