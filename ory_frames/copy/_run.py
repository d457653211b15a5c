"""copy_identities: stream a source project's identities with their credentials into a target, resumably.

The source is read page by page (keyset, Ory's largest pages, wire notes §1) with ``include_credential`` for
the credentials Ory imports (wire notes §2, §3); a few pages make a unit of at most one batch of creates
(1000 items, wire notes §4), so memory holds one unit, never the whole source. Per unit:

1. each source identity is skipped (a filter), failed locally (a schema the target lacks, a part that
   cannot be imported), matched (the target has it: same ``external_id``, else a same login identifier;
   see ``_index.py``), or planned as a create (``_body.py``);
2. the planned creates are recorded as in flight in the state file, then sent (``_send.py``);
3. the unit's report rows go to the journal and the state moves on (``_state.py``).

A rerun after a kill reads the state, reads the target's keys again and finds there what a batch in
flight created: those rows are reported as created (by the interrupted run), the rest sent again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ory_frames._rfc3339 import parse_rfc3339
from ory_frames.client import EndpointCount, Estimate, estimate
from ory_frames.pages import iter_identities
from ory_frames.writeback import MAX_BATCH_ITEMS, Operation, Plan, content_id, login_identifiers

from ._body import READ_CREDENTIALS, NotCopyable, create_operation, identity_content_digest
from ._index import TargetIndex, read_index
from ._options import CopyOptions, check_schemas, schema_ids
from ._result import DRY_RUN_STATUS, CopyResult, report_frame
from ._send import Outcome, send_unit
from ._state import CopyState, InFlight, Journal, load_state, save_state

if TYPE_CHECKING:
    from ory_frames.client import Client

MAX_UNIT_ROWS = 5000  # a unit of matched or skipped rows ends here, so the cursor moves on
# A batch the killed run sent may still be running on the server: rows without a key to recognise
# them by are looked for only once the batch is this old, and target identities created this long
# before it was sent are not taken for its rows (clocks of client and server may differ).
SETTLE_SECONDS = 5.0
CLOCK_MARGIN = timedelta(minutes=5)
NOTE_SEPARATOR = " | "


@dataclass
class _Unit:
    """The rows of the pages read since the cursor last moved: report rows decided, and creates to send."""

    rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    creates: list[Operation] = field(default_factory=list)

    def add(self, source_id: str, row: tuple[Any, ...] | None) -> None:
        self.order.append(source_id)
        if row is not None:
            self.rows[source_id] = row


def _row(
    source_id: str,
    target_id: str | None,
    status: str,
    *,
    http_status: int | None = None,
    reason: str | None = None,
    message: str | None = None,
    notes: Sequence[str] = (),
) -> tuple[Any, ...]:
    return (source_id, target_id, status, http_status, reason, message, NOTE_SEPARATOR.join(notes) or None)


class _Copier:
    """One run of a copy; see the module docstring."""

    def __init__(
        self,
        source: Client,
        target: Client,
        options: CopyOptions,
        target_schemas: set[str],
        *,
        state_path: Path | None,
        journal: Journal,
        state: CopyState,
        dry_run: bool,
        progress: bool,
    ) -> None:
        self.source, self.target, self.options = source, target, options
        self.target_schemas = target_schemas
        self.state_path, self.journal, self.state = state_path, journal, state
        self.dry_run = dry_run
        self.flight = {str(i["source_id"]): i for i in state.in_flight.items} if state.in_flight else {}
        # Rows of the interrupted batch not yet in the journal: a new intent keeps naming them until they are.
        self.flight_pending = set(self.flight)
        self.first_sent_at = (state.in_flight.first_sent_at or state.in_flight.sent_at) if state.in_flight else None
        self.index = TargetIndex()
        self.taken: set[str] = set()
        self.requests = {"source_pages": 0, "batches": 0}
        self.sample: list[dict[str, Any]] = []
        self.bar: Any = None
        self.sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ory-frames-copy")
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(desc="copy", unit="identity")

    # -- deciding ----------------------------------------------------------------------------------
    def _decide(self, identity: Mapping[str, Any], unit: _Unit) -> None:
        source_id = str(identity.get("id"))
        if (why := self.options.skip_reason(identity)) is not None:
            unit.add(source_id, _row(source_id, None, "skipped", reason=why))
            return
        schema = self.options.target_schema(str(identity.get("schema_id") or "default"))
        if schema not in self.target_schemas:
            why = f"schema {schema!r} is not in the target; map it with schema_map (nothing sent)"
            unit.add(source_id, _row(source_id, None, "failed", reason=why))
            return
        # Matching needs only the keys: the create body is built for the rows that may be sent.
        found = self.index.match(identity.get("external_id"), login_identifiers(identity))
        earlier = source_id in self.flight
        if found is not None and not earlier:
            unit.add(source_id, _row(source_id, found[0], "matched", reason=f"already in the target: {found[1]}"))
            return
        try:
            op = create_operation(identity, schema)
        except NotCopyable as exc:
            unit.add(source_id, _row(source_id, None, "failed", reason=f"cannot be copied: {exc} (nothing sent)"))
            return
        if found is None and earlier and self.flight[source_id].get("fingerprint"):
            claimed = self.index.claim_by_fingerprint(op.body or {}, self.taken)
            found = (claimed, "same content") if claimed else None
        if found is not None:
            reason = f"created by an interrupted run ({found[1]})"
            unit.add(source_id, _row(source_id, found[0], "created", reason=reason, notes=op.not_imported))
            return
        unit.add(source_id, None)
        unit.creates.append(op)

    # -- sending -----------------------------------------------------------------------------------
    def _save(self) -> None:
        if self.state_path is not None and not self.dry_run:
            save_state(self.state_path, self.state)

    def _count_batch(self) -> None:
        self.requests["batches"] += 1

    def _begin(self, unit: _Unit) -> Future[dict[str, Outcome]] | None:
        """Record the unit's creates as in flight and start sending them on the sender thread (dry run: plan them)."""
        ops = unit.creates
        if self.dry_run:
            for chunk in Plan("", ops).create_chunks():
                self._count_batch()
                if not self.sample:
                    self.sample = Plan(content_id([o.patch_id for o in chunk]), chunk).payloads()
            for op in ops:
                unit.rows[op.row] = _row(op.row, None, DRY_RUN_STATUS, notes=op.not_imported)
            return None
        if not ops:
            return None
        items = [
            {
                "source_id": op.row,
                "patch_id": op.patch_id,
                # Only rows that no key finds again get a fingerprint (a digest; no identity data).
                "fingerprint": None
                if (op.identifiers or (op.body or {}).get("external_id"))
                else identity_content_digest(op.body or {}),
            }
            for op in ops
        ]
        sent = {op.row for op in ops}
        earlier = [self.flight[i] for i in sorted(self.flight_pending) if i not in sent]
        now = datetime.now(timezone.utc).isoformat()
        first = (self.first_sent_at or now) if earlier else now
        self.state.in_flight = InFlight(now, items + earlier, first)
        self._save()
        return self.sender.submit(send_unit, self.target, ops, count=self._count_batch)

    def _end(self, unit: _Unit, sending: Future[dict[str, Outcome]] | None, cursor: str | None) -> None:
        """Wait for the unit's creates, write its report rows, then move the state past it."""
        outcomes = sending.result() if sending is not None else {}
        for op in unit.creates if sending is not None else []:
            o = outcomes[op.patch_id or ""]
            status = "created" if o.created else "failed"
            unit.rows[op.row] = _row(
                op.row,
                o.target_id,
                status,
                http_status=o.http_status,
                reason=o.reason,
                message=o.message,
                notes=op.not_imported,
            )
        rows = [unit.rows[source_id] for source_id in unit.order]
        size = self.journal.append(rows)
        self.flight_pending.difference_update(unit.order)
        for row in rows:
            self.state.counts[row[2]] = self.state.counts.get(row[2], 0) + 1
        self.state.cursor = cursor
        self.state.report_bytes = size
        self.state.in_flight = None
        self._save()
        if self.bar is not None:
            self.bar.update(len(rows))

    # -- the run -----------------------------------------------------------------------------------
    def _fingerprint_since(self) -> datetime | None:
        flight = self.state.in_flight
        if flight is None or not any(item.get("fingerprint") for item in flight.items):
            return None
        sent = parse_rfc3339(flight.sent_at)
        wait = SETTLE_SECONDS - (datetime.now(timezone.utc) - sent).total_seconds()
        if wait > 0:
            time.sleep(wait)
        return parse_rfc3339(flight.first_sent_at or flight.sent_at) - CLOCK_MARGIN

    def run(self) -> None:
        self.index = read_index(self.target, fingerprint_since=self._fingerprint_since())
        self.state.started = True
        self._save()
        unit = _Unit()
        # Pages of Ory's maximum size (page_size None), which each page says (wire notes §1).
        pages = iter_identities(self.source, include_credential=READ_CREDENTIALS, page_token=self.state.cursor)
        # While one unit's batch is on the wire (Ory takes one batch write at a time, wire notes §14), the
        # next unit is read and planned; it is recorded as in flight only once the previous one is done.
        previous: tuple[_Unit, Future[dict[str, Outcome]] | None, str | None] | None = None
        try:
            for page in pages:
                self.requests["source_pages"] += 1
                for identity in page.items:
                    self._decide(identity, unit)
                if page.next_token is None:
                    break
                if len(unit.creates) + page.page_size > MAX_BATCH_ITEMS or len(unit.order) >= MAX_UNIT_ROWS:
                    if previous is not None:
                        self._end(*previous)
                    previous = (unit, self._begin(unit), page.next_token)
                    unit = _Unit()
            if previous is not None:
                self._end(*previous)
            previous = None
            self._end(unit, self._begin(unit), None)
            self.state.finished = True
            self._save()
        finally:
            if previous is not None and previous[1] is not None:
                wait([previous[1]])  # an interrupted run leaves no request behind; the intent covers its rows
            self.sender.shutdown(wait=True)
            close = getattr(pages, "close", None)
            if close is not None:
                close()
            if self.bar is not None:
                self.bar.close()

    def estimate(self, index_pages: int) -> Estimate:
        """What this run sends (dry run: would send), at each project's rate budget."""
        pages = self.requests["source_pages"]
        source = [
            EndpointCount("GET", "/schemas", 1, where="source"),
            EndpointCount("GET", "/admin/identities", pages, where="source"),
        ]
        target = [
            EndpointCount("GET", "/schemas", 1, where="target"),
            EndpointCount("GET", "/admin/identities", index_pages, where="target"),
            EndpointCount("PATCH", "/admin/identities", self.requests["batches"], where="target"),
        ]
        return estimate(source, self.source.budget) + estimate(target, self.target.budget)


def _paths(report: str | PathLike[str] | None, state: str | PathLike[str] | None) -> tuple[Path | None, Path | None]:
    """The report and state paths: each defaults to one beside the other; neither given, none."""
    report_path = Path(report) if report is not None else None
    state_path = Path(state) if state is not None else None
    if state_path is None and report_path is not None:
        state_path = report_path.with_name(report_path.name + ".state.json")
    if report_path is None and state_path is not None:
        report_path = state_path.with_name(state_path.name + ".report.csv")
    return report_path, state_path


def copy_identities(
    source: Client,
    target: Client,
    *,
    report: str | PathLike[str] | None = None,
    state: str | PathLike[str] | None = None,
    schema_id: str | Iterable[str] | None = None,
    identity_state: str | None = None,
    organization_id: str | None = None,
    ids: Sequence[str] | None = None,
    schema_map: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: bool = False,
) -> CopyResult:
    """Copy identities, with their password hashes and OIDC/SAML providers, from one project to another.

    Parameters
    ----------
    source, target : Client
        Where to read (with ``include_credential``) and where to create.
    report : path, optional
        Write the report as CSV, row by row as the copy goes.
    state : path, optional
        The state file that makes the copy resumable (default: beside ``report``, as
        ``<report>.state.json``). Running again with the same arguments after an interruption, even a
        kill, ends with each identity created exactly once; after a finished copy it starts over (and
        matches everything).
    schema_id, identity_state, organization_id, ids : optional
        Copy only the source identities with one of these schema ids, this state (``"active"`` or
        ``"inactive"``), this organization, or these ids; the others are reported as ``skipped``.
    schema_map : mapping, optional
        ``{source schema id: target schema id}``; unmapped schemas keep their id.
    dry_run : bool
        Read both projects and report what would happen (``planned`` rows, the first batch request with
        hashes masked, the estimate); send nothing and leave the state file alone.
    progress : bool
        Draw a tqdm progress bar.

    Returns
    -------
    CopyResult
        ``.report`` maps every source id to its target id with a status (created, matched, failed,
        skipped); ``.estimate`` gives requests and time at the projects' rate budgets.

    Raises
    ------
    InvalidInputError
        A malformed filter, or a schema map or schema filter naming a schema the source or target does not
        have (checked against ``GET /schemas`` of both before anything is sent), or a state file of another copy.

    Examples
    --------
    >>> from ory_frames import Client, copy_identities, sandbox
    >>> with sandbox.running(seed_identities=5) as a, sandbox.running() as b, Client(a) as src, Client(b) as dst:
    ...     result = copy_identities(src, dst)
    >>> result.counts
    {'created': 5, 'matched': 0, 'failed': 0, 'skipped': 0}
    """
    options = CopyOptions.make(
        schema_id=list(schema_id) if schema_id is not None and not isinstance(schema_id, str) else schema_id,
        state=identity_state,
        organization_id=organization_id,
        ids=ids,
        schema_map=schema_map,
    )
    target_schemas = schema_ids(target)
    check_schemas(options, schema_ids(source), target_schemas)
    report_path, state_path = _paths(report, state)
    copy_id = options.digest(source.base_url, target.base_url)
    saved = load_state(state_path, copy_id) if state_path is not None and not dry_run else None
    if saved is not None and (saved.finished or not saved.started):
        saved = None
    current = saved or CopyState(copy_id)
    journal = Journal(report_path if not dry_run else None)
    journal.start(current.report_bytes if saved is not None else None)
    copier = _Copier(
        source,
        target,
        options,
        set(target_schemas),
        state_path=state_path,
        journal=journal,
        state=current,
        dry_run=dry_run,
        progress=progress,
    )
    copier.run()
    return CopyResult(
        report_frame(journal.rows),
        dry_run=dry_run,
        estimate=copier.estimate(copier.index.pages),
        requests=copier.sample,
        report_path=report_path,
        state_path=state_path if not dry_run else None,
    )
