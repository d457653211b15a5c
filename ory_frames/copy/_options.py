"""The filters and schema map of a copy, checked against both projects' identity schemas before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ory_frames._digest import json_digest
from ory_frames._errors import InvalidInputError, Problem
from ory_frames.pages import iter_identity_schemas

if TYPE_CHECKING:
    from ory_frames.client import Client

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
VALID_STATES = ("active", "inactive")


@dataclass(frozen=True)
class CopyOptions:
    """Which source identities are copied (all filters must hold) and under which target schema."""

    schema_ids: frozenset[str] | None = None
    state: str | None = None
    organization_id: str | None = None
    ids: frozenset[str] | None = None
    schema_map: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        *,
        schema_id: str | Sequence[str] | None,
        state: str | None,
        organization_id: str | None,
        ids: Sequence[str] | None,
        schema_map: Mapping[str, str] | None,
    ) -> CopyOptions:
        """The options from ``copy_identities``' arguments; a malformed value is an InvalidInputError."""
        problems: list[Problem] = []
        schema_ids = None
        if schema_id is not None:
            schema_ids = frozenset([schema_id] if isinstance(schema_id, str) else schema_id)
            if not schema_ids or not all(isinstance(s, str) and s for s in schema_ids):
                problems.append(Problem(None, "schema_id", "schema_id must be a schema id or a list of them"))
        if state is not None and state not in VALID_STATES:
            problems.append(Problem(None, "state", f"{state!r} is not an identity state; use 'active' or 'inactive'"))
        if organization_id is not None and not (isinstance(organization_id, str) and _UUID.fullmatch(organization_id)):
            problems.append(Problem(None, "organization_id", f"{organization_id!r} is not an organization id (a UUID)"))
        id_set = None
        if ids is not None:
            if isinstance(ids, str):
                ids = [ids]
            bad = [i for i in ids if not (isinstance(i, str) and _UUID.fullmatch(i))]
            if bad:
                shown = ", ".join(repr(b) for b in bad[:5])
                problems.append(Problem(None, "ids", f"not identity ids (UUIDs): {shown}"))
            id_set = frozenset(str(i).lower() for i in ids)
        mapping = dict(schema_map or {})
        for old, new in mapping.items():
            if not (isinstance(old, str) and old and isinstance(new, str) and new):
                problems.append(Problem(None, "schema_map", f"{old!r}: {new!r} is not a pair of schema ids"))
        if problems:
            raise InvalidInputError(problems)
        return cls(schema_ids, state, organization_id, id_set, mapping)

    def target_schema(self, source_schema: str) -> str:
        """The target schema id of a source identity's schema id."""
        return self.schema_map.get(source_schema, source_schema)

    def skip_reason(self, identity: Mapping[str, Any]) -> str | None:
        """Why a source identity is left out by the filters, or None when it is copied."""
        if self.ids is not None and str(identity.get("id", "")).lower() not in self.ids:
            return "skipped by filter: id not in ids"
        if self.schema_ids is not None and identity.get("schema_id") not in self.schema_ids:
            return f"skipped by filter: schema_id {identity.get('schema_id')!r}"
        if self.state is not None and (identity.get("state") or "active") != self.state:
            return f"skipped by filter: state {identity.get('state')!r}"
        if self.organization_id is not None and identity.get("organization_id") != self.organization_id:
            return "skipped by filter: organization_id"
        return None

    def digest(self, source: str, target: str) -> str:
        """What a state file is for: the two projects and these options (a digest; no URL or id is stored)."""
        content = {
            "source": source,
            "target": target,
            "schema_ids": sorted(self.schema_ids) if self.schema_ids is not None else None,
            "state": self.state,
            "organization_id": self.organization_id,
            "ids": sorted(self.ids) if self.ids is not None else None,
            "schema_map": dict(sorted(self.schema_map.items())),
        }
        return json_digest(content)


def schema_ids(client: Client) -> list[str]:
    """The identity schema ids a project serves (``GET /schemas``, wire notes §11)."""
    return [str(item["id"]) for page in iter_identity_schemas(client) for item in page.items if "id" in item]


def check_schemas(options: CopyOptions, source_schemas: Sequence[str], target_schemas: Sequence[str]) -> None:
    """Refuse a schema map or schema filter naming a schema the source or target does not have.

    Raises
    ------
    InvalidInputError
        Naming every unknown schema id (nothing has been sent).
    """
    problems: list[Problem] = []
    source, target = set(source_schemas), set(target_schemas)
    known_source = ", ".join(source_schemas) or "none"
    known_target = ", ".join(target_schemas) or "none"
    for old, new in options.schema_map.items():
        if old not in source:
            problems.append(
                Problem(None, "schema_map", f"unknown source schema {old!r} (the source has: {known_source})")
            )
        if new not in target:
            problems.append(
                Problem(None, "schema_map", f"unknown target schema {new!r} (the target has: {known_target})")
            )
    for schema in sorted(options.schema_ids or ()):
        if schema not in source:
            problems.append(
                Problem(None, "schema_id", f"unknown source schema {schema!r} (the source has: {known_source})")
            )
        elif (mapped := options.target_schema(schema)) not in target:
            problems.append(
                Problem(
                    None,
                    "schema_id",
                    f"schema {mapped!r} is not in the target (it has: {known_target}); map it with schema_map",
                )
            )
    if problems:
        raise InvalidInputError(problems)
