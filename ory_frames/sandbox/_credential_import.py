"""Credentials in create and PUT bodies: the Go decode errors they can raise and how Kratos stores them.

Kratos decodes the body into `IdentityWithCredentials` (identity/handler.go) and imports each credential
in identity/handler_import.go; password hashes are checked by `_hashes`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from ._go import go_kind
from ._hashes import check_imported_hash
from ._wire import GoDecodeError, parse_uuid

_PBKDF2_ITERATIONS = 1000


def hash_password(plain: str) -> str:
    """A cheap PBKDF2-SHA256 hash in Kratos' `$pbkdf2-sha256$i=…,l=32$salt$hash` format."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", plain.encode(), salt, _PBKDF2_ITERATIONS, 32)
    salt_b64, digest_b64 = (base64.b64encode(x).decode().rstrip("=") for x in (salt, digest))
    return f"$pbkdf2-sha256$i={_PBKDF2_ITERATIONS},l=32${salt_b64}${digest_b64}"


def strict_decode_error(message: str) -> GoDecodeError:
    """A Go decode failure with Go's text; each route writes it in its own shape (see `GoDecodeError`)."""
    return GoDecodeError(message)


def credential_record(ctype: str, identifiers: list[str], config: Any, version: int, now: str) -> dict[str, Any]:
    """A stored credential: type, identifiers, config, version and both timestamps."""
    return {
        "type": ctype,
        "identifiers": identifiers,
        "config": config,
        "version": version,
        "created_at": now,
        "updated_at": now,
    }


def _provider_entries(raw: Any, *, saml: bool) -> list[dict[str, Any]]:
    """Providers as Kratos stores them (identity/handler_import.go, importOIDCCredentials / importSAMLCredentials)."""
    config = raw.get("config") if isinstance(raw, Mapping) else None
    out = []
    for p in (config.get("providers") if isinstance(config, Mapping) else None) or []:
        if not isinstance(p, Mapping):
            continue
        entry: dict[str, Any] = {"subject": p.get("subject") or "", "provider": p.get("provider") or ""}
        if not saml:
            entry.update(initial_id_token="", initial_access_token="", initial_refresh_token="")
        if p.get("organization") is not None:  # a uuid.NullUUID, kept in canonical form
            entry["organization"] = _decoded_uuid(p["organization"])
        if not saml and p.get("use_auto_link"):
            entry["use_auto_link"] = True
        out.append(entry)
    return out


def _password_config(raw: Any) -> tuple[dict[str, Any], bool]:
    """The stored password config and whether a plaintext was given (ImportPasswordCredentials)."""
    cfg = raw.get("config") if isinstance(raw, Mapping) else None
    cfg = cfg if isinstance(cfg, Mapping) else {}
    plain = str(cfg.get("password") or "")
    if cfg.get("use_password_migration_hook"):  # wins over any password or hash given with it
        return {"hashed_password": "", "use_password_migration_hook": True}, bool(plain)
    hashed = hash_password(plain) if plain else str(cfg.get("hashed_password") or "")
    check_imported_hash(hashed)  # an empty hash is "does not match any known hash format" too
    return {"hashed_password": hashed}, bool(plain)


def import_credentials(identity_id: str, raw: Any, now: str) -> tuple[dict[str, dict[str, Any]], bool]:
    """Credentials from a create/PUT body, and whether a plaintext password was given (wire notes §5)."""
    creds: dict[str, dict[str, Any]] = {}
    plaintext = False
    if not isinstance(raw, Mapping):
        return creds, plaintext
    if isinstance(raw.get("password"), Mapping):
        config, plaintext = _password_config(raw["password"])
        creds["password"] = credential_record("password", [], config, 1, now)
    for kind in ("oidc", "saml"):
        providers = _provider_entries(raw.get(kind), saml=kind == "saml")
        if providers:
            idents = [f"{p['provider']}:{p['subject']}" for p in providers]
            creds[kind] = credential_record(kind, idents, {"providers": providers}, 0, now)
    totp = raw.get("totp")
    if isinstance(totp, Mapping) and (totp.get("config") or {}).get("totp_url"):
        creds["totp"] = credential_record("totp", [identity_id], {"totp_url": totp["config"]["totp_url"]}, 0, now)
    lookup = raw.get("lookup_secret")
    if isinstance(lookup, Mapping) and (lookup.get("config") or {}).get("codes"):
        creds["lookup_secret"] = credential_record(
            "lookup_secret", [identity_id], {"recovery_codes": list(lookup["config"]["codes"])}, 0, now
        )
    for kind in ("webauthn", "passkey"):
        entry = raw.get(kind)
        if isinstance(entry, Mapping) and entry.get("config"):
            creds[kind] = credential_record(kind, [], dict(entry["config"]), 0, now)
    return creds, plaintext


@dataclass(frozen=True)
class _GoStruct:
    name: str
    fields: Mapping[str, _GoType]


@dataclass(frozen=True)
class _GoSlice:
    item: _GoStruct


_GoType = Literal["string", "bool", "uuid", "any"] | _GoStruct | _GoSlice


def _import_body(kind: str, config_fields: Mapping[str, _GoType]) -> _GoStruct:
    """`{"config": {...}}` as `AdminIdentityImportCredentials<kind>` with its `…Config` struct."""
    name = f"AdminIdentityImportCredentials{kind}"
    return _GoStruct(name, {"config": _GoStruct(f"{name}Config", config_fields)})


# The credential import bodies as Kratos decodes them (identity/handler.go: IdentityWithCredentials and the
# AdminIdentityImportCredentials* types). The types this module does not import itself are not walked ("any").
_OIDC_PROVIDER = _GoStruct(
    "AdminCreateIdentityImportCredentialsOIDCProvider",
    {"subject": "string", "provider": "string", "use_auto_link": "bool", "organization": "uuid"},
)
_SAML_PROVIDER = _GoStruct(
    "AdminCreateIdentityImportCredentialsSAMLProvider",
    {"subject": "string", "provider": "string", "organization": "uuid"},
)
_IMPORT_CREDENTIALS = _GoStruct(
    "IdentityWithCredentials",
    {
        "password": _import_body(
            "Password", {"hashed_password": "string", "password": "string", "use_password_migration_hook": "bool"}
        ),
        "oidc": _import_body("OIDC", {"providers": _GoSlice(_OIDC_PROVIDER)}),
        "saml": _import_body("SAML", {"providers": _GoSlice(_SAML_PROVIDER)}),
        "totp": "any",
        "webauthn": "any",
        "passkey": "any",
        "lookup_secret": "any",
    },
)


def _decoded_uuid(value: Any) -> str:
    """gofrs `NullUUID.UnmarshalJSON` of a non-null value: the canonical UUID or its error text."""
    try:
        return parse_uuid(value if isinstance(value, str) else orjson.dumps(value).decode())
    except ValueError as exc:
        raise strict_decode_error(str(exc)) from None


def check_credentials_body(value: Any, root: str, *, strict: bool) -> None:
    """Raise the first Go decode error of a body's `credentials` (unknown fields only when `strict`)."""
    _check_go_value(value, _IMPORT_CREDENTIALS, "credentials", root, strict=strict)


def _check_go_value(value: Any, go: _GoType, path: str, parent: str, *, strict: bool) -> None:
    """Raise the first error Go's decoder reports for `value` at `path` (a field of struct `parent`)."""
    if value is None or go == "any":
        return
    if go == "uuid":
        _decoded_uuid(value)
        return
    if isinstance(go, _GoStruct | _GoSlice):
        go_name = f"identity.{go.name}" if isinstance(go, _GoStruct) else f"[]identity.{go.item.name}"
        ok = isinstance(value, dict) if isinstance(go, _GoStruct) else isinstance(value, list)
    else:
        go_name, ok = go, isinstance(value, str) if go == "string" else isinstance(value, bool)
    if not ok:
        raise strict_decode_error(
            f"json: cannot unmarshal {go_kind(value)} into Go struct field {parent}.{path} of type {go_name}"
        )
    if isinstance(go, _GoSlice):
        for item in value:
            _check_go_value(item, go.item, path, parent, strict=strict)
    elif isinstance(go, _GoStruct):
        for key, sub in value.items():
            if key in go.fields:
                _check_go_value(sub, go.fields[key], f"{path}.{key}", go.name, strict=strict)
            elif strict:
                raise strict_decode_error(f'json: unknown field "{key}"')
