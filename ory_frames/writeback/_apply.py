"""Sending a Plan: batch creates one at a time, then per-identity patches and deletes in a thread pool.

Conflict detection, and its race window
---------------------------------------
Before a patch or delete, the identity is read again (``GET /admin/identities/{id}``). If its
``updated_at`` differs from the original frame's, or a field the patch touches differs from its
original value, the operation is reported as ``conflict`` and nothing is written (unless
``overwrite=True``). Ory's PATCH rejects the JSON Patch ``test`` op (wire notes §6), so the
check and the write cannot be one atomic request: a change made by someone else between our GET and
our PATCH (a window of one round trip) is not detected and is overwritten for the touched paths.

Idempotency
-----------
Each finished operation is recorded in the plan, and a second ``apply`` skips it. Batch creates are
never re-sent blindly (the client does not retry PATCH): after an uncertain failure (no answer, 5xx,
an answer Ory never gives) each row is looked up by its ``external_id`` or login identifier
(``credentials_identifier``, wire notes §2); a row found is reported as applied with the
existing id, the rest are sent once more. A row that cannot be looked up is not re-sent. A per-item
409 whose row's identifier now belongs to an identity with the same traits counts as applied.

Interruption
------------
A KeyboardInterrupt or any other exception stops the run: running requests finish, queued ones are
dropped, and the exception is re-raised with the report so far as ``exc.report`` (also available as
``plan.report()``). Calling ``plan.apply(client)`` again resumes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import pandas as pd

from ory_frames._errors import (
    ApiError,
    NotFoundError,
    OryFramesError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

from ._payloads import batch_body, json_equal
from ._pointers import get_at, split_pointer

if TYPE_CHECKING:
    from ory_frames._client import Client

    from ._plan import Operation, Plan, Result

_UNCERTAIN = (TransportError, ServerError, UnexpectedResponseError)


def as_json(value: Any) -> Any:
    """A client answer as plain JSON: a model's raw server object, or the value itself."""
    if value is None or isinstance(value, dict | list):
        return value
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict):
        return raw
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_unset=True)
    return value


def _result(op: Operation, status: str, **fields: Any) -> Result:
    from ._plan import Result

    fields.setdefault("identity_id", op.identity_id)
    return Result(row=op.row, action=op.action, status=status, patch_id=op.patch_id, **fields)  # type: ignore[arg-type]


def _failed(op: Operation, exc: OryFramesError, reason: str | None = None, **fields: Any) -> Result:
    if isinstance(exc, ApiError):
        return _result(
            op,
            "failed",
            http_status=exc.status,
            reason=reason or exc.reason,
            message=exc.message,
            request_id=exc.request_id,
            **fields,
        )
    return _result(op, "failed", reason=reason or type(exc).__name__, message=str(exc), **fields)


def _same_time(a: Any, b: Any) -> bool:
    try:
        return bool(pd.Timestamp(a).floor("us") == pd.Timestamp(b).floor("us"))
    except (ValueError, TypeError):
        return str(a) == str(b)


def _state_of(op: Operation, current: dict[str, Any]) -> tuple[str | None, bool]:
    """``(conflict reason or None, already applied)`` for a patch, given the identity as it is now."""
    already = bool(op.patch)
    for item in op.patch:
        found, value = get_at(current, split_pointer(item["path"]))
        wanted = item.get("value") if item["op"] != "remove" else None
        if (value if found else None) is None and wanted is None:
            continue
        if not (found and json_equal(value, wanted)):
            already = False
    if already:
        return None, True
    changed = []
    if op.updated_at and current.get("updated_at") and not _same_time(op.updated_at, current["updated_at"]):
        changed.append(f"updated_at {op.updated_at} -> {current['updated_at']}")
    for path, old in op.old.items():
        found, value = get_at(current, split_pointer(path))
        now = value if found else None
        if not (now is None and old is None) and not json_equal(now, old):
            changed.append(f"{path} changed")
    if changed:
        return "changed since it was read: " + "; ".join(changed), False
    return None, False


def _patch(client: Client, op: Operation, overwrite: bool) -> Result:
    identity_id = op.identity_id or ""
    try:
        if not overwrite:
            current = as_json(client.get_identity(identity_id))
            conflict, already = _state_of(op, current)
            if already:
                return _result(op, "applied", reason="already in the planned state")
            if conflict:
                return _result(op, "conflict", reason=conflict)
        client.patch_identity(identity_id, op.patch)
    except NotFoundError as exc:
        return _failed(op, exc, reason="identity no longer exists")
    except OryFramesError as exc:
        return _failed(op, exc)
    return _result(op, "applied", http_status=200)


def _delete(client: Client, op: Operation, overwrite: bool) -> Result:
    identity_id = op.identity_id or ""
    try:
        if not overwrite and op.updated_at:
            current = as_json(client.get_identity(identity_id))
            if current.get("updated_at") and not _same_time(op.updated_at, current["updated_at"]):
                reason = f"changed since it was read: updated_at {op.updated_at} -> {current['updated_at']}"
                return _result(op, "conflict", reason=reason)
        client.delete_identity(identity_id)
    except NotFoundError as exc:
        return _result(op, "applied", http_status=404, reason="already deleted", request_id=exc.request_id)
    except OryFramesError as exc:
        return _failed(op, exc)
    return _result(op, "applied", http_status=204)


# -- creates ---------------------------------------------------------------------------------------
def _lookup(client: Client, op: Operation) -> dict[str, Any] | None:
    """The identity a create row made earlier, by external_id or login identifier, or None."""
    external_id = (op.body or {}).get("external_id")
    if isinstance(external_id, str):
        try:
            found = as_json(client.get_identity_by_external_id(external_id))
            return found if isinstance(found, dict) else None
        except NotFoundError:
            pass
    for identifier in op.identifiers:
        page = client.list_identities(credentials_identifier=identifier)
        items = [as_json(i) for i in getattr(page, "items", page)]
        if items:
            return dict(items[0])
    return None


def _can_look_up(op: Operation) -> bool:
    return bool(op.identifiers) or isinstance((op.body or {}).get("external_id"), str)


def _item_result(client: Client, op: Operation, item: dict[str, Any] | None) -> Result:
    if item is None:
        return _result(op, "failed", reason="no result for this item")
    if item.get("action") == "create" and item.get("identity"):
        return _result(op, "applied", http_status=201, identity_id=item["identity"])
    error = item.get("error") or {}
    code = error.get("code")
    fields = {"http_status": code, "reason": error.get("reason"), "message": error.get("message")}
    if code == 409 and _can_look_up(op):
        # wire notes §4: a duplicate is a per-item 409 (two message variants).
        try:
            found = _lookup(client, op)
        except OryFramesError:
            found = None
        traits = (op.body or {}).get("traits")
        if found is not None and json_equal(found.get("traits"), traits):
            return _result(op, "applied", identity_id=found.get("id"), http_status=409, reason="already existed")
    return _result(op, "failed", **fields)


def _send_creates(plan: Plan, client: Client, todo: list[Operation], tick: Callable[[], None], again: bool) -> None:
    body = batch_body([(op.patch_id or "", op.body or {}) for op in todo])
    try:
        answer = as_json(client.batch_patch_identities(body))
    except _UNCERTAIN as exc:
        resend: list[Operation] = []
        for op in todo:
            if not _can_look_up(op):
                reason = "uncertain failure; not re-sent (no identifier to check for a duplicate)"
                _record(plan, op, _failed(op, exc, reason=reason), tick)
                continue
            try:
                found = _lookup(client, op)
            except OryFramesError as lookup_exc:
                _record(plan, op, _failed(op, lookup_exc, reason="uncertain failure; look-up failed"), tick)
                continue
            if found is not None:
                result = _result(op, "applied", identity_id=found.get("id"), reason="created by an earlier attempt")
                _record(plan, op, result, tick)
            else:
                resend.append(op)
        if resend and again:
            _send_creates(plan, client, resend, tick, again=False)
        for op in resend if not again else []:
            _record(plan, op, _failed(op, exc, reason="uncertain failure, twice"), tick)
        return
    except OryFramesError as exc:
        for op in todo:
            _record(plan, op, _failed(op, exc), tick)
        return
    items = answer.get("identities") if isinstance(answer, dict) else None
    items = items if isinstance(items, list) else []
    by_patch_id = {i.get("patch_id"): i for i in items if isinstance(i, dict) and i.get("patch_id")}
    for index, op in enumerate(todo):
        item = by_patch_id.get(op.patch_id) or (items[index] if index < len(items) else None)
        _record(plan, op, _item_result(client, op, item), tick)


def _record(plan: Plan, op: Operation, result: Result, tick: Callable[[], None]) -> None:
    plan.record(op, result)
    tick()


# -- driver ----------------------------------------------------------------------------------------
def apply_plan(plan: Plan, client: Client, *, workers: int, overwrite: bool, progress: bool) -> pd.DataFrame:
    """Send every operation of ``plan`` not applied earlier; see the module docstring."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    plan._last = {}
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(plan.operations), desc="apply", unit="op")

    def tick() -> None:
        if bar is not None:
            bar.update(1)

    try:
        for op in plan.operations:
            earlier = plan.done.get(op.key)
            if earlier is not None:
                reason = "applied by an earlier run"
                _record(plan, op, _result(op, "skipped", identity_id=earlier.identity_id, reason=reason), tick)
            elif op.action == "skip":
                _record(plan, op, _result(op, "skipped", reason=op.note), tick)
        # Ory blocks concurrent batch writes (wire notes §14): one chunk at a time.
        for chunk in plan.create_chunks():
            todo = [op for op in chunk if op.key not in plan.done]
            if todo:
                _send_creates(plan, client, todo, tick, again=True)
        singles = [op for op in plan.operations if op.action in ("patch", "delete") and op.key not in plan.done]
        _run_pool(plan, client, singles, workers=workers, overwrite=overwrite, tick=tick)
    except BaseException as exc:
        exc.report = plan.report()  # type: ignore[attr-defined]
        raise
    finally:
        if bar is not None:
            bar.close()
    return plan.report()


def _run_pool(
    plan: Plan, client: Client, ops: list[Operation], *, workers: int, overwrite: bool, tick: Callable[[], None]
) -> None:
    if not ops:
        return

    stop = threading.Event()

    def one(op: Operation) -> None:
        if stop.is_set():
            return
        try:
            result = _patch(client, op, overwrite) if op.action == "patch" else _delete(client, op, overwrite)
        except BaseException:
            stop.set()
            raise
        _record(plan, op, result, tick)

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
