"""The plan engine Plan and SessionPlan share: report, preview, summary, JSON save/load and the one apply loop.

A plan holds operations (plain JSON dataclasses with a ``key`` and an ``action``) and the results of
those an earlier apply finished (``done``, by key). A subclass says what an operation is about (its
report rows), how it previews, which requests carry it and how they are sent; everything else is here.

Apply
-----
Operations finished earlier are reported as ``skipped`` and not sent again. The rest go in two
phases: batches (requests that carry many operations, or that Ory wants one at a time) in order,
one after another, then single-operation requests on a pool of ``workers`` threads. Every outcome
is given to :meth:`PlanEngine.record`, which keeps it for the report and, once applied, in ``done``.

Interruption
------------
A KeyboardInterrupt or any other exception stops the run: running requests finish, queued ones are
dropped, and the exception is re-raised with the report so far as ``exc.report`` (also available
as ``plan.report()``). Applying the plan again resumes.
"""

from __future__ import annotations

import html
import json
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

import pandas as pd

from ory_frames._errors import ApiError, InvalidInputError, OryFramesError, Problem
from ory_frames.client import EndpointCount, Estimate, estimate

from ._payloads import content_id

Status = Literal["applied", "failed", "conflict", "skipped"]


class ReportRow(NamedTuple):
    """One row of an apply's report: what happened to one frame row (an identity, a session or a new row).

    ``identity_id`` of a create is the new identity's; identity plans leave ``session_id`` empty,
    session plans ``patch_id``.
    """

    row: Any
    identity_id: str | None
    session_id: str | None
    action: str
    status: Status
    http_status: int | None
    reason: str | None
    message: str | None
    request_id: str | None
    patch_id: str | None


# One set of report columns for every plan, the fields of ReportRow.
REPORT_COLUMNS: tuple[str, ...] = ReportRow._fields
PREVIEW_COLUMNS = ("row", "identity_id", "action", "path", "old", "new")
FORMAT_VERSION = 2
# Version 1 stored each result with its row, action and patch_id, and session plans had no plan_id.
_READABLE_VERSIONS = (1, 2)


@dataclass
class PlannedOp:
    """What every planned operation has: a key, unique in its plan (progress is kept by key), and an action."""

    key: str
    action: str


@dataclass
class Result:
    """What happened to one operation: its status, Ory's answer, and the identity the answer names, if any."""

    status: Status
    http_status: int | None = None
    reason: str | None = None
    message: str | None = None
    request_id: str | None = None
    identity_id: str | None = None


_RESULT_FIELDS = frozenset(f.name for f in fields(Result))
# Ids in request paths, so that requests group by endpoint ("/admin/identities/{id}") in estimates.
_PATH_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NOT_RUN = Result("skipped", reason="not run")


class Target(NamedTuple):
    """What one report row is about: the frame row, and the identity, session or batch item it names."""

    row: Any
    identity_id: str | None = None
    session_id: str | None = None
    patch_id: str | None = None


def failed(exc: OryFramesError, reason: str | None = None) -> Result:
    """A ``failed`` result: Ory's status, reason, message and request id, or the error's type and text."""
    if isinstance(exc, ApiError):
        return Result("failed", exc.status, reason or exc.reason, exc.message, exc.request_id)
    return Result("failed", reason=reason or type(exc).__name__, message=str(exc))


def _load_result(data: Mapping[str, Any]) -> Result:
    """A result read back from a plan file (fields a version-1 file repeated from its operation are dropped)."""
    return Result(**{k: v for k, v in data.items() if k in _RESULT_FIELDS})


def report_frame(rows: list[ReportRow]) -> pd.DataFrame:
    """The report frame of :class:`ReportRow` s, in :data:`REPORT_COLUMNS` (``http_status`` as Int64)."""
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["http_status"] = frame["http_status"].astype("Int64")
    return frame


def object_frame(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    """A frame whose columns keep Python values as given (None stays None, dicts stay dicts)."""
    data = {name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(columns)}
    return pd.DataFrame(data, columns=list(columns))


OpT = TypeVar("OpT", bound=PlannedOp)
_E = TypeVar("_E", bound="PlanEngine[Any]")


class PlanEngine(ABC, Generic[OpT]):
    """Review, report, save/load and apply for a list of planned operations; subclasses say what to send."""

    _FORMAT: ClassVar[str]  # the "format" of the JSON file
    _WHAT: ClassVar[str]  # the plan's kind in messages
    _ACTIONS: ClassVar[tuple[str, ...]] = ()  # actions the summary lists even when none is planned
    _COUNTED: ClassVar[str] = "count"  # what the summary counts

    def __init__(self, plan_id: str, operations: list[OpT], *, done: Mapping[str, Result] | None = None) -> None:
        self.plan_id = plan_id
        self.operations = operations
        # key -> result of an operation an earlier apply() of this plan finished (applied)
        self.done: dict[str, Result] = dict(done or {})
        self._last: dict[str, Result] = {}
        self._lock = threading.Lock()

    # -- what a subclass says ----------------------------------------------------------------------
    @abstractmethod
    def _targets(self, op: OpT) -> list[Target]:
        """The report rows ``op`` stands for (one per identity, session or new row it touches)."""

    @abstractmethod
    def _preview_rows(self, op: OpT) -> list[tuple[Any, ...]]:
        """The preview rows of ``op``, in :data:`PREVIEW_COLUMNS` order."""

    @abstractmethod
    def _schedule(self, ops: list[OpT]) -> tuple[list[list[OpT]], list[OpT]]:
        """``ops`` as batches (sent in order, one at a time) and singles (one request each, concurrently)."""

    @abstractmethod
    def _request(self, ops: list[OpT], *, reveal_passwords: bool) -> dict[str, Any]:
        """The request that carries ``ops`` (a batch, or one single): ``{method, path, body}``."""

    @classmethod
    @abstractmethod
    def _load_operation(cls, data: dict[str, Any]) -> OpT:
        """An operation read back from a plan file."""

    def _settled(self, op: OpT) -> Result | None:
        """The result of an operation that needs no request, or None."""
        return None

    def _secrets(self) -> list[str]:
        """What secrets the request bodies carry (e.g. "plaintext passwords"); ``to_json`` refuses them unless asked."""
        return []

    def _json_fields(self) -> dict[str, Any]:
        """Plan-level fields a subclass saves with ``to_json`` (read back by :meth:`_from_saved`)."""
        return {}

    @classmethod
    def _from_saved(
        cls: type[_E], plan_id: str, operations: list[Any], done: dict[str, Result], data: Mapping[str, Any]
    ) -> _E:
        """The plan read back by :meth:`from_json` (``data`` is the whole saved object)."""
        return cls(plan_id, operations, done=done)

    # -- review ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.operations)

    def __bool__(self) -> bool:
        return any(self._settled(op) is None for op in self.operations)

    def summary(self) -> pd.Series:
        """How many report rows (identities or sessions) each action has."""
        counts = dict.fromkeys(self._ACTIONS, 0)
        for op in self.operations:
            counts[op.action] = counts.get(op.action, 0) + len(self._targets(op))
        return pd.Series(counts, name=self._COUNTED, dtype="int64")

    def preview(self) -> pd.DataFrame:
        """One row per change: ``row, identity_id, action, path, old, new``; passwords never appear."""
        return object_frame([r for op in self.operations for r in self._preview_rows(op)], PREVIEW_COLUMNS)

    def payloads(self, *, reveal_passwords: bool = False) -> list[dict[str, Any]]:
        """The exact requests ``apply`` sends (besides its GETs), in order: ``[{method, path, body}]``.

        Plaintext passwords read ``***`` unless ``reveal_passwords=True``.
        """
        batches, singles = self._schedule([op for op in self.operations if self._settled(op) is None])
        groups = [*batches, *([op] for op in singles)]
        return [self._request(ops, reveal_passwords=reveal_passwords) for ops in groups]

    def _reads(self, op: OpT, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The reads ``apply`` sends for ``op`` besides its payload (method, path template); none by default."""
        return []

    def estimate(self, client: Any, *, latency: float | None = None, workers: int = 8, **options: Any) -> Estimate:
        """Requests per endpoint and the expected time of ``apply`` at ``client``'s rate budget.

        ``latency`` is the assumed seconds per request (default 0.1, shown in the estimate);
        ``workers`` and the other keywords are those given to ``apply`` (e.g. ``ignore_conflicts``).
        Operations an earlier ``apply`` finished are not counted.
        """
        todo = [op for op in self.operations if op.key not in self.done and self._settled(op) is None]
        batches, singles = self._schedule(todo)
        counts: dict[tuple[str, str, bool], int] = {}
        for ops, concurrent in [*((b, False) for b in batches), *(([op], True) for op in singles)]:
            for method, path in self._reads(ops[0], options) if concurrent else []:
                counts[(method, path, True)] = counts.get((method, path, True), 0) + 1
            request = self._request(ops, reveal_passwords=False)
            key = (request["method"], _PATH_ID.sub("{id}", request["path"]), concurrent)
            counts[key] = counts.get(key, 0) + 1
        endpoints = [EndpointCount(m, p, n, c) for (m, p, c), n in counts.items()]
        return estimate(endpoints, getattr(client, "budget", None), latency=latency, workers=workers)

    def notes(self) -> list[str]:
        """Plan-wide remarks a reviewer should see (shown by ``repr`` and in notebooks); none by default."""
        return []

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary().items())
        notes = "".join(f"; {note}" for note in self.notes())
        return f"<{type(self).__name__} {self.plan_id} {counts}; {len(self.done)} applied earlier{notes}>"

    def _repr_html_(self) -> str:
        counts = "".join(f"<li>{html.escape(str(k))}: {v}</li>" for k, v in self.summary().items())
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self.notes())
        preview = self.preview().head(50).to_html(max_cols=8, escape=True)
        return (
            f"<div><strong>ory_frames {type(self).__name__}</strong> <code>{html.escape(self.plan_id)}</code>"
            f"<ul>{counts}</ul>{notes}<p>{len(self.done)} operation(s) applied earlier.</p>{preview}</div>"
        )

    # -- save and load -----------------------------------------------------------------------------
    def to_json(self, *, include_passwords: bool = False) -> str:
        """The plan, with its progress, as JSON text for :meth:`from_json` (e.g. ``ory-frames apply``).

        A plan that sets plaintext passwords or imports password hashes refuses unless
        ``include_passwords=True``; keep such a file secret.
        """
        if not include_passwords and (secrets := self._secrets()):
            raise InvalidInputError(
                f"this plan holds {' and '.join(secrets)}; pass include_passwords=True to write them "
                "(keep the file secret)"
            )
        data = {
            "format": self._FORMAT,
            "version": FORMAT_VERSION,
            "plan_id": self.plan_id,
            "operations": [asdict(op) for op in self.operations],
            "done": {k: asdict(v) for k, v in self.done.items()},
            **self._json_fields(),
        }
        return json.dumps(data, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls: type[_E], text: str | bytes) -> _E:
        """Read a plan written by :meth:`to_json`, with its progress."""
        try:
            data = json.loads(text)
            if data.get("format") != cls._FORMAT or data.get("version") not in _READABLE_VERSIONS:
                raise ValueError(f"not an ory_frames {cls._WHAT} (format/version)")
            operations = [cls._load_operation(op) for op in data["operations"]]
            done = {str(k): _load_result(v) for k, v in data.get("done", {}).items()}
            plan_id = str(data["plan_id"]) if "plan_id" in data else content_id([op.key for op in operations])
            plan = cls._from_saved(plan_id, operations, done, data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidInputError([Problem(None, None, f"cannot read {cls._WHAT}: {exc}")]) from exc
        return plan

    # -- apply -------------------------------------------------------------------------------------
    def record(self, op: OpT, result: Result) -> None:
        """Remember what happened to ``op`` in this apply (thread-safe); applied ones are skipped next time."""
        with self._lock:
            self._last[op.key] = result
            if result.status == "applied":
                self.done[op.key] = result

    def report_rows(self) -> list[ReportRow]:
        """The rows of the latest ``apply`` so far (also after an interruption): one per row the plan touches."""
        rows = []
        for op in self.operations:
            r = self._last.get(op.key, _NOT_RUN)
            for t in self._targets(op):
                rows.append(
                    ReportRow(
                        t.row,
                        r.identity_id or t.identity_id,
                        t.session_id,
                        op.action,
                        r.status,
                        r.http_status,
                        r.reason,
                        r.message,
                        r.request_id,
                        t.patch_id,
                    )
                )
        return rows

    def report(self) -> pd.DataFrame:
        """The report of the latest ``apply`` so far (also after an interruption), in :data:`REPORT_COLUMNS`."""
        return report_frame(self.report_rows())

    def _apply(
        self,
        *,
        workers: int,
        progress: bool,
        send_batch: Callable[[list[OpT], Callable[[OpT, Result], None]], None],
        send_one: Callable[[OpT], Result],
    ) -> list[ReportRow]:
        """The apply loop (see the module docstring); ``send_batch`` records its results, ``send_one`` returns one."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._last = {}
        bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(self.operations), desc="apply", unit="op")

        def record(op: OpT, result: Result) -> None:
            self.record(op, result)
            if bar is not None:
                bar.update(1)

        try:
            todo: list[OpT] = []
            for op in self.operations:
                earlier = self.done.get(op.key)
                settled = None if earlier is not None else self._settled(op)
                if earlier is not None:
                    reason = "applied by an earlier run"
                    record(op, Result("skipped", reason=reason, identity_id=earlier.identity_id))
                elif settled is not None:
                    record(op, settled)
                else:
                    todo.append(op)
            batches, singles = self._schedule(todo)
            for batch in batches:
                send_batch(batch, record)
            _run_pool(singles, send_one, record, workers=workers)
        except BaseException as exc:
            exc.report = self.report()  # type: ignore[attr-defined]
            raise
        finally:
            if bar is not None:
                bar.close()
        return self.report_rows()


def _run_pool(
    ops: list[OpT], send_one: Callable[[OpT], Result], record: Callable[[OpT, Result], None], *, workers: int
) -> None:
    """Send each operation on ``workers`` threads; the first exception stops the queue and is re-raised."""
    if not ops:
        return
    stop = threading.Event()

    def one(op: OpT) -> None:
        if stop.is_set():
            return
        try:
            result = send_one(op)
        except BaseException:
            stop.set()
            raise
        record(op, result)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ory-frames-apply")
    try:
        pending: set[Future[None]] = {pool.submit(one, op) for op in ops}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
