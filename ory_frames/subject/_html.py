"""A subject report's JSON as a readable, self-contained HTML page in which every value is escaped."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

# Scoped to the report's own class, so that the page can also sit inside a notebook without restyling it.
_STYLE = """
.ory-subject-report{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;color:#1d1d1f}
.ory-subject-report h1{font-size:20px;margin:0 0 4px}
.ory-subject-report h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #ddd;padding-bottom:2px}
.ory-subject-report h3{font-size:14px;margin:12px 0 4px}
.ory-subject-report table{border-collapse:collapse;margin:4px 0}
.ory-subject-report th,.ory-subject-report td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.ory-subject-report th{background:#f5f5f5;font-weight:600}
.ory-subject-report pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
.ory-subject-report .meta{color:#555}
.ory-subject-report .none{color:#888}
"""

_IDENTITY_SECTIONS = frozenset(
    {"traits", "verifiable_addresses", "recovery_addresses", "metadata_public", "metadata_admin"}
)
_SESSION_SECTIONS = frozenset({"devices", "authentication_methods"})


def _value(value: Any) -> str:
    """One value as escaped HTML: '—' for null, yes/no for booleans, indented JSON for lists and objects."""
    if value is None:
        return '<span class="none">—</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping | list):
        if not value:
            return '<span class="none">none</span>'
        return f"<pre>{html.escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"
    return html.escape(str(value))


def _fields(record: Mapping[str, Any], *, skip: Iterable[str] = ()) -> str:
    """A two-column table of a record's fields, in the order Ory sent them."""
    left_out = set(skip)
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{_value(item)}</td></tr>"
        for key, item in record.items()
        if key not in left_out
    )
    return f"<table>{rows}</table>" if rows else '<p class="none">none</p>'


def _table(records: list[Any], columns: Iterable[str] = ()) -> str:
    """A table with one row per record: the given columns first, then any other key a record has."""
    if not records:
        return '<p class="none">none</p>'
    names = list(columns)
    for record in records:
        if isinstance(record, Mapping):
            names += [str(key) for key in record if str(key) not in names]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = ""
    for record in records:
        data = record if isinstance(record, Mapping) else {"value": record}
        body += "<tr>" + "".join(f"<td>{_value(data.get(name))}</td>" for name in names) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested objects as (dotted path, leaf) pairs; lists stay whole."""
    if isinstance(value, Mapping) and value:
        pairs: list[tuple[str, Any]] = []
        for key, item in value.items():
            pairs += _flat(item, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    return [(prefix or "(value)", value)]


def _session(index: int, session: Mapping[str, Any]) -> str:
    """One session: its fields, then its devices and authentication methods as tables."""
    title = f"Session {index}: {_value(session.get('id'))}"
    return (
        f"<h3>{title}</h3>{_fields(session, skip=_SESSION_SECTIONS)}"
        f"<p>Devices</p>{_table(session.get('devices') or [], ('ip_address', 'user_agent', 'location', 'id'))}"
        f"<p>Authentication methods</p>{_table(session.get('authentication_methods') or [])}"
    )


def report_fragment(report: Mapping[str, Any]) -> str:
    """The report as one ``<div>`` (with its scoped style), for a notebook or a form."""
    identity: Mapping[str, Any] = report.get("identity") or {}
    sessions: list[Any] = report.get("sessions") or []
    traits = identity.get("traits")
    trait_rows = "".join(
        f"<tr><th>{html.escape(path)}</th><td>{_value(item)}</td></tr>" for path, item in _flat(traits or {})
    )
    counts = report.get("counts") or {}
    parts = [
        f'<div class="ory-subject-report"><style>{_STYLE}</style>',
        f"<h1>Data held about identity {_value(report.get('identity_id'))}</h1>",
        f'<p class="meta">Read from Ory at {_value(report.get("generated_at"))}; '
        f"found by {_value(', '.join(report.get('matched_by') or []))}. "
        f"{_value(counts.get('credentials', 0))} credential(s), {_value(counts.get('sessions', 0))} session(s), "
        f"{_value(counts.get('devices', 0))} device record(s).</p>",
        "<h2>Identity</h2>",
        _fields(identity, skip=_IDENTITY_SECTIONS),
        "<h2>Traits</h2>",
        f"<table>{trait_rows}</table>" if traits else '<p class="none">none</p>',
        "<h2>Credentials</h2>",
        '<p class="meta">Types and identifiers only; no password hash, key, code or token is included.</p>',
        _table(report.get("credentials") or [], ("type", "identifiers", "created_at", "updated_at")),
        "<h2>Addresses</h2><h3>Verifiable addresses</h3>",
        _table(identity.get("verifiable_addresses") or [], ("value", "via", "verified", "status", "verified_at")),
        "<h3>Recovery addresses</h3>",
        _table(identity.get("recovery_addresses") or [], ("value", "via")),
        "<h2>Metadata</h2><h3>Public metadata</h3>",
        _value(identity.get("metadata_public")),
        "<h3>Admin metadata</h3>",
        _value(identity.get("metadata_admin")),
        f"<h2>Sessions ({len(sessions)})</h2>",
        "".join(_session(n, s) for n, s in enumerate(sessions, 1) if isinstance(s, Mapping))
        or '<p class="none">none</p>',
        "</div>",
    ]
    return "".join(parts)


def report_page(report: Mapping[str, Any]) -> str:
    """The report as a whole HTML document: no script, no external resource."""
    title = html.escape(f"Subject report {report.get('identity_id', '')}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
        f"<body>{report_fragment(report)}</body></html>\n"
    )
