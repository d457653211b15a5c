"""Ory's identity and session JSON shaped for a subject report: credential secrets dropped, timestamps in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .._redact import redact_credentials
from .._rfc3339 import parse_rfc3339

# wire notes §8: Go's zero time, which Ory writes for a time never set.
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=timezone.utc)

# The keys of a credential that a report keeps (wire notes §3: type, identifiers, config, version and two
# timestamps). `config` holds the secrets (password hashes, TOTP URLs, lookup codes, OIDC tokens); a key
# Ory adds later is left out too, because inside a credential an unknown field may well be a secret.
CREDENTIAL_FIELDS: tuple[str, ...] = ("type", "identifiers", "version", "created_at", "updated_at")

# Keys of a session a report leaves out: the embedded `identity` repeats the person already reported
# (admin sessions expand it, wire notes §8), `tokenized` would be a session token.
SESSION_DROPPED: frozenset[str] = frozenset({"identity", "tokenized"})

# JSON the project or the person wrote: kept exactly as Ory sent it, whatever its keys are called.
USER_DATA: frozenset[str] = frozenset({"traits", "metadata_public", "metadata_admin"})


def utc_text(moment: datetime) -> str:
    """An aware datetime as RFC 3339 in UTC with microseconds: ``2026-05-07T08:23:19.000000Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_timestamp(text: str) -> str | None:
    """One of Ory's timestamps in the report's one form (see ``utc_text``); None for Go's zero time.

    Ory writes unset times as Go's zero time ``0001-01-01T00:00:00Z`` (an authentication method's
    ``completed_at``, wire notes §8), which means "never", not the year 1. A text that is no timestamp
    is returned unchanged, so nothing Ory sent is lost.
    """
    try:
        moment = parse_rfc3339(text)
        if moment == GO_ZERO_TIME:
            return None
        return utc_text(moment)
    except (ValueError, OverflowError):  # no timestamp (2023-02-30 neither), or an offset that leaves the calendar
        return text


def in_utc(value: Any) -> Any:
    """A copy of Ory's JSON with every ``*_at`` timestamp in UTC; traits and metadata are not touched."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in USER_DATA:
                out[key] = item
            elif isinstance(item, str) and str(key).endswith("_at"):
                out[key] = utc_timestamp(item)
            else:
                out[key] = in_utc(item)
        return out
    if isinstance(value, list):
        return [in_utc(item) for item in value]
    return value


def identity_part(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The identity as Ory sent it, minus ``credentials`` (reported apart, without secrets), times in UTC."""
    rest = {key: value for key, value in doc.items() if key != "credentials"}
    # Anything under a `config` key is masked too, in case a project keeps credentials in metadata.
    shaped: dict[str, Any] = in_utc(redact_credentials(rest))
    return shaped


def credentials_part(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per credential: type, identifiers, version and times; never ``config``."""
    credentials = doc.get("credentials")
    if not isinstance(credentials, Mapping):
        return []
    out: list[dict[str, Any]] = []
    for kind, entry in credentials.items():
        if not isinstance(entry, Mapping):
            continue
        kept = {field: entry[field] for field in CREDENTIAL_FIELDS if field in entry}
        kept["type"] = kept.get("type") or str(kind)
        out.append(in_utc(kept))
    return out


def session_part(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A session with its devices and authentication methods, without the embedded identity, times in UTC."""
    shaped: dict[str, Any] = in_utc({key: value for key, value in doc.items() if key not in SESSION_DROPPED})
    return shaped
