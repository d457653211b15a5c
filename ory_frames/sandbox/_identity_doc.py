"""Identity documents: building them from request bodies, password hashes, and rendering the wire views."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timezone
from typing import Any, get_args

from .._types import CredentialType
from ._schemas import IdentitySchema
from ._wire import WireError, bad_request, parse_uuid

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
# Kratos recognises these hash formats on import (hash/hash_comparator.go); others are rejected (wire notes §4).
_KNOWN_HASH = re.compile(
    r"^(\$argon2(id|i)\$|\$2[abxy]?\$|\$pbkdf2-sha(1|256|512)\$|\$scrypt\$|\$firescrypt\$|\{SSHA(256|512)?\}|"
    r"\$sha(1|256|512)\$|\$md5\$|\$md5-crypt\$|\$1\$|\$5\$|\$6\$|\$hmac-(md5|sha1|sha256|sha512)\$)"
)
_PBKDF2_ITERATIONS = 1000


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (with `Z` or an offset)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def hash_password(plain: str) -> str:
    """A cheap PBKDF2-SHA256 hash in Kratos' `$pbkdf2-sha256$i=…,l=32$salt$hash` format."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", plain.encode(), salt, _PBKDF2_ITERATIONS, 32)
    salt_b64, digest_b64 = (base64.b64encode(x).decode().rstrip("=") for x in (salt, digest))
    return f"$pbkdf2-sha256$i={_PBKDF2_ITERATIONS},l=32${salt_b64}${digest_b64}"


def check_hash(hashed: str) -> None:
    """Reject a hash format Kratos cannot import (wire notes §4)."""
    if not _KNOWN_HASH.match(hashed):
        raise bad_request("The imported password does not match any known hash format.")


def strict_decode_error(message: str) -> WireError:
    """A Go decode failure: HTTP 400 whose body says code 500 (herodot's default for non-herodot errors)."""
    return WireError(400, code=500, message=message)


def _credential(ctype: str, identifiers: list[str], config: Any, version: int, now: str) -> dict[str, Any]:
    return {
        "type": ctype,
        "identifiers": identifiers,
        "config": config,
        "version": version,
        "created_at": now,
        "updated_at": now,
    }


def _provider_entries(raw: Any, *, saml: bool) -> list[dict[str, Any]]:
    providers = (raw or {}).get("config", {}).get("providers") or [] if isinstance(raw, Mapping) else []
    out = []
    for p in providers:
        entry: dict[str, Any] = {"subject": str(p.get("subject", "")), "provider": str(p.get("provider", ""))}
        if not saml:
            entry.update(initial_id_token="", initial_access_token="", initial_refresh_token="")
        if p.get("organization"):
            entry["organization"] = p["organization"]
        if p.get("use_auto_link"):
            entry["use_auto_link"] = True
        out.append(entry)
    return out


def import_credentials(identity_id: str, raw: Any, now: str) -> tuple[dict[str, dict[str, Any]], bool]:
    """Credentials from a create/PUT body, and whether a plaintext password was given (wire notes §5)."""
    creds: dict[str, dict[str, Any]] = {}
    plaintext = False
    if not isinstance(raw, Mapping):
        return creds, plaintext
    pw = raw.get("password")
    if isinstance(pw, Mapping):
        cfg = pw.get("config") or {}
        config: dict[str, Any] = {}
        if cfg.get("hashed_password"):
            check_hash(str(cfg["hashed_password"]))
            config["hashed_password"] = str(cfg["hashed_password"])
        elif cfg.get("password"):
            plaintext = True
            config["hashed_password"] = hash_password(str(cfg["password"]))
        if cfg.get("use_password_migration_hook"):
            config["use_password_migration_hook"] = True
        creds["password"] = _credential("password", [], config, 1, now)
    for kind in ("oidc", "saml"):
        providers = _provider_entries(raw.get(kind), saml=kind == "saml")
        if providers:
            idents = [f"{p['provider']}:{p['subject']}" for p in providers]
            creds[kind] = _credential(kind, idents, {"providers": providers}, 0, now)
    totp = raw.get("totp")
    if isinstance(totp, Mapping) and (totp.get("config") or {}).get("totp_url"):
        creds["totp"] = _credential("totp", [identity_id], {"totp_url": totp["config"]["totp_url"]}, 0, now)
    lookup = raw.get("lookup_secret")
    if isinstance(lookup, Mapping) and (lookup.get("config") or {}).get("codes"):
        creds["lookup_secret"] = _credential(
            "lookup_secret", [identity_id], {"recovery_codes": list(lookup["config"]["codes"])}, 0, now
        )
    for kind in ("webauthn", "passkey"):
        entry = raw.get(kind)
        if isinstance(entry, Mapping) and entry.get("config"):
            creds[kind] = _credential(kind, [], dict(entry["config"]), 0, now)
    return creds, plaintext


def apply_derived(doc: dict[str, Any], schema: IdentitySchema, now: str) -> None:
    """Set identifiers and addresses from the traits, keeping the state of addresses already known."""
    derived = schema.derive(doc.get("traits"))
    creds: dict[str, dict[str, Any]] = doc.setdefault("credentials", {})
    if derived.password:
        creds.setdefault("password", _credential("password", [], {}, 0, now))["identifiers"] = derived.password
    elif "password" in creds and not creds["password"].get("config"):
        del creds["password"]
    if derived.webauthn and "webauthn" in creds:
        creds["webauthn"]["identifiers"] = derived.webauthn
    if derived.code:
        code = creds.setdefault("code", _credential("code", [], {}, 0, now))
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
    kind = "number" if isinstance(value, int | float) and not isinstance(value, bool) else _js(value)
    raise strict_decode_error(f"json: cannot unmarshal {kind} into Go struct field {go_type}.{key} of type string")


def _js(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def identity_from_body(body: Any, *, strict: bool, go_type: str = "CreateIdentityBody") -> dict[str, Any]:
    """Decode a create body into its parts, raising the Go decode errors (wire notes §5)."""
    if not isinstance(body, dict):
        raise strict_decode_error(f"json: cannot unmarshal {_js(body)} into Go value of type identity.{go_type}")
    if strict:
        for key in body:
            if key not in CREATE_FIELDS:
                raise strict_decode_error(f'json: unknown field "{key}"')
    for key in ("schema_id", "state", "external_id", "organization_id", "region"):
        _string_field(body, key, go_type)
    return body


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
        {**a, "value": str(a.get("value", "")).lower()} for a in body.get("verifiable_addresses") or []
    ]
    doc["recovery_addresses"] = [
        {**a, "value": str(a.get("value", "")).lower()} for a in body.get("recovery_addresses") or []
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
