"""Sending one unit's creates through the write-back plan engine, with the retries and splits a copy needs.

Each batch goes through :class:`~ory_frames.writeback.Plan` (its batches, ``patch_id`` mapping and
uncertain-failure look-ups; wire notes §4). On top of that:

- a batch refused as a whole (400, e.g. one password hash in no known format, or 413 too large) is
  split in halves until the refused rows stand alone, so one bad row does not fail a thousand;
- rows whose outcome stayed unknown (no answer, 5xx, a missing answer item) are sent again, a few
  times with a pause, but only rows Ory can recognise as duplicates (an ``external_id`` or a login
  identifier: a second create is then a per-item 409 and is counted as created, never duplicated).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ory_frames.writeback import PASSWORD_MASK, Operation, Plan, content_id

if TYPE_CHECKING:
    from ory_frames.client import Client

# Sends of a row whose outcome stayed unknown, and the pause before each repeat (seconds, doubled).
ATTEMPTS = 4
FIRST_PAUSE = 0.5


@dataclass
class Outcome:
    """What happened to one create: created (with the new id) or failed (Ory's status, reason, message)."""

    created: bool
    target_id: str | None = None
    http_status: int | None = None
    reason: str | None = None
    message: str | None = None


def _secrets(op: Operation) -> list[str]:
    config = (op.body or {}).get("credentials", {}).get("password", {}).get("config", {})
    return [v for k, v in config.items() if k in ("password", "hashed_password") and isinstance(v, str) and v]


def scrub(text: str | None, op: Operation) -> str | None:
    """``text`` with the row's password hash (if it ever came back in a message) masked."""
    if text is None:
        return None
    for secret in _secrets(op):
        text = text.replace(secret, PASSWORD_MASK)
    return text


def _apply(client: Client, ops: list[Operation]) -> dict[str, Outcome]:
    """One plan of creates applied; each row's outcome by ``patch_id``."""
    plan = Plan(content_id([op.patch_id for op in ops]), ops)
    by_patch = {op.patch_id: op for op in ops}
    out: dict[str, Outcome] = {}
    for result in plan.apply_rows(client, workers=1):
        op = by_patch[result.patch_id]
        applied = result.status == "applied"
        out[str(result.patch_id)] = Outcome(
            applied,
            result.identity_id if applied else None,
            result.http_status,
            scrub(result.reason, op),
            scrub(result.message, op),
        )
    return out


def _refused_whole(outcomes: list[Outcome]) -> bool:
    """Whether every row failed with one request-level refusal that a single row causes.

    Per-item failures (a schema violation, a 409) can share a text too, but splitting them would only
    send the same rows again: only the whole-batch refusals of wire notes §4 and "Imported password
    hashes" (a hash in no known format or with costs out of bounds) and a body too large are split.
    """
    first = outcomes[0]
    if len(outcomes) < 2 or first.created:
        return False
    same = all(
        (o.created, o.http_status, o.reason, o.message) == (False, first.http_status, first.reason, first.message)
        for o in outcomes
    )
    whole = first.http_status == 413 or (first.http_status == 400 and "imported password" in (first.reason or ""))
    return same and whole


def _send_split(client: Client, ops: list[Operation], count: Callable[[], None]) -> dict[str, Outcome]:
    count()
    out = _apply(client, ops)
    if _refused_whole([out[op.patch_id or ""] for op in ops]):
        half = len(ops) // 2
        return {**_send_split(client, ops[:half], count), **_send_split(client, ops[half:], count)}
    return out


def _unknown(outcome: Outcome, op: Operation) -> bool:
    """A failure that does not say the row was refused, for a row Ory would recognise if sent again."""
    if outcome.created:
        return False
    transient = outcome.http_status is None or outcome.http_status == 429 or outcome.http_status >= 500
    keyed = bool(op.identifiers) or isinstance((op.body or {}).get("external_id"), str)
    return transient and keyed


def send_unit(
    client: Client, ops: list[Operation], *, count: Callable[[], None], sleep: Callable[[float], None] = time.sleep
) -> dict[str, Outcome]:
    """Create ``ops`` (one unit: at most one batch's worth) and return each row's outcome by ``patch_id``.

    ``count`` is called once per batch request sent.
    """
    outcomes: dict[str, Outcome] = {}
    pending = ops
    pause = FIRST_PAUSE
    for attempt in range(ATTEMPTS):
        if not pending:
            break
        if attempt:
            sleep(pause)
            pause *= 2
        for chunk in Plan("", pending).create_chunks():
            outcomes.update(_send_split(client, chunk, count))
        pending = [op for op in pending if _unknown(outcomes[op.patch_id or ""], op)]
    return outcomes
