"""One source identity (its JSON as read with credentials) as the batch-create operation that copies it.

The create body is made by the write-back create path's own pieces (``writeback/_create.py``): the
addresses a create body takes, the password hash and the OIDC/SAML providers with only the fields Ory
imports (provider, subject, organization, use_auto_link; never the ``initial_*_token``s), the notes
for credentials Ory cannot import (TOTP, lookup secrets, WebAuthn, passkeys) and for addresses no
trait holds. The identity's JSON is used as read, not through a frame, so traits and metadata reach
the target byte for byte. Also here: the keys that find the same identity in another project
(``external_id``, credential identifiers; wire notes §2, §12) and a content digest for the rows
that have neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ory_frames._digest import json_digest
from ory_frames.writeback._build import Operation
from ory_frames.writeback._create import (
    ADDRESS_COLUMNS,
    addresses,
    not_imported,
    orphan_addresses,
    password_credential,
    provider_credential,
)
from ory_frames.writeback._payloads import PATCH_ID_NAMESPACE, ValueProblem
from ory_frames.writeback._validate import normalise_identifier

# What copy reads from the source: every credential with its identifiers, and the configs it imports.
READ_CREDENTIALS = ("password", "oidc", "saml")
# Identifier types that name one login in a project (wire notes §2: credentials_identifier matches these).
MATCHED_TYPES = ("password", "code", "oidc", "saml")
_SIMPLE_FIELDS = ("state", "metadata_public", "metadata_admin", "external_id", "organization_id")
# The fields of a content digest: what a created identity shows of what we sent, ids and times aside.
_CONTENT_FIELDS = ("schema_id", "traits", "state", "metadata_public", "metadata_admin", "organization_id")


class NotCopyable(ValueError):
    """A source identity whose JSON cannot become a create body; the message is the reason (no secret in it)."""


def patch_id(source_id: str) -> str:
    """The batch item id of a source identity: the same in every run, so answers map by it (wire notes §4)."""
    return str(uuid.uuid5(PATCH_ID_NAMESPACE, f"copy:{source_id}"))


def identifiers(identity: Mapping[str, Any]) -> list[str]:
    """The identity's login identifiers (password, code, OIDC, SAML), as Kratos stores them."""
    creds = identity.get("credentials")
    out: list[str] = []
    if not isinstance(creds, dict):
        return out
    for kind in MATCHED_TYPES:
        cred = creds.get(kind)
        values = cred.get("identifiers") if isinstance(cred, dict) else None
        for value in values if isinstance(values, list) else []:
            if isinstance(value, str) and value.strip():
                text = normalise_identifier(value) if kind in ("password", "code") else value
                if text not in out:
                    out.append(text)
    return out


def identity_content_digest(doc: Mapping[str, Any]) -> str:
    """A digest of what an identity holds besides ids, times and credentials (create body or read identity).

    A state file records it (as ``fingerprint``) only to say that a row has no key; a rerun compares
    digests it computes itself, so the encoding may change between versions.
    """
    content = {}
    for key in _CONTENT_FIELDS:
        value = doc.get(key)
        if key == "state" and value is None:
            value = "active"
        if key.startswith("metadata") and value == {}:
            value = None
        content[key] = value
    return json_digest(content)


def create_operation(identity: Mapping[str, Any], schema_id: str) -> Operation:
    """The create operation copying ``identity`` under ``schema_id`` (its target schema); ``row`` is its source id.

    Raises :class:`NotCopyable` when a part cannot be imported as it stands (e.g. an address without a value).
    """
    source_id = str(identity.get("id"))
    body: dict[str, Any] = {"schema_id": schema_id, "traits": identity.get("traits")}
    for key in _SIMPLE_FIELDS:
        value = identity.get(key)
        if value is not None and value != "" and not (key == "metadata_admin" and value == {}):
            body[key] = value
    try:
        for column in ADDRESS_COLUMNS:
            if found := addresses(column, identity.get(column) or []):
                body[column] = found
        creds = identity.get("credentials")
        creds = creds if isinstance(creds, dict) else {}
        configs = {
            kind: cred["config"]
            for kind, cred in creds.items()
            if kind in READ_CREDENTIALS and isinstance(cred, dict) and cred.get("config") is not None
        }
        credentials: dict[str, Any] = {}
        for kind, config in configs.items():
            made = password_credential(config) if kind == "password" else provider_credential(kind, config)
            if made is not None:
                credentials[kind] = made
    except ValueProblem as exc:
        raise NotCopyable(str(exc)) from None
    if credentials:
        body["credentials"] = credentials
    notes = [*not_imported(list(creds), configs, set(credentials)), *orphan_addresses(body)]
    pid = patch_id(source_id)
    return Operation(
        f"create:{pid}",
        "create",
        source_id,
        body=body,
        patch_id=pid,
        identifiers=identifiers(identity),
        not_imported=notes,
    )
