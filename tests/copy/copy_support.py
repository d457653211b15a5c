"""What "the same users" means for the copy tests: identities compared field by field under a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ory_frames import Client, iter_identities

SOURCE_SIZE = 240


def identities(client: Client) -> list[dict[str, Any]]:
    """Every identity of a project with its password and OIDC configs."""
    return [i for page in iter_identities(client, include_credential=["password", "oidc"]) for i in page.items]


def comparable(identity: Mapping[str, Any], schema_map: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a copy must keep of an identity: everything but ids, times and the secrets Ory cannot import."""
    creds = identity.get("credentials") or {}
    password = (creds.get("password") or {}).get("config") or {}
    providers = ((creds.get("oidc") or {}).get("config") or {}).get("providers") or []
    schema = str(identity.get("schema_id"))
    return {
        "schema_id": (schema_map or {}).get(schema, schema),
        "traits": identity.get("traits"),
        "state": identity.get("state"),
        "metadata_public": identity.get("metadata_public"),
        "metadata_admin": identity.get("metadata_admin") or None,
        "external_id": identity.get("external_id"),
        "organization_id": identity.get("organization_id"),
        "verifiable": sorted(
            (a["value"], a["via"], a["verified"], a["status"]) for a in identity.get("verifiable_addresses") or []
        ),
        "recovery": sorted((a["value"], a["via"]) for a in identity.get("recovery_addresses") or []),
        "hash": password.get("hashed_password") or None,
        "oidc": sorted((p["provider"], p["subject"]) for p in providers),
    }


def differences(
    source: Client, target: Client, mapping: Mapping[str, str], schema_map: Mapping[str, str] | None = None
) -> list[str]:
    """Every way the target differs from the source under a source id -> target id mapping (empty: equal)."""
    src = {i["id"]: i for i in identities(source)}
    dst = {i["id"]: i for i in identities(target)}
    problems = []
    if sorted(mapping) != sorted(src):
        problems.append(f"mapping covers {len(mapping)} of {len(src)} source identities")
    if len(set(mapping.values())) != len(mapping):
        problems.append("two source identities map to one target identity")
    if len(dst) != len(src):
        problems.append(f"target has {len(dst)} identities, source {len(src)}")
    for source_id, target_id in mapping.items():
        if target_id not in dst:
            problems.append(f"{source_id} -> {target_id}: not in the target")
            continue
        want, got = comparable(src[source_id], schema_map), comparable(dst[target_id])
        for key in want:
            if want[key] != got[key]:
                problems.append(f"{source_id}: {key} differs")
    return problems
