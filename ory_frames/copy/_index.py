"""What the target already holds: its identities by ``external_id`` and by login identifier, read once.

Matching a source identity to one already in the target needs, per identity, a look-up by external id
(wire notes §12) and one per identifier (``credentials_identifier``, wire notes §2): several requests
each. Reading the target's list once instead costs one request per 500 identities (wire notes §1) and
keeps only the keys in memory (ids and identifiers, never a credential config). The list carries
credentials (with their identifiers) only when ``include_credential`` asks for a type (wire notes §3),
so it asks for ``code``, whose config holds addresses only, never a secret.

For the rows of an interrupted batch that have neither an external id nor an identifier, the index
also keeps a content digest (``_body.identity_content_digest``) of each target identity created since that batch
was sent, so that a rerun finds what the batch created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ory_frames._rfc3339 import parse_rfc3339
from ory_frames.pages import iter_identities
from ory_frames.writeback import login_identifiers

from ._body import identity_content_digest

if TYPE_CHECKING:
    from ory_frames.client import Client

_INDEX_CREDENTIAL = ("code",)


def _created_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


@dataclass
class TargetIndex:
    """Target identity ids by external id, by identifier and (since a time) by content fingerprint."""

    by_external_id: dict[str, str] = field(default_factory=dict)
    by_identifier: dict[str, str] = field(default_factory=dict)
    by_fingerprint: dict[str, list[str]] = field(default_factory=dict)
    count: int = 0
    pages: int = 0

    def add(self, identity: dict[str, Any], *, fingerprint_since: datetime | None = None) -> None:
        """Index one target identity (as listed, or as created by this run)."""
        target_id = identity.get("id")
        if not isinstance(target_id, str):
            return
        self.count += 1
        external_id = identity.get("external_id")
        if isinstance(external_id, str) and external_id:
            self.by_external_id.setdefault(external_id, target_id)
        for identifier in login_identifiers(identity):
            self.by_identifier.setdefault(identifier, target_id)
        if fingerprint_since is not None:
            created = _created_at(identity.get("created_at"))
            if created is None or created >= fingerprint_since:
                self.by_fingerprint.setdefault(identity_content_digest(identity), []).append(target_id)

    def match(self, external_id: Any, keys: list[str]) -> tuple[str, str] | None:
        """``(target id, why)`` for a source identity (its external id and login identifiers) the target has."""
        if isinstance(external_id, str) and external_id:
            found = self.by_external_id.get(external_id)
            # wire notes §12: external ids are unique in a project, so a different one is another user.
            return (found, "same external_id") if found else None
        for identifier in keys:
            if found := self.by_identifier.get(identifier):
                return found, "same credential identifier"
        return None

    def claim_by_fingerprint(self, body: dict[str, Any], taken: set[str]) -> str | None:
        """A target id created since the fingerprint time with the same content as ``body``, not yet taken."""
        for target_id in self.by_fingerprint.get(identity_content_digest(body), []):
            if target_id not in taken:
                taken.add(target_id)
                return target_id
        return None


def read_index(client: Client, *, fingerprint_since: datetime | None = None) -> TargetIndex:
    """Read every target identity's keys (see the module docstring)."""
    index = TargetIndex()
    for page in iter_identities(client, include_credential=_INDEX_CREDENTIAL):
        index.pages += 1
        for identity in page.items:
            index.add(identity, fingerprint_since=fingerprint_since)
    return index
