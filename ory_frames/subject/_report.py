"""subject_report: everything Ory holds about one person, without secrets, as JSON and as an HTML page."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ory_frames.pages import iter_identity_sessions

from .._errors import NotFoundError
from ._errors import SubjectNotFoundError
from ._html import report_fragment, report_page
from ._lookup import SubjectLookup, check_query, find_subject, not_found_text
from ._shape import credentials_part, identity_part, session_part, utc_text

if TYPE_CHECKING:
    from ory_frames.client import Client

REPORT_FORMAT = "ory_frames.subject_report"
REPORT_VERSION = 1
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, repr=False)
class SubjectReport:
    """What Ory holds about one identity, without secrets: ``.json`` (a dict) and ``.html`` (a page).

    Attributes
    ----------
    identity_id : str
        The identity the report is about.
    json : dict
        JSON-serialisable: ``format``, ``version``, ``generated_at``, ``identity_id``,
        ``matched_by``, ``identity`` (as Ory sent it, minus credentials), ``credentials`` (type,
        identifiers, version, times), ``sessions`` (each with its devices and authentication methods)
        and ``counts``. Timestamps are RFC 3339 in UTC (``2026-05-07T08:23:19.000000Z``); Go's zero
        time, Ory's "never", is null. Traits and metadata keep Ory's values, except that secret-named keys
        inside a ``config`` object (``password``, ``totp_url`` ...) are masked wherever they are.
    html : str
        A self-contained HTML page of the same content (no script, no external resource).
    paths : tuple of Path
        The JSON and HTML files written by ``path=`` or :meth:`write`; empty if none were.
    """

    identity_id: str
    json: dict[str, Any]
    html: str
    paths: tuple[Path, ...] = field(default=())

    def __repr__(self) -> str:  # no personal data: the id and counts only
        counts = self.json.get("counts") or {}
        return (
            f"SubjectReport(identity_id={self.identity_id!r}, credentials={counts.get('credentials', 0)}, "
            f"sessions={counts.get('sessions', 0)})"
        )

    def _repr_html_(self) -> str:
        return report_fragment(self.json)

    def write(self, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``subject-<identity id>.json`` and ``.html`` into ``directory`` (created if missing).

        Each file is written under a temporary name in the same directory and renamed, so a reader never
        sees half a file; a report already there for the same identity is replaced. The names hold only
        the identity id, never an email, so that a directory listing gives nothing away.
        """
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        stem = "subject-" + _UNSAFE_IN_NAME.sub("_", self.identity_id)
        text = json.dumps(self.json, indent=2, ensure_ascii=False) + "\n"
        json_path = _write_atomically(folder / f"{stem}.json", text)
        html_path = _write_atomically(folder / f"{stem}.html", self.html)
        return json_path, html_path


def _write_atomically(target: Path, text: str) -> Path:
    """Write text as UTF-8 to a temporary file next to ``target``, flush it to disk, then rename it."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def subject_report(
    client: Client,
    identity: str,
    *,
    path: str | os.PathLike[str] | None = None,
    by: SubjectLookup = "auto",
) -> SubjectReport:
    """Gather what Ory holds about one person, for a data-subject access request (GDPR art. 15, CCPA).

    Parameters
    ----------
    client : Client
        The client that sends every request (all of them reads).
    identity : str
        Who: an identity id (UUID), an external id, or a credential identifier such as an email,
        username, phone number or ``provider:subject``. With ``by="auto"`` every lookup that applies is
        asked: (1) ``GET /admin/identities/{id}``, only when the text is a UUID; (2) ``GET
        /admin/identities/by/external/{externalID}``; (3) ``GET /admin/identities?credentials_identifier=``,
        an exact match that Ory normalises (e.g. emails lower-cased). Exactly one identity must match.
    path : str or path-like, optional
        A directory: ``subject-<identity id>.json`` and ``subject-<identity id>.html`` are written into
        it (see :meth:`SubjectReport.write`).
    by : {"auto", "id", "external_id", "credentials_identifier"}
        Ask only this lookup, e.g. when ``"auto"`` finds two identities.

    Returns
    -------
    SubjectReport
        ``.json`` holds the identity (traits, addresses, metadata, state, times), its credentials' types
        and identifiers, and every session, active or not, with its devices (IP address, user agent,
        location). No credential ``config`` is read or kept: no password hash, TOTP URL, lookup code or
        OIDC token.

    Raises
    ------
    InvalidInputError
        ``identity`` is empty or not text, or ``by`` is unknown; raised before any request.
    SubjectNotFoundError
        No identity matches (a ``NotFoundError``).
    AmbiguousSubjectError
        More than one identity matches; the message lists their ids and how each matched.

    Examples
    --------
    >>> from ory_frames import Client, sandbox
    >>> from ory_frames.subject import subject_report
    >>> with sandbox.running(seed_identities=20) as url, Client(url) as client:  # doctest: +SKIP
    ...     report = subject_report(client, "ada@example.org", path="out/dsar")
    """
    query = check_query(identity, by)
    match = find_subject(client, query, by=by)
    if match is None:
        raise SubjectNotFoundError(not_found_text(query, by))
    doc = match.identity
    if doc is None:
        try:  # GET by id includes credentials (without config) and admin metadata (wire notes §3)
            doc = dict(client.get_identity(match.identity_id).raw)
        except NotFoundError:
            raise SubjectNotFoundError(f"{not_found_text(query, by)}: it was deleted while being read") from None
    sessions = [
        session_part(item)
        # Every session, active or not, each with its devices (wire notes §§1, 8: offset paging).
        for page in iter_identity_sessions(client, match.identity_id)
        for item in page
    ]
    credentials = credentials_part(doc)
    identity_json = identity_part(doc)
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "generated_at": utc_text(datetime.now(timezone.utc)),
        "identity_id": match.identity_id,
        "matched_by": list(match.matched_by),
        "identity": identity_json,
        "credentials": credentials,
        "sessions": sessions,
        "counts": {
            "credentials": len(credentials),
            "verifiable_addresses": len(identity_json.get("verifiable_addresses") or []),
            "recovery_addresses": len(identity_json.get("recovery_addresses") or []),
            "sessions": len(sessions),
            "active_sessions": sum(1 for s in sessions if s.get("active") is True),
            "devices": sum(len(s.get("devices") or []) for s in sessions),
        },
    }
    result = SubjectReport(match.identity_id, report, report_page(report))
    if path is not None:
        result = replace(result, paths=result.write(path))
    return result
