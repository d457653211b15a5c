"""Plan: the reviewed list of operations write-back will send, with preview, payloads and hand-off.

A plan is a value: it holds plain JSON only, can be written with :meth:`Plan.to_json` and read back
with :meth:`Plan.from_json`, and records which operations an earlier :meth:`Plan.apply` finished so
that applying it again skips them.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ory_frames._errors import InvalidInputError, Problem

from ._payloads import batch_body, chunk_creates, has_password, mask_create_body

if TYPE_CHECKING:
    from ory_frames._client import Client

Action = Literal["create", "patch", "delete", "skip"]
Status = Literal["applied", "failed", "conflict", "skipped"]
SKIP_MISSING = "skipped: missing from edited, allow_delete=False"
_FORMAT_VERSION = 1
REPORT_COLUMNS = (
    "row",
    "identity_id",
    "action",
    "status",
    "http_status",
    "reason",
    "message",
    "request_id",
    "patch_id",
)


@dataclass
class Operation:
    """One planned change to one identity (or one new row); plain JSON fields only."""

    key: str
    action: Action
    row: Any
    identity_id: str | None = None
    patch: list[dict[str, Any]] = field(default_factory=list)
    old: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    patch_id: str | None = None
    identifiers: list[str] = field(default_factory=list)
    updated_at: str | None = None
    note: str | None = None


@dataclass
class Result:
    """What happened to one operation; one row of the report frame."""

    row: Any
    identity_id: str | None
    action: str
    status: Status
    http_status: int | None = None
    reason: str | None = None
    message: str | None = None
    request_id: str | None = None
    patch_id: str | None = None


def report_frame(results: Iterable[Result]) -> pd.DataFrame:
    """The report DataFrame, one row per operation, in :data:`REPORT_COLUMNS` order."""
    rows = [asdict(r) for r in results]
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["http_status"] = frame["http_status"].astype("Int64")
    return frame


def _object_frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    """A frame whose columns keep Python values as given (None stays None, dicts stay dicts)."""
    data = {name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(columns)}
    return pd.DataFrame(data, columns=columns)


class Plan:
    """Planned identity changes; review with :meth:`preview`, send with :meth:`apply`.

    Build one with :func:`ory_frames.writeback.plan_changes` (or ``edited.ory.plan(original)``).

    Examples
    --------
    >>> from ory_frames import Client, plan_changes, read_identities, sandbox
    >>> with sandbox.running(seed_identities=3) as url, Client(url) as client:
    ...     original = read_identities(client)
    ...     edited = original.copy()
    ...     edited.at[0, "metadata_public"] = {"reviewed": True}
    ...     plan = plan_changes(original, edited)
    ...     report = plan.apply(client)
    >>> plan.preview()["path"].tolist()
    ['/metadata_public']
    >>> report["status"].tolist()
    ['applied']
    """

    def __init__(self, plan_id: str, operations: list[Operation], *, done: dict[str, Result] | None = None) -> None:
        self.plan_id = plan_id
        self.operations = operations
        # key -> result of an operation that finished (applied) in an earlier apply() of this plan
        self.done: dict[str, Result] = dict(done or {})
        self._last: dict[str, Result] = {}
        self._lock = threading.Lock()

    # -- selection -------------------------------------------------------------------------------
    def _of(self, action: Action) -> list[Operation]:
        return [op for op in self.operations if op.action == action]

    def __len__(self) -> int:
        return len(self.operations)

    def __bool__(self) -> bool:
        return any(op.action != "skip" for op in self.operations)

    # -- review ----------------------------------------------------------------------------------
    def summary(self) -> pd.Series:
        """Number of identities per action: create, patch, delete, skip."""
        counts = {a: 0 for a in ("create", "patch", "delete", "skip")}
        for op in self.operations:
            counts[op.action] += 1
        return pd.Series(counts, name="identities", dtype="int64")

    def preview(self) -> pd.DataFrame:
        """One row per change: row, identity_id, action, path, old, new. Passwords never appear.

        ``action`` is the JSON Patch op (add, replace, remove) for changes to existing identities,
        ``create`` for new rows (``new`` is the request body with the password masked), ``delete``,
        or ``skip`` for rows missing from the edited frame when deletes are not allowed.
        """
        rows: list[tuple[Any, ...]] = []
        for op in self.operations:
            if op.action == "patch":
                for item in op.patch:
                    path = item["path"]
                    rows.append((op.row, op.identity_id, item["op"], path, op.old.get(path), item.get("value")))
            elif op.action == "create":
                rows.append((op.row, None, "create", None, None, mask_create_body(op.body or {})))
            elif op.action == "delete":
                rows.append((op.row, op.identity_id, "delete", None, None, None))
            else:
                rows.append((op.row, op.identity_id, "skip", None, None, op.note))
        return _object_frame(rows, ["row", "identity_id", "action", "path", "old", "new"])

    def create_chunks(self) -> list[list[Operation]]:
        """The create operations grouped per batch request (1000, or 200 with a password)."""
        creates = self._of("create")
        flags = [(op.body or {}, has_password(op.body or {})) for op in creates]
        return [[creates[i] for i in chunk] for chunk in chunk_creates(flags)]

    def payloads(self, *, reveal_passwords: bool = False) -> list[dict[str, Any]]:
        """The exact requests ``apply`` sends (besides its GETs): ``[{method, path, body}]``.

        Plaintext passwords read ``***`` unless ``reveal_passwords=True``.
        """
        out: list[dict[str, Any]] = []
        for chunk in self.create_chunks():
            items = [
                (op.patch_id or "", op.body if reveal_passwords else mask_create_body(op.body or {})) for op in chunk
            ]
            out.append({"method": "PATCH", "path": "/admin/identities", "body": batch_body(items)})  # type: ignore[arg-type]
        for op in self._of("patch"):
            out.append({"method": "PATCH", "path": f"/admin/identities/{op.identity_id}", "body": op.patch})
        for op in self._of("delete"):
            out.append({"method": "DELETE", "path": f"/admin/identities/{op.identity_id}", "body": None})
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary().items())
        return f"<Plan {self.plan_id} {counts}; {len(self.done)} applied earlier>"

    def _repr_html_(self) -> str:
        counts = "".join(f"<li>{html.escape(str(k))}: {v}</li>" for k, v in self.summary().items())
        preview = self.preview().head(50).to_html(max_cols=8, escape=True)
        return (
            f"<div><strong>ory_frames Plan</strong> <code>{html.escape(self.plan_id)}</code>"
            f"<ul>{counts}</ul><p>{len(self.done)} operation(s) applied earlier.</p>{preview}</div>"
        )

    # -- hand-off --------------------------------------------------------------------------------
    def to_json(self, *, include_passwords: bool = False) -> str:
        """The plan, with its progress, as JSON text for :meth:`from_json` (e.g. ``ory-frames apply``).

        A plan that creates identities with plaintext passwords refuses unless
        ``include_passwords=True``; keep such a file secret.
        """
        if not include_passwords and any(has_password(op.body or {}) for op in self._of("create")):
            raise InvalidInputError(
                "this plan sets plaintext passwords; pass include_passwords=True to write them (keep the file secret)"
            )
        data = {
            "format": "ory_frames.plan",
            "version": _FORMAT_VERSION,
            "plan_id": self.plan_id,
            "operations": [asdict(op) for op in self.operations],
            "done": {k: asdict(v) for k, v in self.done.items()},
        }
        return json.dumps(data, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        """Read a plan written by :meth:`to_json`."""
        try:
            data = json.loads(text)
            if data.get("format") != "ory_frames.plan" or data.get("version") != _FORMAT_VERSION:
                raise ValueError("not an ory_frames plan (format/version)")
            operations = [Operation(**op) for op in data["operations"]]
            done = {k: Result(**v) for k, v in data.get("done", {}).items()}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidInputError([Problem(None, None, f"cannot read plan: {exc}")]) from exc
        return cls(str(data["plan_id"]), operations, done=done)

    # -- apply -----------------------------------------------------------------------------------
    def apply(
        self, client: Client, *, workers: int = 8, overwrite: bool = False, progress: bool = False
    ) -> pd.DataFrame:
        """Send the plan; return the report frame (one row per planned operation).

        Parameters
        ----------
        client : Client
            Where to send.
        workers : int
            Concurrent per-identity requests (patches, deletes). Batch creates go one at a time.
        overwrite : bool
            Write even when the identity changed since the original frame was read.
        progress : bool
            Draw a tqdm progress bar.

        Returns
        -------
        pandas.DataFrame
            Columns ``row, identity_id, action, status, http_status, reason, message, request_id,
            patch_id``; ``status`` is applied, failed, conflict or skipped; for creates
            ``identity_id`` is the new identity's id.

        Raises
        ------
        KeyboardInterrupt, Exception
            An interrupted run re-raises with the report so far attached as ``exc.report``; the
            plan keeps its progress, so calling ``apply`` again resumes.
        """
        from ._apply import apply_plan

        return apply_plan(self, client, workers=workers, overwrite=overwrite, progress=progress)

    def record(self, op: Operation, result: Result) -> None:
        """Remember an operation's outcome (thread-safe); applied ones are skipped next time."""
        with self._lock:
            self._last[op.key] = result
            if result.status == "applied":
                self.done[op.key] = result

    def report(self) -> pd.DataFrame:
        """The report of the latest ``apply`` so far (also after an interruption)."""
        results = []
        for op in self.operations:
            result = self._last.get(op.key)
            if result is None:
                result = Result(op.row, op.identity_id, op.action, "skipped", reason="not run", patch_id=op.patch_id)
            results.append(result)
        return report_frame(results)
