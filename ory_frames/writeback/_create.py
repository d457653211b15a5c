"""The create body of an identity document: the fields, addresses and credentials a batch create imports.

:func:`create_body` is the one place a create body is made, for a new row of a frame (``_build.py``
gathers its cells into an identity document) and for an identity copied as read (``ory_frames.copy``).
A row copied from ``read_identities`` carries columns ory_frames derives (``SUMMARY_COLUMNS``,
``DERIVED_COLUMNS``) and columns Ory sets itself; those are ignored (the plan lists them once). The
addresses and the credential configs read with ``include_credential`` become the fields of the create
body that import them (wire notes §5 and "Imported password hashes"); credential types Ory cannot
import are named per row, so nothing is dropped silently. :func:`login_identifiers` gives the login
identifiers of an identity document, as Kratos stores them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ory_frames.convert import DERIVED_COLUMNS, EXTRA_COLUMN, SUMMARY_COLUMNS

from ._payloads import ValueProblem, short_repr, to_json_value
from ._validate import normalise_identifier

# Columns Ory fills in itself (wire notes §3); a value in a new row (say, copied from a read) is ignored.
ORY_SET_COLUMNS: tuple[str, ...] = ("created_at", "updated_at", "state_changed_at", "schema_url")
# `region` is the source project's (Network only, wire notes §3); `extra_fields` holds what Ory sent that
# ory_frames does not know, which no create body takes, except its undeclared traits (see below).
IGNORED_NEW_ROW_COLUMNS: frozenset[str] = frozenset(
    {*SUMMARY_COLUMNS, *DERIVED_COLUMNS, *ORY_SET_COLUMNS, "region", EXTRA_COLUMN}
)

# The identity fields a create body takes as they are (wire notes §5). A read shows an unset one as null,
# an empty string or (metadata_admin) an empty object, which the body leaves out.
CREATE_FIELDS = ("state", "metadata_public", "metadata_admin", "external_id", "organization_id")
ADDRESS_COLUMNS = ("verifiable_addresses", "recovery_addresses")
# The address fields a create body takes (wire notes §5). Ids and timestamps are the old identity's:
# Ory assigns new ones (and stamps ``verified_at`` for a verified address).
_ADDRESS_FIELDS = {
    "verifiable_addresses": ("value", "verified", "via", "status"),
    "recovery_addresses": ("value", "via"),
}
# Columns ``read_identities(include_credential=...)`` writes, and the provider fields Ory imports
# (wire notes "Imported password hashes": the ``initial_*_token`` fields are refused as unknown).
CREDENTIAL_CONFIG = "credentials.{}.config"
_PROVIDER_FIELDS = {
    "oidc": ("provider", "subject", "organization", "use_auto_link"),
    "saml": ("provider", "subject", "organization"),
}
IMPORTED_CREDENTIALS = ("password", "oidc", "saml")
# Credential types Kratos derives from the traits of the new identity; nothing to import.
_FROM_TRAITS = frozenset({"code", "link_recovery", "code_recovery"})
# Credential types whose identifiers name one login in a project (wire notes §2: credentials_identifier
# matches these); password and code identifiers are stored normalised.
_LOGIN_TYPES = ("password", "code", "oidc", "saml")


def config_kind(column: str) -> str | None:
    """The credential type of a ``credentials.<type>.config`` column, else None."""
    head, _, rest = column.partition(".")
    kind, _, tail = rest.partition(".")
    return kind if head == "credentials" and kind and tail == "config" else None


def addresses(column: str, value: Any) -> list[dict[str, Any]]:
    """The addresses of a ``verifiable_addresses``/``recovery_addresses`` cell as a create body takes them."""
    items = to_json_value(value)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueProblem(f"{short_repr(value)} is not a list of addresses")
    fields = _ADDRESS_FIELDS[column]
    out = []
    for item in items:
        if not isinstance(item.get("value"), str) or not isinstance(item.get("via"), str):
            raise ValueProblem(f"every address needs a 'value' and a 'via' string, not {short_repr(item)}")
        out.append({key: item[key] for key in fields if item.get(key) is not None})
    return out


def _config(value: Any, kind: str) -> dict[str, Any]:
    config = to_json_value(value)
    if not isinstance(config, dict):
        # A password cell may hold a hash: the message never shows it.
        shown = "the value" if kind == "password" else short_repr(value)
        raise ValueProblem(f"{shown} is not a {kind} credential config (an object, as read with include_credential)")
    return config


def password_credential(value: Any) -> dict[str, Any] | None:
    """The ``credentials.password`` of a create body from a read ``credentials.password.config`` cell.

    The stored hash is imported as ``hashed_password``; a migration-hook credential stays one. None
    when the config holds neither (the row is then reported as not importing its password).
    """
    config = _config(value, "password")
    if config.get("use_password_migration_hook") is True:
        return {"config": {"use_password_migration_hook": True}}
    hashed = config.get("hashed_password")
    if isinstance(hashed, str) and hashed:
        return {"config": {"hashed_password": hashed}}
    return None


def provider_credential(kind: str, value: Any) -> dict[str, Any] | None:
    """The ``credentials.oidc``/``saml`` of a create body: each provider with only the fields Ory imports."""
    config = _config(value, kind)
    providers = config.get("providers")
    if not isinstance(providers, list):
        raise ValueProblem(f"{short_repr(value)} has no 'providers' list")
    fields = _PROVIDER_FIELDS[kind]
    out = []
    for provider in providers:
        if not isinstance(provider, dict) or not all(isinstance(provider.get(k), str) for k in ("provider", "subject")):
            raise ValueProblem(f"every provider needs a 'provider' and a 'subject' string, not {short_repr(provider)}")
        # Kratos up to v1.3 shows a provider without organization as `"organization": ""` and refuses that
        # field when importing (a real v1.3.1 did both): an empty organization is no organization.
        entry = {key: provider[key] for key in fields if provider.get(key) not in (None, "")}
        if entry.get("use_auto_link") is False:
            del entry["use_auto_link"]
        out.append(entry)
    return {"config": {"providers": out}} if out else None


def credential_types(value: Any) -> list[str]:
    """The credential types of a ``credential_types`` cell (empty when missing)."""
    try:
        items = to_json_value(value)
    except ValueProblem:
        return []
    return [str(t) for t in items] if isinstance(items, list) else []


def not_imported(types: list[str], configs: Mapping[str, Any], imported: set[str]) -> list[str]:
    """One note per credential of a row that its create body does not carry, saying why."""
    notes = []
    for kind in dict.fromkeys([*types, *configs]):
        if kind in imported or kind in _FROM_TRAITS:
            continue
        if kind in IMPORTED_CREDENTIALS:
            # A config read but holding no hash or provider (Kratos keeps an empty password config for
            # the identifier of a schema) loses nothing; one never read would lose its secret.
            if kind not in configs:
                notes.append(f"{kind}: not read; read with include_credential=[{kind!r}] to import it")
        else:
            notes.append(
                f"{kind}: not imported (only password hashes and OIDC/SAML providers are); the user sets it up again"
            )
    return notes


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.lower()}
    if isinstance(value, dict):
        value = list(value.values())
    return {text for item in value for text in _strings(item)} if isinstance(value, list) else set()


def orphan_addresses(body: Mapping[str, Any]) -> list[str]:
    """A note per address of a create body that is no trait value: Ory keeps only the traits' addresses.

    Kratos rebuilds the addresses from the traits marked for verification or recovery and keeps an
    imported address (with its verification) only when its value is one of them (the sandbox alike).
    """
    values = _strings(body.get("traits"))
    return [
        f"{column}: {address['value']!r} is no trait value, so Ory drops it; change it with the trait it belongs to"
        for column in ADDRESS_COLUMNS
        for address in body.get(column, [])
        if str(address["value"]).lower() not in values
    ]


def note_path(note: str) -> str:
    """The JSON path a not-imported note is about (``/credentials/<type>`` or the address list)."""
    what = note.partition(":")[0]
    return f"/{what}" if what in ADDRESS_COLUMNS else f"/credentials/{what}"


def undeclared_traits(extra: Any) -> dict[str, Any] | None:
    """The traits a read kept in an ``extra_fields`` cell (no column holds them), or None.

    Such traits are sent along with the row's trait columns: a copied row takes them to its new
    identity, and the resulting traits are validated with them, as Kratos validates the stored ones.
    """
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            return None
    found = extra.get("traits") if isinstance(extra, Mapping) else None
    return to_json_value(found) if isinstance(found, Mapping) and found else None


def with_undeclared(traits: dict[str, Any], undeclared: Mapping[str, Any]) -> dict[str, Any]:
    """``traits`` with the undeclared ones added where no column put a value (the columns win)."""
    out = dict(traits)
    for key, value in undeclared.items():
        if key not in out:
            out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, Mapping):
            out[key] = with_undeclared(out[key], value)
    return out


@dataclass
class CreateBody:
    """The create body of an identity document, the notes on what it leaves behind, and its problems.

    ``problems`` holds ``(field, reason)`` pairs, ``field`` an address list or ``credentials.<type>.config``;
    the body leaves such a part out.
    """

    body: dict[str, Any]
    not_imported: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def create_body(identity: Mapping[str, Any]) -> CreateBody:
    """The create item (``PATCH /admin/identities``, wire notes §4) that imports an identity document.

    ``identity`` is shaped as Ory's identity JSON: ``schema_id``, ``traits``, :data:`CREATE_FIELDS`,
    the address lists and ``credentials`` by type, each with its ``config`` as read with
    ``include_credential``. Ids, timestamps and fields Ory sets are not read. The credentials listed
    without a config that carries something to import are named in ``not_imported``, as are addresses
    no trait holds.
    """
    body: dict[str, Any] = {"schema_id": identity.get("schema_id"), "traits": identity.get("traits")}
    for key in CREATE_FIELDS:
        value = identity.get(key)
        if value is not None and value != "" and not (key == "metadata_admin" and value == {}):
            body[key] = value
    problems: list[tuple[str, str]] = []
    for column in ADDRESS_COLUMNS:
        if (value := identity.get(column)) is None:
            continue
        try:
            if found := addresses(column, value):
                body[column] = found
        except ValueProblem as exc:
            problems.append((column, str(exc)))
    creds = identity.get("credentials")
    creds = creds if isinstance(creds, Mapping) else {}
    configs = {
        kind: cred["config"]
        for kind, cred in creds.items()
        if kind in IMPORTED_CREDENTIALS and isinstance(cred, Mapping) and cred.get("config") is not None
    }
    credentials: dict[str, Any] = {}
    for kind, config in configs.items():
        try:
            made = password_credential(config) if kind == "password" else provider_credential(kind, config)
        except ValueProblem as exc:
            problems.append((CREDENTIAL_CONFIG.format(kind), str(exc)))
            continue
        if made is not None:
            credentials[kind] = made
    if credentials:
        body["credentials"] = credentials
    notes = [*not_imported(list(creds), configs, set(credentials)), *orphan_addresses(body)]
    return CreateBody(body, notes, problems)


def login_identifiers(identity: Mapping[str, Any]) -> list[str]:
    """The login identifiers (password, code, OIDC, SAML) of an identity document, as Kratos stores them."""
    creds = identity.get("credentials")
    out: list[str] = []
    if not isinstance(creds, Mapping):
        return out
    for kind in _LOGIN_TYPES:
        cred = creds.get(kind)
        values = cred.get("identifiers") if isinstance(cred, Mapping) else None
        for value in values if isinstance(values, list) else []:
            if isinstance(value, str) and value.strip():
                text = normalise_identifier(value) if kind in ("password", "code") else value
                if text not in out:
                    out.append(text)
    return out
