"""One source identity (its JSON as read with credentials) as the batch-create operation that copies it.

The create body is write-back's (:func:`ory_frames.writeback.create_body`): the addresses a create body
takes, the password hash and the OIDC/SAML providers with only the fields Ory imports (provider,
subject, organization, use_auto_link; never the ``initial_*_token``s), the notes for credentials Ory
cannot import (TOTP, lookup secrets, WebAuthn, passkeys) and for addresses no trait holds. The
identity's JSON is used as read, not through a frame, so traits and metadata reach the target byte for
byte. Also here: the keys that find the same identity in another project (``external_id``, login
identifiers; wire notes §2, §12) and a content digest for the rows that have neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ory_frames._digest import json_digest
from ory_frames.writeback import IMPORTED_CREDENTIALS, Operation, create_body, login_identifiers, stable_id

# What copy reads from the source: the credentials a create body imports, with their configs.
READ_CREDENTIALS = IMPORTED_CREDENTIALS
# The fields of a content digest: what a created identity shows of what we sent, ids and times aside.
_CONTENT_FIELDS = ("schema_id", "traits", "state", "metadata_public", "metadata_admin", "organization_id")


class NotCopyable(ValueError):
    """A source identity whose JSON cannot become a create body; the message is the reason (no secret in it)."""


def patch_id(source_id: str) -> str:
    """The batch item id of a source identity: the same in every run, so answers map by it (wire notes §4)."""
    return stable_id(f"copy:{source_id}")


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
    made = create_body({**identity, "schema_id": schema_id})
    if made.problems:
        raise NotCopyable(made.problems[0][1])
    pid = patch_id(source_id)
    return Operation(
        f"create:{pid}",
        "create",
        source_id,
        body=made.body,
        patch_id=pid,
        identifiers=login_identifiers(identity),
        not_imported=made.not_imported,
    )
