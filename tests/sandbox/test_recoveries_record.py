"""`GET /__sandbox/recoveries`: what recovery codes and links the sandbox issued (outside Ory's API)."""

from __future__ import annotations

from drift_support import create_app
from starlette.testclient import TestClient


def _identity(client: TestClient, email: str) -> str:
    created = client.post("/admin/identities", json={"schema_id": "default", "traits": {"email": email}})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_codes_and_links_are_recorded_per_identity() -> None:
    client = TestClient(create_app())
    ann, bob = _identity(client, "ann@example.org"), _identity(client, "bob@example.org")
    code = client.post("/admin/recovery/code", json={"identity_id": ann, "flow_type": "api"}).json()
    link = client.post("/admin/recovery/link", json={"identity_id": bob, "expires_in": "5m"}).json()
    client.post("/admin/recovery/code", json={"identity_id": "00000000-0000-0000-0000-000000000001"})  # 404

    everything = client.get("/__sandbox/recoveries").json()
    assert [r["method"] for r in everything] == ["code", "link"]
    ann_only = client.get("/__sandbox/recoveries", params={"identity_id": ann}).json()
    assert ann_only == [{"method": "code", "identity_id": ann, "flow_type": "api", **code}]
    bob_only = client.get("/__sandbox/recoveries", params={"identity_id": bob}).json()
    assert bob_only == [{"method": "link", "identity_id": bob, **link}]


def test_listing_recoveries_needs_the_api_key_like_issuing_them() -> None:
    client = TestClient(create_app(api_key="k-123"))
    assert client.post("/admin/recovery/code", json={"identity_id": "x"}).status_code == 401
    assert client.get("/__sandbox/recoveries").status_code == 401  # it lists every code issued
    listed = client.get("/__sandbox/recoveries", headers={"Authorization": "Bearer k-123"})
    assert listed.status_code == 200 and listed.json() == []
