"""Identity API calls that change state, replayed from cassettes recorded against the seeded sandbox only."""

from __future__ import annotations

from typing import Any

import pytest
from cassette_scrub import SCRUBBED_IN_URL
from cassette_support import UNKNOWN_ID, Target, is_secret_as_seen

from ory_frames._errors import BadRequestError, ConflictError, NotFoundError
from ory_frames.client._client import Client
from ory_frames.client._models import (
    BatchPatchIdentitiesResponse,
    Identity,
    LoginFlow,
    ManageSessionsResponse,
    RecoveryCodeForIdentity,
    RecoveryLinkForIdentity,
    Session,
)

pytestmark = pytest.mark.usefixtures("writes")

NEW_PERSON: dict[str, Any] = {
    "schema_id": "default",
    "traits": {"email": "cassette.person@example.org", "name": {"first": "Grace", "last": "Hopper"}},
    "metadata_public": {"plan": "pro"},
    "credentials": {"password": {"config": {"password": "correct horse battery staple 42"}}},
}
PATCH_IDS = ("5d0c8f59-6a0e-4f4e-8f5e-1f2a3b4c5d6e", "6e1d9a6a-7b1f-4a5f-9a6f-2a3b4c5d6e7f")


def test_create_update_patch_delete_identity(client: Client) -> None:
    created = client.create_identity(NEW_PERSON)
    assert isinstance(created, Identity)
    assert created.traits["email"] == "cassette.person@example.org"
    assert created.credentials is not None and "password" in created.credentials
    assert created.credentials["password"].config is None  # create answers without config (section 3)

    with pytest.raises(ConflictError) as duplicate:
        client.create_identity(NEW_PERSON)
    assert duplicate.value.status == 409

    with pytest.raises(BadRequestError) as unknown_schema:
        client.create_identity({**NEW_PERSON, "schema_id": "does-not-exist"})
    assert unknown_schema.value.reason == "Unable to find JSON Schema ID: does-not-exist"

    updated = client.update_identity(
        created.id,
        {"schema_id": "default", "state": "inactive", "traits": {**NEW_PERSON["traits"], "newsletter": True}},
    )
    assert updated.state == "inactive" and updated.traits["newsletter"] is True
    assert updated.metadata_public is None  # PUT replaces metadata (wire notes §6)
    assert updated.state_changed_at is not None

    patched = client.patch_identity(
        created.id,
        [
            {"op": "replace", "path": "/traits/name/first", "value": "Ada"},
            {"op": "add", "path": "/metadata_admin", "value": {"note": "patched"}},
        ],
    )
    assert patched.traits["name"] == {"first": "Ada", "last": "Hopper"}
    assert patched.metadata_admin == {"note": "patched"}

    with pytest.raises(BadRequestError) as denied:
        client.patch_identity(created.id, [{"op": "replace", "path": "/id", "value": UNKNOWN_ID}])
    assert denied.value.reason == "failed to apply JSON patch"

    client.delete_identity(created.id)
    with pytest.raises(NotFoundError):
        client.get_identity(created.id)
    with pytest.raises(NotFoundError) as again:
        client.delete_identity(created.id)
    assert again.value.status == 404


def test_batch_patch_identities_per_item_errors(client: Client) -> None:
    body = {
        "identities": [
            {
                "patch_id": PATCH_IDS[0],
                "create": {"schema_id": "default", "traits": {"email": "batch.one@example.org"}},
            },
            {
                "patch_id": PATCH_IDS[1],
                "create": {"schema_id": "default", "traits": {"email": "not-an-email"}},
            },
            {"create": {"schema_id": "does-not-exist", "traits": {"email": "batch.three@example.org"}}},
        ]
    }
    result = client.batch_patch_identities(body)
    assert isinstance(result, BatchPatchIdentitiesResponse)
    items = result.identities
    assert [item.action if item else None for item in items] == ["create", "error", "error"]
    assert items[0] is not None and items[0].patch_id == PATCH_IDS[0] and items[0].identity
    assert items[1] is not None and items[1].patch_id == PATCH_IDS[1] and items[1].identity is None
    # Per-item errors are bare error objects (wire notes §4).
    assert items[1].error is not None and items[1].error["code"] == 400
    assert items[2] is not None and items[2].error is not None
    assert items[2].error["reason"] == "Unable to find JSON Schema ID: does-not-exist"

    made = client.get_identity(items[0].identity or "")
    assert made.traits == {"email": "batch.one@example.org"}


def _with_credentials(client: Client) -> list[dict[str, Any]]:
    """The seeded identities with their credentials (config only for oidc)."""
    return client.list_identities(page_size=30, include_credential=["oidc"]).items


def test_delete_identity_credentials(client: Client) -> None:
    everyone = _with_credentials(client)
    both = next(item for item in everyone if {"oidc", "password"} <= set(item.get("credentials", {})))
    identifier = both["credentials"]["oidc"]["identifiers"][0]

    with pytest.raises(BadRequestError) as no_identifier:
        client.delete_identity_credentials(both["id"], "oidc")
    assert no_identifier.value.reason == "You must provide an identifier to delete this credential."

    client.delete_identity_credentials(both["id"], "oidc", identifier=identifier)
    after = client.get_identity(both["id"])
    assert after.credentials is not None
    oidc = after.credentials.get("oidc")
    assert oidc is None or identifier not in (oidc.identifiers or [])

    with_totp = next(item for item in everyone if "totp" in item.get("credentials", {}))
    client.delete_identity_credentials(with_totp["id"], "totp")
    with pytest.raises(NotFoundError):
        client.delete_identity_credentials(with_totp["id"], "totp")


def test_sessions_disable_extend_manage(client: Client) -> None:
    active = client.list_sessions(page_size=4, active=True).items
    first, second, third = (item["id"] for item in active[:3])

    client.disable_session(first)
    assert client.get_session(first).active is False
    client.disable_session(first)  # idempotent (wire notes §8)

    extended = client.extend_session(second)  # OSS (and the sandbox) answer 200 with the session
    assert isinstance(extended, Session) and extended.id == second
    assert extended.active is True and extended.expires_at is not None

    managed = client.manage_sessions({"action": "disable", "sessions": [third, UNKNOWN_ID]})
    assert isinstance(managed, ManageSessionsResponse)
    assert (managed.processed, managed.more) == (1, False)
    assert client.get_session(third).active is False

    with pytest.raises(BadRequestError) as bad_action:
        client.manage_sessions({"action": "explode", "sessions": [third]})
    assert bad_action.value.reason == "The 'action' field must be one of 'disable' or 'delete'."
    with pytest.raises(NotFoundError):
        client.disable_session(UNKNOWN_ID)


def test_delete_identity_sessions(client: Client) -> None:
    recent = client.list_sessions(page_size=3, expand=["identity"]).items
    owner = recent[0]["identity"]["id"]
    assert client.list_identity_sessions(owner, page_size=10).items
    client.delete_identity_sessions(owner)
    assert client.list_identity_sessions(owner, page_size=10).items == []
    with pytest.raises(NotFoundError):  # no sessions left: 404 (wire notes §7)
        client.delete_identity_sessions(owner)


def test_recovery_code_and_link(client: Client, target: Target) -> None:
    someone = client.list_identities(page_size=1).items[0]["id"]

    code = client.create_recovery_code_for_identity({"identity_id": someone, "expires_in": "1h"})
    assert isinstance(code, RecoveryCodeForIdentity)
    assert is_secret_as_seen(code.recovery_code, target)
    if target.recording:
        assert code.recovery_code.isdigit() and len(code.recovery_code) == 6
    assert "flow=" in code.recovery_link and code.expires_at is not None

    link = client.create_recovery_link_for_identity({"identity_id": someone, "expires_in": "15m"})
    assert isinstance(link, RecoveryLinkForIdentity)
    assert "/self-service/recovery?flow=" in link.recovery_link
    token = link.recovery_link.rsplit("token=", 1)[1]
    assert (token != SCRUBBED_IN_URL and token) if target.recording else token == SCRUBBED_IN_URL

    with pytest.raises(NotFoundError) as unknown:
        client.create_recovery_code_for_identity({"identity_id": UNKNOWN_ID})
    assert unknown.value.reason == "could not find identity"
    with pytest.raises(BadRequestError) as unknown_link:  # 400, not 404 (wire notes §9)
        client.create_recovery_link_for_identity({"identity_id": UNKNOWN_ID})
    assert unknown_link.value.reason == "The requested identity id does not exist."
    with pytest.raises(BadRequestError) as bad_duration:
        client.create_recovery_code_for_identity({"identity_id": someone, "expires_in": "soon"})
    assert bad_duration.value.reason is not None and "expires_in" in bad_duration.value.reason


def test_create_test_login_flow(client: Client, target: Target) -> None:
    flow = client.create_test_login_flow({"provider_id": "google"})
    assert isinstance(flow, LoginFlow)
    assert flow.type == "browser" and flow.test_context == {"provider_id": "google"}
    nodes = flow.ui["nodes"]
    csrf = next(node["attributes"]["value"] for node in nodes if node["attributes"].get("name") == "csrf_token")
    assert is_secret_as_seen(csrf, target)
    assert any(node["attributes"].get("value") == "google" for node in nodes)

    with pytest.raises(NotFoundError) as unknown:
        client.create_test_login_flow({"provider_id": "myspace"})
    assert unknown.value.reason == 'OpenID Connect provider "myspace" is not configured'
