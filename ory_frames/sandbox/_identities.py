"""Identity writes: create, batch create, update, patch, delete and credential deletion (wire notes §4-§7)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import _wire as w
from ._context import Context, ctx
from ._go import go_kind
from ._identity_doc import (
    CREDENTIAL_TYPES,
    STATES,
    apply_derived,
    build_new_identity,
    identity_from_body,
    import_credentials,
    render_identity,
    strict_decode_error,
)
from ._identity_reads import path_identity_id
from ._patch import apply_patch, check_ops, decode_patch
from ._store import UniqueViolation

_IDENTITY_KEYS = (
    "id",
    "external_id",
    "credentials",
    "schema_id",
    "state",
    "state_changed_at",
    "traits",
    "verifiable_addresses",
    "recovery_addresses",
    "metadata_public",
    "metadata_admin",
    "created_at",
    "updated_at",
    "organization_id",
)


# identity/handler.go (update) decodes with oryx/decoderx's HTTPJSONDecoder(): JSON only (wire notes §6).
_PUT_CONTENT_TYPES = ("application/json",)


def _written(c: Context, doc: dict[str, Any], *, created: bool = False, null_admin: bool = False) -> dict[str, Any]:
    """The identity as create, PUT and PATCH answer it: the identity just written, not read back.

    Its `metadata_admin` is omitted when empty (identity/identity.go, `omitempty`); only a value read
    from the database is `null`, so a PATCH, which patches the identity as read, keeps it (`null_admin`).
    A create answer shows the password credential at version 0: Kratos upgrades it to version 1 when the
    identity is next read or updated (identity/credentials_migrate.go, `UpgradePasswordCredentials`),
    which the stored credential here already is.
    """
    out = render_identity(doc, c.store.schema_url(doc["schema_id"]), credentials=True)
    if out.get("metadata_admin") is None and not null_admin:
        del out["metadata_admin"]
    if created and "password" in out.get("credentials", {}):
        out["credentials"]["password"]["version"] = 0
    return out


async def create_identity(request: Request) -> Response:
    """POST /admin/identities: strict decode, validate, insert; 201 + Location (wire notes §5)."""
    c = ctx(request)
    try:
        body = identity_from_body(w.go_decode_body(await request.body()), strict=True)
    except w.GoDecodeError as exc:
        # identity/handler.go (create) wraps the decoder's error: herodot.ErrBadRequest().WithError(err.Error()),
        # so the envelope says code 400 with Go's text as message (wire notes §5); the batch does not (§4).
        raise w.bad_request(message=exc.text) from None
    doc, _ = build_new_identity(body, lambda sid: c.schemas.validate(sid, body.get("traits")), c.now_rfc3339())
    try:
        c.store.add_identity(doc)
    except UniqueViolation:
        raise w.conflict_identity() from None
    location = f"{str(request.base_url).rstrip('/')}/identities/{doc['id']}"
    return w.json_response(_written(c, doc, created=True), 201, headers={"location": location})


def _batch_items(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        raise strict_decode_error(
            "json: cannot unmarshal value into Go value of type identity.BatchPatchIdentitiesBody"
        )
    for key in payload:
        if key != "identities":
            raise strict_decode_error(f'json: unknown field "{key}"')
    items = payload.get("identities")
    if items is None:
        return []
    field = "into Go struct field BatchPatchIdentitiesBody.identities of type"
    if not isinstance(items, list):  # {}, "", 0 and false are decode errors, not an empty batch
        raise strict_decode_error(f"json: cannot unmarshal {go_kind(items)} {field} []*identity.BatchIdentityPatch")
    for item in items:
        if item is None:  # Kratos decodes a nil item and then dereferences it (a panic); the sandbox refuses it
            raise w.bad_request("An item of `identities` is null.")
        if not isinstance(item, dict):
            raise strict_decode_error(f"json: cannot unmarshal {go_kind(item)} {field} identity.BatchIdentityPatch")
        for key in item:
            if key not in ("patch_id", "create"):
                raise strict_decode_error(f'json: unknown field "{key}"')
        if item.get("patch_id") is not None:
            try:
                item["patch_id"] = w.parse_uuid(str(item["patch_id"]))
            except ValueError as exc:
                raise strict_decode_error(str(exc)) from None
        if item.get("create") is not None:
            identity_from_body(item["create"], strict=True)
    return items


async def batch_patch_identities(request: Request) -> Response:
    """PATCH /admin/identities: batch create with per-item results, always 200 in OSS (wire notes §4)."""
    c = ctx(request)
    items = _batch_items(w.go_decode_body(await request.body()))
    if len(items) > w.BATCH_MAX_ITEMS:
        raise w.bad_request(
            "The maximum number of identities per request that can be created or deleted at once is 1000."
        )
    now = c.now_rfc3339()
    docs: list[dict[str, Any] | None] = []
    errors: list[dict[str, Any] | None] = []
    plaintext = 0
    for item in items:
        body = item.get("create")
        if body is None:
            docs.append(None)
            errors.append(None)
            continue
        try:
            doc, plain = build_new_identity(body, lambda sid, b=body: c.schemas.validate(sid, b.get("traits")), now)
        except w.WireError as exc:
            if exc.reason in ("identity state is not valid",) or (exc.reason or "").startswith("The imported password"):
                raise  # conversion errors fail the whole batch (wire notes §4)
            docs.append(None)
            errors.append(exc.body())
            continue
        plaintext += plain
        docs.append(doc)
        errors.append(None)
    if plaintext > w.BATCH_MAX_PLAINTEXT:
        raise w.bad_request(
            "The maximum number of identities per request that can be created with a plaintext password is 200."
        )
    inserted = c.store.add_identities_each(docs)
    results: list[dict[str, Any] | None] = []
    for item, made, err, ok in zip(items, docs, errors, inserted, strict=True):
        if item.get("create") is None:
            results.append(None)
            continue
        entry: dict[str, Any] = {"action": "create" if ok else "error"}
        if ok and made is not None:
            entry["identity"] = made["id"]
        if item.get("patch_id"):
            entry["patch_id"] = item["patch_id"]
        if not ok:
            entry["error"] = err if err is not None else w.conflict_unique().body()
        results.append(entry)
    return w.json_response({"identities": results})


def _save_updated(c: Context, doc: dict[str, Any], *, null_admin: bool = False) -> Response:
    for key in ("schema_id", "external_id"):  # Go string fields: any other JSON type fails to decode (400)
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            kind = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else type(value).__name__
            raise w.bad_request(f"json: cannot unmarshal {kind} into Go struct field Identity.{key} of type string")
    schema = c.schemas.validate(doc["schema_id"], doc.get("traits"))
    now = c.now_rfc3339()
    doc["updated_at"] = now
    apply_derived(doc, schema, now)
    try:
        c.store.replace_identity(doc)
    except UniqueViolation:
        raise w.conflict_unique() from None
    return w.json_response(_written(c, doc, null_admin=null_admin))


def _merge_credentials(old: dict[str, Any], new: dict[str, Any]) -> None:
    """PUT credential merge: password/totp replace, oidc/saml/lookup append, webauthn/passkey by id (wire notes §6)."""
    for kind, cred in new.items():
        if kind not in old or kind in ("password", "totp"):
            old[kind] = cred
            continue
        cfg, add = old[kind].setdefault("config", {}), cred.get("config") or {}
        if kind in ("oidc", "saml"):
            cfg.setdefault("providers", []).extend(add.get("providers", []))
            old[kind]["identifiers"] = [*old[kind].get("identifiers", []), *cred.get("identifiers", [])]
        elif kind == "lookup_secret":
            cfg.setdefault("recovery_codes", []).extend(add.get("recovery_codes", []))
        else:
            known = {str(x.get("id")): x for x in cfg.get("credentials") or []}
            known.update({str(x.get("id")): x for x in add.get("credentials") or []})
            cfg["credentials"] = list(known.values())
            if add.get("user_handle"):
                cfg["user_handle"] = add["user_handle"]


async def update_identity(request: Request) -> Response:
    """PUT /admin/identities/{id}: lenient decode, replace traits/metadata (wire notes §6)."""
    c = ctx(request)
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw:
        raise w.bad_request('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.')
    if ctype not in _PUT_CONTENT_TYPES:
        given = request.headers.get("content-type", "")
        raise w.bad_request(
            f'HTTP PUT Request used unknown HTTP Header "Content-Type: {given}", only [{" ".join(_PUT_CONTENT_TYPES)}]'
            " are supported."
        )
    try:
        body = identity_from_body(w.go_decode_body(raw), strict=False, go_type="UpdateIdentityBody")
    except w.GoDecodeError as exc:
        # oryx/decoderx/http.go (decodeJSON): herodot.ErrBadRequest().WithReasonf("Unable to decode JSON payload: %s")
        raise w.bad_request(f"Unable to decode JSON payload: {exc.text}") from None
    doc = c.store.identity_doc(path_identity_id(request))
    if doc is None:
        raise w.not_found()
    if body.get("schema_id"):
        doc["schema_id"] = body["schema_id"]
    state = body.get("state")
    if state:
        if state not in STATES:
            raise w.bad_request("identity state is not valid")
        if state != doc.get("state"):
            doc["state"] = state
            doc["state_changed_at"] = c.now_rfc3339()
    for key in ("traits", "metadata_public", "metadata_admin", "external_id"):
        doc[key] = body.get(key)
    if "credentials" in body and body["credentials"] is not None:
        new, _ = import_credentials(doc["id"], body["credentials"], c.now_rfc3339())
        _merge_credentials(doc.setdefault("credentials", {}), new)
    return _save_updated(c, doc)


async def patch_identity(request: Request) -> Response:
    """PATCH /admin/identities/{id}: JSON Patch over the full admin JSON (wire notes §6)."""
    c = ctx(request)
    doc = c.store.identity_doc(path_identity_id(request))
    if doc is None:  # identity/handler.go (patch) looks the identity up before it reads the patch
        raise w.not_found()
    ops = decode_patch(await request.body())
    check_ops(ops)
    full = render_identity(doc, c.store.schema_url(doc["schema_id"]), credentials=True, declassify=CREDENTIAL_TYPES)
    patched = apply_patch(full, ops)
    if not isinstance(patched, dict):
        raise w.bad_request("failed to apply JSON patch", message="json: cannot unmarshal into identity.Identity")
    if w.json_depth(patched) > w.MAX_JSON_DEPTH:  # each patch may nest deeper; the sandbox stops at its limit
        raise w.bad_request("failed to apply JSON patch", message=w.EXCEEDED_MAX_DEPTH)
    for kind, cred in (patched.get("credentials") or {}).items():
        if not isinstance(cred, dict) or cred.get("type") != kind:
            got = cred.get("type", "") if isinstance(cred, dict) else ""
            raise w.bad_request(f'credentials.{kind}.type must equal "{kind}", got "{got}"')
    new_doc = {k: patched[k] for k in _IDENTITY_KEYS if k in patched}
    new_doc["id"] = doc["id"]
    if new_doc.get("state") != doc.get("state"):
        if new_doc.get("state") not in STATES:
            raise w.bad_request(
                f"The supplied state ('{new_doc.get('state')}') was not valid. "
                "Valid states are ('active', 'inactive').",
                message="identity state is not valid",  # identity/handler.go (patch): WithErrorf("%v", err)
            )
        new_doc["state_changed_at"] = c.now_rfc3339()
    for key in ("verifiable_addresses", "recovery_addresses"):
        for addr in new_doc.get(key) or []:
            if key == "verifiable_addresses" and addr.get("verified") and not addr.get("verified_at"):
                addr["verified_at"] = c.now_rfc3339()
    new_doc.setdefault("created_at", doc["created_at"])
    new_doc.setdefault("schema_id", doc["schema_id"])
    return _save_updated(c, new_doc, null_admin="metadata_admin" in new_doc)


async def delete_identity(request: Request) -> Response:
    """DELETE /admin/identities/{id}: 204, or 404 for unknown and non-UUID ids (wire notes §7)."""
    if not ctx(request).store.delete_identity(path_identity_id(request)):
        raise w.not_found()
    return Response(status_code=204)


_FIRST_FACTORS = ("password", "oidc", "saml", "webauthn", "passkey")


def _first_factor_count(creds: dict[str, Any]) -> int:
    count = 0
    for kind, cred in creds.items():
        cfg = cred.get("config") or {}
        if kind == "password" and (cfg.get("hashed_password") or cfg.get("use_password_migration_hook")):
            count += 1
        elif kind in ("oidc", "saml"):
            count += len(cfg.get("providers") or [])
        elif kind == "webauthn":
            count += sum(1 for x in cfg.get("credentials") or [] if x.get("is_passwordless"))
        elif kind == "passkey":
            count += len(cfg.get("credentials") or [])
    return count


async def delete_identity_credentials(request: Request) -> Response:
    """DELETE /admin/identities/{id}/credentials/{type} (wire notes §7)."""
    c = ctx(request)
    kind = request.path_params["type"]
    identifier = request.query_params.get("identifier", "")
    if kind == "deviceauthn" and not identifier:  # identity/handler.go (deleteDeviceAuthnKey) asks before reading
        raise w.bad_request("You must provide an identifier to delete this credential.")
    doc = c.store.identity_doc(path_identity_id(request))
    if doc is None:
        raise w.not_found()
    creds: dict[str, Any] = doc.get("credentials") or {}
    if kind not in creds:
        raise w.WireError(404, reason=f"You tried to remove a {kind} but this user have no {kind} set up.")
    if kind in ("totp", "lookup_secret"):
        del creds[kind]
    elif kind == "webauthn":
        cfg = creds[kind].setdefault("config", {})
        cfg["credentials"] = [x for x in cfg.get("credentials") or [] if x.get("is_passwordless")]
    elif kind in ("password", "oidc", "saml"):
        if _first_factor_count(creds) < 2:
            raise w.bad_request("You cannot remove the last first factor credential.")
        if kind == "password":
            creds[kind]["config"] = {}
        else:
            if not identifier:
                raise w.bad_request("You must provide an identifier to delete this credential.")
            cfg = creds[kind].get("config") or {}
            keep = [p for p in cfg.get("providers") or [] if f"{p.get('provider')}:{p.get('subject')}" != identifier]
            if len(keep) == len(cfg.get("providers") or []):
                label = "OIDC" if kind == "oidc" else "SAML"
                raise w.WireError(404, reason=f"The identifier `{identifier}` was not found among {label} credentials.")
            cfg["providers"] = keep
            # The last provider gone, the credential stays with no identifiers (identity/identity.go
            # `deleteCredentialOIDCFromIdentity`; a real Kratos v1.3.1 shows it so).
            creds[kind]["identifiers"] = [i for i in creds[kind].get("identifiers", []) if i != identifier]
    elif kind == "deviceauthn":  # config.credentials[].client_key_id (selfservice/strategy/deviceauthn/key.go)
        cfg = creds[kind].setdefault("config", {})
        keys = cfg.get("credentials") or []
        keep = [k for k in keys if k.get("client_key_id") != identifier]
        if len(keep) == len(keys):
            raise w.WireError(404, reason=f"The identifier `{identifier}` was not found among deviceauthn credentials.")
        cfg["credentials"] = keep
        creds[kind]["identifiers"] = [k.get("client_key_id") for k in keep]
    else:
        raise w.bad_request(f"Credentials type {kind} cannot be deleted.")
    doc["credentials"] = creds
    doc["updated_at"] = c.now_rfc3339()
    c.store.replace_identity(doc)
    return Response(status_code=204)
