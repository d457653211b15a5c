"""CopyResult: what a copy did to each source identity, as a report frame, counts and (for a dry run) an estimate."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ory_frames.client import Estimate

from ._state import REPORT_COLUMNS

STATUSES = ("created", "matched", "failed", "skipped")
DRY_RUN_STATUS = "planned"


def report_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The report rows as a frame: one per source identity, in :data:`REPORT_COLUMNS` order."""
    data = {name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(REPORT_COLUMNS)}
    frame = pd.DataFrame(data, columns=list(REPORT_COLUMNS))
    frame["http_status"] = pd.array(frame["http_status"].tolist(), dtype="Int64")
    return frame


@dataclass
class CopyResult:
    """The outcome of :func:`ory_frames.copy_identities`.

    Attributes
    ----------
    report : pandas.DataFrame
        One row per source identity: ``source_id, target_id, status, http_status, reason, message,
        not_imported``. ``status`` is ``created`` (``target_id`` is the new identity), ``matched``
        (the target already had it: ``reason`` says by what), ``failed`` (Ory's status, reason and
        message, or why it was not sent), ``skipped`` (left out by a filter) or, in a dry run,
        ``planned``. ``not_imported`` names the credentials Ory cannot import (TOTP, lookup
        secrets, WebAuthn, passkeys) and addresses no trait holds, separated by `` | ``.
    dry_run : bool
        Nothing was written.
    estimate : Estimate
        Requests per endpoint and the time the projects' rate budgets need (for a dry run, what the
        copy would send; otherwise what this run sent, counted).
    requests : list of dict
        For a dry run, the first batch request as it would be sent (password hashes read ``***``).
    report_path, state_path : pathlib.Path or None
        Where the report CSV and the state file are.
    """

    report: pd.DataFrame
    dry_run: bool = False
    estimate: Estimate | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    report_path: Path | None = None
    state_path: Path | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Source identities per status (every status listed, zeros included)."""
        found = self.report["status"].value_counts()
        statuses = (*STATUSES, DRY_RUN_STATUS) if self.dry_run else STATUSES
        return {status: int(found.get(status, 0)) for status in statuses}

    @property
    def not_imported(self) -> pd.DataFrame:
        """The report rows with credentials (or addresses) that could not be copied."""
        return self.report[self.report["not_imported"].notna()]

    def to_csv(self, path: str | Path) -> None:
        """Write the report as CSV (no index)."""
        self.report.to_csv(path, index=False)

    def mapping(self) -> dict[str, str]:
        """Source id -> target id for every created or matched identity."""
        done = self.report[self.report["status"].isin(("created", "matched"))]
        return dict(zip(done["source_id"], done["target_id"], strict=True))

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        kind = "dry run, " if self.dry_run else ""
        return f"<CopyResult {kind}{len(self.report)} source identities: {counts}>"
