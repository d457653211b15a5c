"""Batch create, recovery, test login flows and schemas (wire notes §4, §9, §10, §11)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import ory_client
import pytest
from sandbox_helpers import assert_error, assert_success, make_identity, spec_validate

# Compares answers with Ory's exact wire shapes (and ory-client's strict models): drift changes them.
pytestmark = pytest.mark.conformance


def _item(email: str, **extra: Any) -> dict[str, Any]:
    return {"create": {"schema_id": "default", "traits": {"email": email}, **extra}}


def test_batch_per_item_results(client: Any) -> None:
    pid = str(uuid.uuid4())
    body = {
        "identities": [
            {**_item("one@example.com"), "patch_id": pid},
            _item("bad-email"),
            {"create": None},
            _item("ONE@example.com"),
            {"create": {"schema_id": "nope", "traits": {}}},
        ]
    }
    out = assert_success(client.patch("/admin/identities", json=body))
    items = out["identities"]
    assert items[0]["action"] == "create" and items[0]["patch_id"] == pid and "error" not in items[0]
    assert items[1]["action"] == "error" and items[1]["error"]["code"] == 400
    assert items[1]["error"]["reason"].startswith("I[#/traits/email]")
    assert items[2] is None
    assert items[3]["error"] == {
        "code": 409,
        "status": "Conflict",
        "message": "Unable to insert or update resource because a resource with that value exists already",
    }
    assert items[4]["error"]["reason"] == "Unable to find JSON Schema ID: nope"
    # ory-client cannot parse the null entry a `create: null` item yields (wire notes §4); check the rest
    ory_client.BatchPatchIdentitiesResponse.from_dict({"identities": [i for i in items if i is not None]})
    spec_validate({"identities": [i for i in items if i is not None]}, "batchPatchIdentitiesResponse")
    assert client.get(f"/admin/identities/{items[0]['identity']}").status_code == 200


def test_batch_all_failed_is_still_200(client: Any) -> None:
    out = assert_success(client.patch("/admin/identities", json={"identities": [_item("x")]}))
    assert out["identities"][0]["action"] == "error"


def test_batch_whole_request_failures(client: Any) -> None:
    too_many = {"identities": [_item(f"u{i}@example.com") for i in range(1001)]}
    assert_error(
        client.patch("/admin/identities", json=too_many),
        400,
        reason="The maximum number of identities per request that can be created or deleted at once is 1000.",
    )
    pw = {"password": {"config": {"password": "pw-123456"}}}
    plain = {"identities": [_item(f"p{i}@example.com", credentials=pw) for i in range(201)]}
    assert_error(
        client.patch("/admin/identities", json=plain),
        400,
        reason="The maximum number of identities per request that can be created with a plaintext password is 200.",
    )
    err = assert_error(client.patch("/admin/identities", json={"identities": [], "x": 1}), 400)
    assert err == {"code": 500, "status": "Internal Server Error", "message": 'json: unknown field "x"'}
    bad_hash = {"password": {"config": {"hashed_password": "md4:abc"}}}
    assert_error(
        client.patch("/admin/identities", json={"identities": [_item("h@example.com", credentials=bad_hash)]}),
        400,
        reason="The imported password does not match any known hash format.",
    )
    assert_error(
        client.patch("/admin/identities", json={"identities": [_item("s@example.com", state="x")]}),
        400,
        reason="identity state is not valid",
    )


@pytest.fixture
def person(app: Any) -> dict[str, Any]:
    doc = make_identity("rec@example.com")
    app.state.store.insert_identities([doc])
    return doc


def test_recovery_code(client: Any, person: dict[str, Any]) -> None:
    body = assert_success(client.post("/admin/recovery/code", json={"identity_id": person["id"]}), 201)
    assert re.fullmatch(r"[0-9]{6}", body["recovery_code"]) and "?flow=" in body["recovery_link"]
    ory_client.RecoveryCodeForIdentity.from_dict(body)
    spec_validate(body, "recoveryCodeForIdentity")
    body = assert_success(
        client.post(
            "/admin/recovery/code", json={"identity_id": person["id"], "expires_in": "1m30s", "flow_type": "api"}
        ),
        201,
    )
    assert_error(
        client.post("/admin/recovery/code", json={"identity_id": person["id"], "expires_in": "soon"}),
        400,
        reason='Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): soon',
    )
    assert_error(
        client.post("/admin/recovery/code", json={"identity_id": person["id"], "expires_in": "-1h"}),
        400,
        reason='Value from "expires_in" must result to a future time: -1h0m0s',
    )
    assert_error(client.post("/admin/recovery/code", json={"identity_id": person["id"], "flow_type": "x"}), 400)
    err = assert_error(client.post("/admin/recovery/code", json={"identity_id": str(uuid.uuid4())}), 404)
    assert err == {
        "code": 404,
        "status": "Not Found",
        "reason": "could not find identity",
        "message": "Unable to locate the resource",
    }


def test_recovery_link(client: Any, person: dict[str, Any]) -> None:
    body = assert_success(client.post("/admin/recovery/link", json={"identity_id": person["id"]}), 200)
    assert "/self-service/recovery?flow=" in body["recovery_link"] and "&token=" in body["recovery_link"]
    ory_client.RecoveryLinkForIdentity.from_dict(body)
    assert_error(
        client.post("/admin/recovery/link", json={"identity_id": str(uuid.uuid4())}),
        400,
        reason="The requested identity id does not exist.",
    )
    assert_error(
        client.post("/admin/recovery/link", json={"identity_id": person["id"], "expires_in": "-1h"}),
        400,
        reason='Value from "expires_in" must be result to a future time: -1h',  # the text as sent
    )


def test_test_login_flow_roundtrip(client: Any) -> None:
    flow = assert_success(client.post("/admin/test-login-flows", json={"provider_id": "google"}), 201)
    assert flow["type"] == "browser" and flow["state"] == "choose_method" and flow["refresh"] is True
    assert flow["test_context"] == {"provider_id": "google"}
    nodes = flow["ui"]["nodes"]
    assert nodes[0]["attributes"]["name"] == "csrf_token" and nodes[1]["attributes"]["value"] == "google"
    ory_client.LoginFlow.from_dict(flow)
    spec_validate(flow, "loginFlow")
    again = assert_success(client.get(f"/__sandbox/test-login-flows/{flow['id']}"))
    assert again["id"] == flow["id"]
    done = client.post(
        f"/__sandbox/test-login-flows/{flow['id']}/complete",
        json={"sub": "123", "email": "not-an-email", "given_name": "Ann", "family_name": "Lee"},
    ).json()
    debug = done["test_context"]["debug_payload"]
    assert debug["id_token_claims"]["sub"] == "123"
    assert debug["jsonnet_output"]["identity"]["traits"]["name"] == {"first": "Ann", "last": "Lee"}
    assert debug["schema_validation_errors"][0]["path"] == "#/traits/email"
    ory_client.LoginFlow.from_dict(done)
    ok = client.post(f"/__sandbox/test-login-flows/{flow['id']}/complete", json={"email": "a@example.com"}).json()
    assert ok["test_context"]["debug_payload"]["schema_validation_errors"] == []


def test_test_login_flow_errors(client: Any) -> None:
    assert_error(
        client.post("/admin/test-login-flows", json={"provider_id": "okta"}),
        404,
        reason='OpenID Connect provider "okta" is not configured',
    )
    assert_error(client.post("/admin/test-login-flows", json={}), 400, reason="provider_id is required")
    assert_error(
        client.post("/admin/test-login-flows", json={"provider_id": "g" * 256}),
        400,
        reason="provider_id must be at most 255 characters",
    )
    assert_error(client.post("/admin/test-login-flows", content=b"nope"), 400, reason="could not parse request body")
    assert_error(client.get(f"/__sandbox/test-login-flows/{uuid.uuid4()}"), 404)


def test_schemas(client: Any) -> None:
    resp = client.get("/schemas")
    body = assert_success(resp)
    assert [s["id"] for s in body] == ["default", "username", "phone", "b2b"]
    assert resp.headers["x-total-count"] == "4"
    for item in body:
        ory_client.IdentitySchemaContainer.from_dict(item)
    page = client.get("/admin/schemas?page_size=2&page_token=eyJvZmZzZXQiOiIyIiwidiI6Mn0")
    assert [s["id"] for s in page.json()] == ["phone", "b2b"]
    # Kratos' page p carries up to (p + 1) * size schemas (schema/schema.go `Schemas.List`; a real Kratos
    # answers so): page 1 of size 1 is two, page 2 of size 1 the last two.
    page = client.get("/schemas?page_size=1&page_token=eyJvZmZzZXQiOiIxIiwidiI6Mn0")  # offset 1
    assert [s["id"] for s in page.json()] == ["username", "phone"]
    assert [s["id"] for s in client.get("/schemas?page=2&per_page=1").json()] == ["phone", "b2b"]
    raw = assert_success(client.get("/schemas/default"))
    assert raw["properties"]["traits"]["properties"]["email"]["format"] == "email"
    assert client.get("/admin/schemas/YjJi").json()["title"] == "Business user"  # base64url id
    assert_error(client.get("/schemas/zzz"), 404, reason="Identity schema `zzz` could not be found.")


def test_health_and_unknown_route(client: Any) -> None:
    assert assert_success(client.get("/health/alive")) == {"status": "ok"}
    assert assert_success(client.get("/health/ready")) == {"status": "ok"}
    err = assert_error(client.get("/admin/nothing-here", headers={"x-request-id": "req-1"}), 404)
    assert err["request"] == "req-1"
    assert list(err) == ["code", "status", "request", "message"]
