"""Helpers shared by the sandbox tests: stored-doc builders and response checkers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

# Ory's OpenAPI spec, copied under tests/data (tests/data/PROVENANCE.md says from where).
KRATOS_SPEC = Path(__file__).resolve().parents[1] / "data" / "openapi" / "kratos-openapi.json"


def make_identity(
    email: str | None = None,
    *,
    schema_id: str = "default",
    traits: dict[str, Any] | None = None,
    created_at: str = "2024-01-02T03:04:05Z",
    identity_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A full stored identity doc in the seeder's format (docs/architecture.md)."""
    ident = identity_id or str(uuid.uuid4())
    email = email or f"{ident[:8]}@example.com"
    doc: dict[str, Any] = {
        "id": ident,
        "credentials": {
            "password": {
                "type": "password",
                "identifiers": [email.lower()],
                "config": {"hashed_password": "$2a$10$abcdefghijklmnopqrstuu0123456789012345678901234567890"},
                "version": 1,
                "created_at": created_at,
                "updated_at": created_at,
            }
        },
        "schema_id": schema_id,
        "state": "active",
        "traits": traits if traits is not None else {"email": email},
        "verifiable_addresses": [
            {
                "id": str(uuid.uuid4()),
                "value": email.lower(),
                "verified": False,
                "via": "email",
                "status": "pending",
                "created_at": created_at,
                "updated_at": created_at,
            }
        ],
        "recovery_addresses": [
            {
                "id": str(uuid.uuid4()),
                "value": email.lower(),
                "via": "email",
                "created_at": created_at,
                "updated_at": created_at,
            }
        ],
        "metadata_public": None,
        "metadata_admin": None,
        "created_at": created_at,
        "updated_at": created_at,
        "organization_id": None,
    }
    doc.update(extra)
    return doc


def make_session(
    identity_id: str,
    *,
    created_at: str,
    expires_at: str = "2999-01-01T00:00:00Z",
    active: bool = True,
    session_id: str | None = None,
) -> dict[str, Any]:
    """A stored session doc in the seeder's format."""
    return {
        "id": session_id or str(uuid.uuid4()),
        "identity_id": identity_id,
        "active": active,
        "expires_at": expires_at,
        "authenticated_at": created_at,
        "issued_at": created_at,
        "authenticator_assurance_level": "aal1",
        "authentication_methods": [{"method": "password", "aal": "aal1", "completed_at": created_at}],
        "devices": [{"id": str(uuid.uuid4()), "ip_address": "203.0.113.7", "user_agent": "pytest", "location": None}],
        "created_at": created_at,
        "updated_at": created_at,
    }


def assert_error(resp: Any, status: int, *, reason: str | None = None, message: str | None = None) -> dict[str, Any]:
    """Check Ory's error envelope (wire notes §13) and return the inner error."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert "ory-error-id" in resp.headers
    err: dict[str, Any] = resp.json()["error"]
    assert "message" in err
    if reason is not None:
        assert err.get("reason") == reason, err
    if message is not None:
        assert err["message"] == message, err
    return err


def assert_success(resp: Any, status: int = 200) -> Any:
    """Check a success status and Content-Type; return the JSON body."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    return resp.json()


_SPEC: dict[str, Any] | None = None


def spec_validate(instance: Any, schema_name: str) -> None:
    """Validate against a component of Kratos' OpenAPI spec (``tests/data/openapi/kratos-openapi.json``)."""
    global _SPEC
    if _SPEC is None:
        _SPEC = json.loads(KRATOS_SPEC.read_text())
    import jsonschema

    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _SPEC["components"]}
    jsonschema.Draft4Validator(schema).validate(_nullable(instance))


def _nullable(value: Any) -> Any:
    # OpenAPI 3.0 marks nullable fields with `nullable: true`, which JSON Schema ignores; drop nulls so that
    # the remaining structure is still checked.
    if isinstance(value, dict):
        return {k: _nullable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_nullable(v) for v in value]
    return value


def link_parts(header: str) -> dict[str, str]:
    """rel -> URL of a Link header."""
    out = {}
    for part in header.split(","):
        url, rel = part.split(">; rel=")
        out[rel.strip('"')] = url.lstrip("<")
    return out
