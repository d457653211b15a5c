"""The resumable record of a copy: a small JSON state file, written atomically, and the report rows as a CSV journal.

Order of writes for each unit of work (a few source pages and at most one batch of creates):

1. the **intent**: before a batch is sent, the state names its rows (source id, ``patch_id`` and, for a
   row without external id or identifier, a content fingerprint) and the time it was sent;
2. the batch is sent and answered;
3. the unit's report rows are appended to the journal and flushed to disk;
4. the state moves its cursor (the source page token after the unit), records the journal's length and
   clears the intent, in one atomic replace.

A kill at any point leaves either the old state (its journal length cuts off rows written after it; a
recorded intent tells the rerun which rows may already exist in the target) or the new one. The state
holds no identity data besides source ids and digests; the journal holds ids, statuses and Ory's reasons.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ory_frames._errors import InvalidInputError

FORMAT = "ory_frames.copy_state"
VERSION = 1
REPORT_COLUMNS = ("source_id", "target_id", "status", "http_status", "reason", "message", "not_imported")


@dataclass
class InFlight:
    """A batch that was (maybe) sent: when, and its rows ``{source_id, patch_id, fingerprint}``.

    ``first_sent_at`` is when the earliest of its rows was sent: rows of a batch an earlier run sent
    stay named, by a later intent, until the report has them.
    """

    sent_at: str
    items: list[dict[str, Any]]
    first_sent_at: str | None = None


@dataclass
class CopyState:
    """Where a copy stands: its options' digest, the source cursor, the journal length and any batch in flight."""

    copy_id: str
    cursor: str | None = None
    started: bool = False
    finished: bool = False
    report_bytes: int = 0
    in_flight: InFlight | None = None
    counts: dict[str, int] = field(default_factory=dict)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that a reader sees the old or the new content, never a part."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def save_state(path: Path, state: CopyState) -> None:
    """Write the state file atomically."""
    data = {"format": FORMAT, "version": VERSION, **asdict(state)}
    write_atomically(path, json.dumps(data, indent=1))


def load_state(path: Path, copy_id: str) -> CopyState | None:
    """The state of the same copy from ``path``; None if there is no file.

    Raises
    ------
    InvalidInputError
        The file is not a copy state, or belongs to a copy with other projects or options.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError("not an ory_frames copy state")
        flight = data.get("in_flight")
        state = CopyState(
            copy_id=str(data["copy_id"]),
            cursor=data.get("cursor"),
            started=bool(data.get("started")),
            finished=bool(data.get("finished")),
            report_bytes=int(data.get("report_bytes", 0)),
            in_flight=InFlight(str(flight["sent_at"]), list(flight["items"]), flight.get("first_sent_at"))
            if flight
            else None,
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInputError(f"cannot read the copy state {str(path)!r}: {exc}") from None
    if state.copy_id != copy_id:
        raise InvalidInputError(
            f"the state file {str(path)!r} belongs to another copy (other projects, filters or schema map); "
            "remove it or choose another state file"
        )
    return state


class Journal:
    """The report rows as CSV, appended per unit; ``None`` path keeps them in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: list[tuple[Any, ...]] = []

    def start(self, keep_bytes: int | None) -> None:
        """Open the journal: keep its first ``keep_bytes`` (rows of earlier runs, read back) or start afresh."""
        if self.path is None:
            return
        if keep_bytes and self.path.exists():
            with open(self.path, "r+b") as handle:
                handle.truncate(keep_bytes)
            with open(self.path, encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header != list(REPORT_COLUMNS):
                    raise InvalidInputError(f"{str(self.path)!r} is not a copy report")
                self.rows = [_row_from_csv(r) for r in reader]
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow(REPORT_COLUMNS)
            handle.flush()
            os.fsync(handle.fileno())

    def append(self, rows: list[tuple[Any, ...]]) -> int:
        """Add rows (flushed to disk before returning); the journal's length in bytes."""
        self.rows.extend(rows)
        if self.path is None:
            return 0
        buffer = io.StringIO()
        csv.writer(buffer).writerows(["" if v is None else v for v in row] for row in rows)
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()

    def size(self) -> int:
        """The journal's length in bytes (0 in memory)."""
        return self.path.stat().st_size if self.path is not None and self.path.exists() else 0


def _row_from_csv(values: list[str]) -> tuple[Any, ...]:
    row: list[Any] = [v if v != "" else None for v in values]
    row += [None] * (len(REPORT_COLUMNS) - len(row))
    if row[3] is not None:
        row[3] = int(row[3])
    return tuple(row[: len(REPORT_COLUMNS)])
