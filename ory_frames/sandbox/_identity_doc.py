"""Identity documents: building them from request bodies and rendering the wire views."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, get_args

from .._rfc3339 import parse_rfc3339
from .._types import CredentialType
from ._credential_import import (
    check_credentials_body,
    credential_record,
    import_credentials,
    strict_decode_error,
)
from ._go import go_kind
from ._schemas import IdentitySchema
from ._wire import bad_request, parse_uuid

__all__ = [  # import_credentials and strict_decode_error are re-exported for the route modules
    "CREATE_FIELDS",
    "CREDENTIAL_TYPES",
    "STATES",
    "apply_derived",
    "build_new_identity",
    "identity_from_body",
    "import_credentials",
    "parse_time",
    "render_identity",
    "strict_decode_error",
]

STATES = ("active", "inactive")
CREDENTIAL_TYPES: tuple[str, ...] = get_args(CredentialType)  # the valid `include_credential` values (wire notes §2)
CREATE_FIELDS = frozenset(
    {
        "schema_id",
        "traits",
        "state",
        "metadata_public",
        "metadata_admin",
        "verifiable_addresses",
        "recovery_addresses",
        "organization_id",
        "external_id",
        "region",
        "credentials",
    }
)


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (with `Z` or an offset); a ValueError otherwise."""
    return parse_rfc3339(value)


def apply_derived(doc: dict[str, Any], schema: IdentitySchema, now: str) -> None:
    """Set identifiers and addresses from the traits, keeping the state of addresses already known."""
    derived = schema.derive(doc.get("traits"))
    creds: dict[str, dict[str, Any]] = doc.setdefault("credentials", {})
    if derived.password:
        creds.setdefault("password", credential_record("password", [], {}, 1, now))["identifiers"] = derived.password
    elif "password" in creds and not creds["password"].get("config"):
        del creds["password"]
    if derived.webauthn and "webauthn" in creds:
        creds["webauthn"]["identifiers"] = derived.webauthn
    if derived.code:
        # identity/extension_credentials.go creates the code credential at version 1
        code = creds.setdefault("code", credential_record("code", [], {}, 1, now))
        code["identifiers"] = [addr for _, addr in derived.code]
        code["config"] = {"addresses": [{"channel": ch, "address": addr} for ch, addr in derived.code]}
    else:
        creds.pop("code", None)
    if not creds:
        doc.pop("credentials", None)

    known_v = {(a.get("via"), str(a.get("value", "")).lower()): a for a in doc.get("verifiable_addresses") or []}
    verifiable = []
    for via, value in derived.verification:
        old = known_v.get((via, value))
        addr: dict[str, Any] = {
            "id": (old or {}).get("id") or str(uuid.uuid4()),
            "value": value,
            "verified": bool((old or {}).get("verified", False)),
            "via": via,
            "status": (old or {}).get("status") or "pending",
        }
        if old and old.get("verified_at"):
            addr["verified_at"] = old["verified_at"]
        elif addr["verified"]:
            addr["verified_at"] = now
        addr["created_at"] = (old or {}).get("created_at") or now
        addr["updated_at"] = (old or {}).get("updated_at") or now
        verifiable.append(addr)
    known_r = {(a.get("via"), str(a.get("value", "")).lower()): a for a in doc.get("recovery_addresses") or []}
    recovery = []
    for via, value in derived.recovery:
        old = known_r.get((via, value))
        recovery.append(
            {
                "id": (old or {}).get("id") or str(uuid.uuid4()),
                "value": value,
                "via": via,
                "created_at": (old or {}).get("created_at") or now,
                "updated_at": (old or {}).get("updated_at") or now,
            }
        )
    doc["verifiable_addresses"] = verifiable
    doc["recovery_addresses"] = recovery


def _string_field(body: Mapping[str, Any], key: str, go_type: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise strict_decode_error(
        f"json: cannot unmarshal {go_kind(value)} into Go struct field {go_type}.{key} of type string"
    )


def identity_from_body(body: Any, *, strict: bool, go_type: str = "CreateIdentityBody") -> dict[str, Any]:
    """Decode a create body into its parts, raising the Go decode errors (wire notes §5)."""
    if not isinstance(body, dict):
        raise strict_decode_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type identity.{go_type}")
    if strict:
        for key in body:
            if key not in CREATE_FIELDS:
                raise strict_decode_error(f'json: unknown field "{key}"')
    for key in ("schema_id", "state", "external_id", "organization_id", "region"):
        _string_field(body, key, go_type)
    for key, item_type in _ADDRESS_LISTS.items():
        _check_addresses(body.get(key), f"{go_type}.{key}", item_type)
    check_credentials_body(body.get("credentials"), go_type, strict=strict)
    return body


# The address lists of a create body and the Go types of their items' fields (identity/identity.go):
# a wrong JSON kind anywhere is Go's decode error, never a crash further on.
_ADDRESS_LISTS = {"verifiable_addresses": "VerifiableAddress", "recovery_addresses": "RecoveryAddress"}
_ADDRESS_FIELD_KINDS: dict[str, tuple[type, str]] = {
    "id": (str, "uuid.UUID"),
    "value": (str, "string"),
    "via": (str, "string"),
    "status": (str, "identity.VerifiableAddressStatus"),
    "verified": (bool, "bool"),
    "verified_at": (str, "sqlxx.NullTime"),
    "created_at": (str, "time.Time"),
    "updated_at": (str, "time.Time"),
}


def _check_addresses(value: Any, field: str, item_type: str) -> None:
    """Raise Go's decode error for an address list whose shape or field kinds Go cannot decode."""
    if value is None:
        return
    if not isinstance(value, list):
        raise strict_decode_error(
            f"json: cannot unmarshal {go_kind(value)} into Go struct field {field} of type []identity.{item_type}"
        )
    for item in value:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise strict_decode_error(
                f"json: cannot unmarshal {go_kind(item)} into Go struct field {field} of type identity.{item_type}"
            )
        for key, (kind, go_name) in _ADDRESS_FIELD_KINDS.items():
            got = item.get(key)
            if got is not None and type(got) is not kind:
                raise strict_decode_error(
                    f"json: cannot unmarshal {go_kind(got)} into Go struct field {field}.{key} of type {go_name}"
                )


def build_new_identity(
    body: Mapping[str, Any], schema_of: Any, now: str, *, identity_id: str | None = None
) -> tuple[dict[str, Any], bool]:
    """A stored identity doc from a decoded create body; returns (doc, had_plaintext_password)."""
    state = body.get("state") or "active"
    if state not in STATES:
        raise bad_request("identity state is not valid")
    org = body.get("organization_id")
    if org:
        try:
            org = parse_uuid(org)
        except ValueError as exc:
            raise strict_decode_error(str(exc)) from None
    ident = identity_id or str(uuid.uuid4())
    creds, plaintext = import_credentials(ident, body.get("credentials"), now)
    schema_id = body.get("schema_id") or "default"
    doc: dict[str, Any] = {"id": ident}
    if body.get("external_id"):
        doc["external_id"] = body["external_id"]
    doc["credentials"] = creds
    doc["schema_id"] = schema_id
    doc["state"] = state
    doc["state_changed_at"] = now
    doc["traits"] = body.get("traits")
    doc["verifiable_addresses"] = [
        {**a, "value": str(a.get("value", "")).lower()} for a in body.get("verifiable_addresses") or [] if a
    ]
    doc["recovery_addresses"] = [
        {**a, "value": str(a.get("value", "")).lower()} for a in body.get("recovery_addresses") or [] if a
    ]
    doc["metadata_public"] = body.get("metadata_public")
    doc["metadata_admin"] = body.get("metadata_admin")
    doc["created_at"] = now
    doc["updated_at"] = now
    doc["organization_id"] = org or None
    schema = schema_of(schema_id)
    apply_derived(doc, schema, now)
    return doc, plaintext


def _render_credential(cred: Mapping[str, Any], with_config: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": cred.get("type"), "identifiers": list(cred.get("identifiers") or [])}
    if with_config:
        config = cred.get("config")
        if cred.get("type") == "saml" and isinstance(config, Mapping):
            keep = ("subject", "provider", "organization", "use_auto_link")
            config = {"providers": [{k: p[k] for k in keep if k in p} for p in config.get("providers") or []]}
        out["config"] = config if config is not None else {}
    out["version"] = cred.get("version", 0)
    for key in ("created_at", "updated_at"):
        if key in cred:
            out[key] = cred[key]
    return out


def render_identity(
    doc: Mapping[str, Any],
    schema_url: str,
    *,
    credentials: bool,
    declassify: Collection[str] = (),
) -> dict[str, Any]:
    """The identity's admin JSON in Go field order (wire notes §3); config only for `declassify` types."""
    out: dict[str, Any] = {"id": doc["id"]}
    if doc.get("external_id"):
        out["external_id"] = doc["external_id"]
    creds = doc.get("credentials")
    if credentials and creds:
        out["credentials"] = {k: _render_credential(v, k in declassify) for k, v in creds.items()}
    out["schema_id"] = doc["schema_id"]
    out["schema_url"] = schema_url
    out["state"] = doc.get("state", "active")
    if doc.get("state_changed_at"):
        out["state_changed_at"] = doc["state_changed_at"]
    out["traits"] = doc.get("traits")
    if doc.get("verifiable_addresses"):
        out["verifiable_addresses"] = doc["verifiable_addresses"]
    if doc.get("recovery_addresses"):
        out["recovery_addresses"] = doc["recovery_addresses"]
    out["metadata_public"] = doc.get("metadata_public")
    out["metadata_admin"] = doc.get("metadata_admin")
    out["created_at"] = doc["created_at"]
    out["updated_at"] = doc["updated_at"]
    out["organization_id"] = doc.get("organization_id")
    return out
