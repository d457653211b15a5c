"""Read-only Identity API calls, replayed from cassettes: paging, filters, gets, schemas and their errors."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cassette_support import UNKNOWN_ID, Target, is_secret_as_seen

from ory_frames._errors import BadRequestError, NotFoundError
from ory_frames.client._client import Client
from ory_frames.client._models import Identity, Session
from ory_frames.pages._walk import iter_identities, iter_identity_schemas, iter_identity_sessions, iter_sessions

SECRET_TYPES = ["password", "oidc", "totp", "lookup_secret"]


def _identities(client: Client, **filters: Any) -> list[dict[str, Any]]:
    """One page holding the whole (small) seeded user base."""
    return client.list_identities(page_size=30, **filters).items


def test_list_identities_follows_link_header_pages(client: Client, target: Target) -> None:
    pages = list(iter_identities(client, page_size=12))
    ids = [item["id"] for page in pages for item in page]
    # Keyset order is id ascending and the token is the last id of the page (wire notes §1).
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for page in pages[:-1]:
        assert len(page) == 12
        assert page.next_token == page.items[-1]["id"]
        assert page.total_count is None  # no X-Total-Count in keyset mode
    assert pages[-1].next_token is None
    if not target.real:
        assert [len(page) for page in pages] == [12, 12, 6]
    # No credentials key in a plain list (wire notes §3).
    assert all("credentials" not in item for page in pages for item in page)


def test_list_identities_filters(client: Client) -> None:
    everyone = _identities(client)
    first, second, third = (item["id"] for item in everyone[:3])

    by_ids = client.list_identities(ids=[third, first], page_size=3)
    assert [item["id"] for item in by_ids] == [first, third]

    identity = client.get_identity(second)
    assert isinstance(identity, Identity) and identity.credentials
    identifier = next(ident for cred in identity.credentials.values() for ident in (cred.identifiers or []))
    exact = client.list_identities(credentials_identifier=identifier, page_size=5)
    assert [item["id"] for item in exact] == [second]
    assert "credentials" in exact.items[0]  # a credential filter includes credentials, without config
    assert all("config" not in cred for cred in exact.items[0]["credentials"].values())

    similar = client.list_identities(preview_credentials_identifier_similar=identifier[:-1], page_size=5)
    assert second in {item["id"] for item in similar}

    organization = next((item["organization_id"] for item in everyone if item["organization_id"]), None)
    if organization is not None:
        members = client.list_identities(organization_id=organization, page_size=30)
        assert members.items and {item["organization_id"] for item in members} == {organization}

    strong = client.list_identities(page_size=2, consistency="strong")
    assert [item["id"] for item in strong] == [first, second]

    with pytest.raises(BadRequestError) as combined:
        client.list_identities(ids=[first], credentials_identifier=identifier)
    assert combined.value.status == 400
    assert combined.value.reason == "You cannot combine multiple filters in this API"


def _richest(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The identity with the most credential types (the seeded data has OIDC + TOTP + lookup codes)."""
    return max(items, key=lambda item: (len(item.get("credentials", {})), item["id"]))


def test_include_credential_secrets_are_scrubbed(client: Client, target: Target) -> None:
    everyone = _identities(client, include_credential=SECRET_TYPES)
    configs = [cred["config"] for item in everyone for cred in item.get("credentials", {}).values() if "config" in cred]
    for key in ("hashed_password", "totp_url"):
        values = [config[key] for config in configs if key in config]
        assert values and all(is_secret_as_seen(value, target) for value in values)

    chosen = _richest(everyone)
    identity = client.get_identity(chosen["id"], include_credential=SECRET_TYPES)
    assert isinstance(identity, Identity)
    assert identity.id == chosen["id"] and identity.schema_id
    assert identity.credentials is not None and set(identity.credentials) == set(chosen["credentials"])
    seen: list[object] = []
    for cred in identity.credentials.values():
        config = cred.config or {}
        seen += [config[key] for key in ("hashed_password", "totp_url") if key in config]
        for provider in config.get("providers", []):
            seen += [provider[key] for key in provider if key.startswith("initial_") and provider[key]]
        seen += [code["code"] for code in config.get("recovery_codes", [])]
    assert seen and all(is_secret_as_seen(value, target) for value in seen)
    # The model gives back what the server sent.
    assert identity.model_dump(mode="json", exclude_unset=True)["id"] == chosen["id"]


def test_get_identity_by_external_id_and_not_found(client: Client, target: Target) -> None:
    everyone = client.list_identities(page_size=10).items
    with_external = next((item for item in everyone if item.get("external_id")), None)
    assert with_external is not None or target.real  # the seeded sandbox has external ids
    if with_external is not None:
        identity = client.get_identity_by_external_id(with_external["external_id"])
        assert identity.id == with_external["id"]
        assert identity.external_id == with_external["external_id"]

    with pytest.raises(NotFoundError) as missing:
        client.get_identity(UNKNOWN_ID)
    assert missing.value.status == 404 and missing.value.message
    with pytest.raises(NotFoundError):
        client.get_identity_by_external_id("no-such-external-id")


def test_list_sessions_pages_and_get_session(client: Client, target: Target) -> None:
    pages = list(iter_sessions(client, page_size=25, expand=None))
    sessions = [item for page in pages for item in page]
    assert len({item["id"] for item in sessions}) == len(sessions)
    assert all(page.next_token for page in pages[:-1]) and pages[-1].next_token is None
    if not target.real:
        assert len(pages) >= 3
    # Without expand the identity is null in lists (wire notes §8).
    assert all(item.get("identity") is None for item in sessions)

    active = client.list_sessions(page_size=5, active=True)
    assert active.items and all(item["active"] for item in active)

    session = client.get_session(active.items[0]["id"], expand=["identity", "devices"])
    assert isinstance(session, Session)
    assert session.id == active.items[0]["id"] and session.active is True
    assert session.identity is not None and session.identity.id
    assert session.devices is not None

    with pytest.raises(NotFoundError):
        client.get_session(UNKNOWN_ID)
    with pytest.raises(BadRequestError) as bad_expand:
        client.list_sessions(page_size=5, expand=["nonsense"])
    assert bad_expand.value.status == 400


def test_identity_sessions_offset_paging(client: Client) -> None:
    recent = client.list_sessions(page_size=10, expand=["identity"])
    owners = [item["identity"]["id"] for item in recent]
    owner = max(owners, key=lambda ident: (owners.count(ident), ident))
    pages = list(iter_identity_sessions(client, owner, page_size=1))
    sessions = [item for page in pages for item in page]
    assert sessions and all(item["identity"]["id"] == owner for item in sessions)
    # Offset paging stops on an empty or short page; X-Total-Count counts the identity's sessions.
    assert len(pages[-1]) < 1 or pages[-1].next_token is None
    assert pages[0].total_count == len(sessions)
    assert len(pages) == len(sessions) + 1  # page_size 1: every page is full, then one empty page

    assert client.list_identity_sessions(UNKNOWN_ID, page_size=5).items == []


def test_identity_schemas_list_and_get(client: Client, target: Target) -> None:
    page = client.list_identity_schemas()
    ids = [item["id"] for item in page]
    assert ids and all(isinstance(item["schema"], dict) for item in page)
    assert page.total_count == len(ids)
    if not target.real:
        assert ids == ["default", "username", "phone", "b2b"]

    paged = list(iter_identity_schemas(client, page_size=2))
    assert [item["id"] for p in paged for item in p] == ids

    first = ids[0]
    schema = client.get_identity_schema(first)
    assert schema == page.items[0]["schema"]
    encoded = base64.urlsafe_b64encode(first.encode()).decode().rstrip("=")
    assert client.get_identity_schema(encoded) == schema  # the schema_url form (wire notes §11)

    with pytest.raises(NotFoundError) as missing:
        client.get_identity_schema("does-not-exist")
    assert missing.value.status == 404
