"""Hand-written identity and session JSON (wire notes §§3 and 8) and a seeded sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import drift_support
import pytest

from ory_frames import Client

SECRET_HASH = "$argon2id$v=19$m=131072,t=2,p=1$lQFPaKxXqPL56/mU7vRi4w$6aldHyBnURt8sP8+xu41Ng"
SECRET_TOKEN = "ya29.secret-access-token"
SECRET_TOTP = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP"
SECRETS = (SECRET_HASH, SECRET_TOKEN, SECRET_TOTP, "lookup-code-123")

EMAIL_NAME_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "name": {
                    "type": "object",
                    "properties": {"first": {"type": "string"}, "last": {"type": "string"}},
                },
            },
        }
    },
}


def uid(n: int) -> str:
    """A deterministic UUID."""
    return str(uuid.UUID(int=n + 1))


def build_identity(n: int, *, schema_id: str = "default", with_secrets: bool = False, **extra: Any) -> dict[str, Any]:
    """An identity as GET /admin/identities/{id}?include_credential=... sends it (wire notes §3)."""
    email = f"user{n}@example.com"
    doc: dict[str, Any] = {
        "id": uid(n),
        "schema_id": schema_id,
        "schema_url": "https://example.com/schemas/ZGVmYXVsdA",
        "state": "active",
        "traits": {"email": email, "name": {"first": f"First{n}", "last": f"Last{n}"}},
        "verifiable_addresses": [
            {
                "id": uid(10_000 + n),
                "value": email,
                "verified": n % 2 == 0,
                "via": "email",
                "status": "completed" if n % 2 == 0 else "sent",
                "created_at": "2013-10-07T08:23:19Z",
                "updated_at": "2013-10-07T08:23:19Z",
            }
        ],
        "recovery_addresses": [
            {
                "id": uid(20_000 + n),
                "value": email,
                "via": "email",
                "created_at": "2013-10-07T08:23:19Z",
                "updated_at": "2013-10-07T08:23:19Z",
            }
        ],
        "metadata_public": {"plan": "pro", "n": n},
        "metadata_admin": None,
        "created_at": "2013-10-07T08:23:19Z",
        "updated_at": "2013-10-07T08:23:19.123456789+02:00",
        "organization_id": None,
    }
    if with_secrets:
        doc["credentials"] = {
            "password": {
                "type": "password",
                "identifiers": [email],
                "config": {"hashed_password": SECRET_HASH},
                "version": 1,
            },
            "oidc": {
                "type": "oidc",
                "identifiers": [f"google:{n}"],
                "config": {
                    "providers": [{"subject": str(n), "provider": "google", "initial_access_token": SECRET_TOKEN}]
                },
                "version": 0,
            },
            "totp": {"type": "totp", "identifiers": [uid(n)], "config": {"totp_url": SECRET_TOTP}, "version": 1},
            "lookup_secret": {
                "type": "lookup_secret",
                "identifiers": [uid(n)],
                "config": {"recovery_codes": [{"code": "lookup-code-123"}]},
                "version": 0,
            },
        }
    doc.update(extra)
    return doc


def build_session(n: int, *, identity: dict[str, Any] | None = None, devices: bool = True) -> dict[str, Any]:
    """A session as GET /admin/sessions?expand=identity&expand=devices sends it (wire notes §8)."""
    return {
        "id": uid(50_000 + n),
        "active": n % 3 != 0,
        "expires_at": "2030-10-07T08:23:19Z",
        "authenticated_at": "2013-10-07T08:23:19.5+01:00",
        "authenticator_assurance_level": "aal2" if n % 2 else "aal1",
        "authentication_methods": [
            {"method": "password", "aal": "aal1", "completed_at": "0001-01-01T00:00:00Z"},
            {"method": "totp", "aal": "aal2", "completed_at": "2013-10-07T08:23:19Z", "upstream_amr": ["x"]},
        ],
        "issued_at": "2013-10-07T08:23:19Z",
        "identity": identity,
        "devices": [
            {"id": uid(60_000 + n), "ip_address": "54.155.246.232", "user_agent": "Mozilla/5.0", "location": "Munich"},
            {"id": uid(70_000 + n), "ip_address": f"10.0.0.{n % 250}", "user_agent": None, "location": None},
        ]
        if devices
        else None,
    }


@pytest.fixture(scope="module")
def sandbox_url(server_mode: str) -> Iterator[str]:
    """The base URL of a sandbox seeded with 120 identities (one per server mode: tests/conftest.py)."""
    with drift_support.running(seed_identities=120) as url:
        yield url


@pytest.fixture
def client(sandbox_url: str) -> Iterator[Client]:
    """A Client bound to the seeded sandbox, closed after the test."""
    with Client(sandbox_url) as bound:
        yield bound


class Factory:
    """The builders and constants above, handed to tests as one fixture."""

    identity = staticmethod(build_identity)
    session = staticmethod(build_session)
    uid = staticmethod(uid)
    secrets = SECRETS
    email_name_schema = EMAIL_NAME_SCHEMA


@pytest.fixture
def make() -> type[Factory]:
    """Builders of identity/session JSON and the test constants."""
    return Factory
