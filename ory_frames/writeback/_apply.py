"""Sending identity operations: batch creates that never duplicate, patches and deletes that detect conflicts.

The plan engine (``_engine.py``) decides what is sent when; this module sends one batch of creates
or one patch or delete and says what happened.

Conflict detection, and its race window
---------------------------------------
Before a patch or delete, the identity is read again (``GET /admin/identities/{id}``). If its
``updated_at`` differs from the original frame's, or a field the patch touches differs from its
original value, the operation is reported as ``conflict`` and nothing is written (unless
``ignore_conflicts=True``). Ory's PATCH rejects the JSON Patch ``test`` op (wire notes §6), so the
check and the write cannot be one atomic request: a change made by someone else between our GET and
our PATCH (a window of one round trip) is not detected and is overwritten for the touched paths.

Idempotency
-----------
Batch creates are never re-sent blindly (the client does not retry PATCH): after an uncertain
failure (no answer, 5xx, an answer Ory never gives) each row is looked up by its ``external_id`` or
login identifier (``credentials_identifier``, wire notes §2); a row found is reported as applied
with the existing id, the rest are sent once more. A row that cannot be looked up is not re-sent. A
per-item 409 whose row's identifier now belongs to an identity with the same traits counts as applied.

Batch answers
-------------
Each answer item is matched to its row by ``patch_id`` (wire notes §4), never by position: a row whose
``patch_id`` is missing from the answer or given twice fails with that reason (whether it was
created is unknown), and answer items with another or no ``patch_id`` are named in that reason.
When an item of a batch conflicted (409), the identities it says it created are looked up (one list
request by ids): Kratos up to v1.3 rolls them back while answering "created", and those rows are sent
again once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ory_frames._errors import (
    ConflictError,
    NotFoundError,
    OryFramesError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ory_frames._rfc3339 import parse_rfc3339
from ory_frames._schema import split_pointer

from ._build import Operation
from ._engine import Result, failed
from ._payloads import batch_body, json_equal
from ._pointers import get_at

if TYPE_CHECKING:
    from ory_frames.client import Client

_UNCERTAIN = (TransportError, ServerError, UnexpectedResponseError)
Record = Callable[[Operation, Result], None]


def _same_time(a: Any, b: Any) -> bool:
    """Whether two RFC 3339 texts are one instant, to the microsecond (else, whether they are the same text)."""
    try:
        return parse_rfc3339(str(a)) == parse_rfc3339(str(b))
    except ValueError:
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


def _patch(client: Client, op: Operation, ignore_conflicts: bool) -> Result:
    identity_id = op.identity_id or ""
    try:
        if not ignore_conflicts:
            conflict, already = _state_of(op, client.get_identity(identity_id).raw)
            if already:
                return Result("applied", reason="already in the planned state")
            if conflict:
                return Result("conflict", reason=conflict)
        client.patch_identity(identity_id, op.patch)
    except NotFoundError as exc:
        return failed(exc, reason="identity no longer exists")
    except OryFramesError as exc:
        return failed(exc)
    return Result("applied", http_status=200)


def _delete(client: Client, op: Operation, ignore_conflicts: bool) -> Result:
    identity_id = op.identity_id or ""
    try:
        if not ignore_conflicts and op.updated_at:
            current = client.get_identity(identity_id).raw
            if current.get("updated_at") and not _same_time(op.updated_at, current["updated_at"]):
                reason = f"changed since it was read: updated_at {op.updated_at} -> {current['updated_at']}"
                return Result("conflict", reason=reason)
        client.delete_identity(identity_id)
    except NotFoundError as exc:
        return Result("applied", http_status=404, reason="already deleted", request_id=exc.request_id)
    except OryFramesError as exc:
        return failed(exc)
    return Result("applied", http_status=204)


def send_one(client: Client, op: Operation, *, ignore_conflicts: bool) -> Result:
    """Send one patch or delete, after its conflict check unless ``ignore_conflicts``."""
    if op.action == "patch":
        return _patch(client, op, ignore_conflicts)
    return _delete(client, op, ignore_conflicts)


# -- creates ---------------------------------------------------------------------------------------
def _lookup(client: Client, op: Operation) -> dict[str, Any] | None:
    """The identity a create row made earlier, by external_id or login identifier, or None."""
    external_id = (op.body or {}).get("external_id")
    if isinstance(external_id, str):
        try:
            return client.get_identity_by_external_id(external_id).raw
        except NotFoundError:
            pass
    for identifier in op.identifiers:
        items = client.list_identities(credentials_identifier=identifier).items
        if items:
            return dict(items[0])
    return None


def _can_look_up(op: Operation) -> bool:
    return bool(op.identifiers) or isinstance((op.body or {}).get("external_id"), str)


def _item_result(client: Client, op: Operation, item: dict[str, Any]) -> Result:
    if item.get("action") == "create" and item.get("identity"):
        # A new row's credentials that could not be imported stay visible in the report.
        reason = "not imported: " + "; ".join(op.not_imported) if op.not_imported else None
        return Result("applied", http_status=201, reason=reason, identity_id=item["identity"])
    error = item.get("error") or {}
    code = error.get("code")
    if code == 409 and _can_look_up(op):
        # wire notes §4: a duplicate is a per-item 409 (two message variants).
        try:
            found = _lookup(client, op)
        except OryFramesError:
            found = None
        traits = (op.body or {}).get("traits")
        if found is not None and json_equal(found.get("traits"), traits):
            return Result("applied", http_status=409, reason="already existed", identity_id=found.get("id"))
    return Result("failed", http_status=code, reason=error.get("reason"), message=error.get("message"))


def send_creates(client: Client, ops: list[Operation], record: Record, *, again: bool = True) -> None:
    """Send one batch create (``PATCH /admin/identities``) and record each row's result; see the module docstring."""
    body = batch_body([(op.patch_id or "", op.body or {}) for op in ops])
    try:
        answer = client.batch_patch_identities(body).raw
    except _UNCERTAIN as exc:
        resend: list[Operation] = []
        for op in ops:
            if not _can_look_up(op):
                reason = "uncertain failure; not re-sent (no identifier to check for a duplicate)"
                record(op, failed(exc, reason=reason))
                continue
            try:
                found = _lookup(client, op)
            except OryFramesError as lookup_exc:
                record(op, failed(lookup_exc, reason="uncertain failure; look-up failed"))
                continue
            if found is not None:
                record(op, Result("applied", reason="created by an earlier attempt", identity_id=found.get("id")))
            else:
                resend.append(op)
        if resend and again:
            send_creates(client, resend, record, again=False)
        for op in resend if not again else []:
            record(op, failed(exc, reason="uncertain failure, twice"))
        return
    except ConflictError as exc:
        # Every item failed, answered as one 409 (Kratos up to v1.3 on a lone duplicate; Ory Network when
        # nothing was imported: wire notes §4): each row is then a duplicate, looked up as a per-item 409 is.
        item = {"action": "error", "error": {"code": 409, "reason": exc.reason, "message": exc.message}}
        for op in ops:
            record(op, _item_result(client, op, item))
        return
    except OryFramesError as exc:
        for op in ops:
            record(op, failed(exc))
        return
    # map_answer left None only where exactly one answer item carries the row's patch_id.
    by_patch = {i.get("patch_id"): i for i in _answer_items(answer) if isinstance(i, dict)}
    results = [
        (op, result if result is not None else _item_result(client, op, by_patch[op.patch_id]))
        for op, result in map_answer(ops, answer)
    ]
    created = [r.identity_id for _, r in results if r.status == "applied" and r.http_status == 201 and r.identity_id]
    conflicted = any(isinstance(i, dict) and (i.get("error") or {}).get("code") == 409 for i in _answer_items(answer))
    lost = _not_there(client, created) if created and conflicted else set()
    resend = []
    for op, result in results:
        if result.identity_id in lost and result.http_status == 201:
            if again:
                resend.append(op)
                continue
            result = Result("failed", reason=_ROLLED_BACK + "; sent twice")
        record(op, result)
    if resend:
        send_creates(client, resend, record, again=False)


# Kratos up to v1.3 answers a batch in which some item conflicts with ids for the other items but rolls
# their inserts back (fixed in v25.4.0, ory/kratos#4211; a real v1.3.1 does it: wire notes §4).
_ROLLED_BACK = "Ory answered created, but the identity does not exist (its batch was rolled back)"


def _not_there(client: Client, ids: list[str]) -> set[str]:
    """Of identities a batch answer says it created, those that do not exist (none if that cannot be checked)."""
    seen: set[str] = set()
    try:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            seen.update(str(item.get("id")) for item in client.list_identities(ids=chunk, page_size=len(chunk)).items)
    except OryFramesError:
        return set()
    return set(ids) - seen


def _answer_items(answer: Any) -> list[Any]:
    items = answer.get("identities") if isinstance(answer, dict) else None
    return items if isinstance(items, list) else []


def map_answer(ops: list[Operation], answer: Any) -> list[tuple[Operation, Result | None]]:
    """Each row of a batch with None when exactly one answer item carries its ``patch_id``, else a failed result.

    Items are matched by ``patch_id`` only, never by position (wire notes §4): an item missing,
    given twice, or an answer item with another or no ``patch_id`` cannot be told apart from a
    mix-up, so the rows concerned fail with the reason.
    """
    items = _answer_items(answer)
    wanted = {op.patch_id for op in ops}
    found: dict[str, list[dict[str, Any]]] = {}
    strays = 0
    for item in items:
        patch_id = item.get("patch_id") if isinstance(item, dict) else None
        if isinstance(patch_id, str) and patch_id in wanted:
            found.setdefault(patch_id, []).append(item)
        else:
            strays += 1
    stray_note = (
        f"; {strays} answer item(s) carry another or no patch_id and are not mapped by position" if strays else ""
    )
    out: list[tuple[Operation, Result | None]] = []
    for op in ops:
        mine = found.get(op.patch_id or "", [])
        if len(mine) == 1:
            out.append((op, None))
            continue
        if mine:
            created = [str(i["identity"]) for i in mine if i.get("identity")]
            reason = f"Ory's answer has {len(mine)} items with this row's patch_id; the outcome is unknown"
            message = f"identities named: {', '.join(created)}" if created else None
        else:
            reason = f"Ory's answer has no item with this row's patch_id; the outcome is unknown{stray_note}"
            message = None
        out.append((op, Result("failed", reason=reason, message=message)))
    return out
