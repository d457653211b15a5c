"""End to end: all 21 calls and the paginators against the local sandbox on a loopback port."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import drift_support
import httpx
import pytest

from ory_frames import (
    AuthError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    iter_identities,
    iter_identity_schemas,
    iter_identity_sessions,
    iter_sessions,
)
from ory_frames.client._models import CreateIdentityBody, Identity, JsonPatch, Session
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport

KEY = "sandbox-secret-key-123"
SEEDED = 40


@pytest.fixture(scope="module")
def url(server_mode: str) -> Iterator[str]:
    with drift_support.running(seed_identities=SEEDED, api_key=KEY) as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[Client]:
    transport = RetryTransport(
        httpx.HTTPTransport(), policy=RetryPolicy(retries=8, random=lambda: 0.0), sleep=lambda s: None
    )
    with Client(url, api_key=KEY, transport=transport, timeout=10.0) as c:
        yield c


def new_identity(client: Client, **extra: object) -> Identity:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    body = {"schema_id": "default", "traits": {"email": email, "name": {"first": "Ada", "last": "L"}}, **extra}
    return client.create_identity(body)


@pytest.mark.sandbox_only("API keys are Ory Network's; a self-hosted Kratos admin API takes no key")
def test_wrong_key_is_an_auth_error(url):
    with Client(url, api_key="wrong") as bad, pytest.raises(AuthError) as info:
        bad.list_identities()
    assert "wrong" not in str(info.value)


def test_iter_identities_reads_every_seeded_identity(client):
    pages = list(iter_identities(client, page_size=7))
    ids = [item["id"] for page in pages for item in page]
    assert len(ids) >= SEEDED
    assert ids == sorted(ids)  # keyset order is id ascending (wire notes §1)
    assert len(set(ids)) == len(ids)
    assert all(len(page) == 7 for page in pages[:-1])
    assert pages[-1].next_token is None


def test_list_identities_filters(client):
    first = client.list_identities(page_size=3)
    wanted = [item["id"] for item in first]
    page = client.list_identities(ids=wanted, page_size=len(wanted))
    assert sorted(item["id"] for item in page) == sorted(wanted)


@pytest.mark.newer_kratos("organization_id and its refusal beside ids came later (identity/handler.go)")
def test_list_identities_refuses_ids_with_an_organization(client):
    wanted = [item["id"] for item in client.list_identities(page_size=3)]
    with pytest.raises(BadRequestError):
        client.list_identities(ids=wanted, organization_id=str(uuid.uuid4()))


def test_sessions_paginators(client):
    sessions = [item for page in iter_sessions(client, page_size=9, expand=["identity"]) for item in page]
    assert sessions
    assert len({s["id"] for s in sessions}) == len(sessions)
    identity_id = sessions[0]["identity"]["id"]
    mine = [item for page in iter_identity_sessions(client, identity_id, page_size=1) for item in page]
    assert sessions[0]["id"] in {s["id"] for s in mine}
    schemas = [item for page in iter_identity_schemas(client, page_size=1) for item in page]
    assert {"default", "username", "phone", "b2b"} <= {s["id"] for s in schemas}


def test_identity_sessions_walk_reads_each_session_once(client):
    # Kratos counts this endpoint's pages from 1 (pages 0 and 1 are both the first; wire notes §1), so a walk
    # over offsets meets the first page twice: the paginator must drop the repeat and still read every session.
    owners = Counter(s["identity"]["id"] for page in iter_sessions(client, expand=["identity"]) for s in page)
    identity_id, total = owners.most_common(1)[0]
    assert total >= 3, "the seed gives some identity several sessions"
    walked = [s["id"] for page in iter_identity_sessions(client, identity_id, page_size=2) for s in page]
    everything = [s["id"] for s in client.list_identity_sessions(identity_id, page_size=1000)]
    assert len(walked) == len(set(walked)) == total
    assert set(walked) == set(everything)


@pytest.mark.conformance  # reads back the exact state written; drift shows some inactive identities otherwise
@pytest.mark.newer_kratos("external_id and GET /admin/identities/by/external/{id} came later")
def test_identity_by_external_id(client):
    external = f"ext-{uuid.uuid4().hex[:8]}"
    created = new_identity(client, external_id=external)
    assert created.external_id == external
    assert client.get_identity_by_external_id(external).id == created.id
    with pytest.raises(ConflictError):
        client.create_identity(
            CreateIdentityBody(schema_id="default", traits={"email": "x@example.com"}, external_id=external)
        )
    with pytest.raises(NotFoundError):
        client.get_identity_by_external_id(external + "-nobody")


@pytest.mark.conformance  # reads back the exact state written; drift shows some inactive identities otherwise
def test_identity_lifecycle(client):
    external = f"ext-{uuid.uuid4().hex[:8]}"
    created = new_identity(
        client,
        metadata_admin={"tier": "gold"},
        credentials={
            "password": {"config": {"password": "correct horse battery staple"}},
            "oidc": {"config": {"providers": [{"provider": "google", "subject": external}]}},
        },
    )
    assert created.created_at is not None and created.created_at.tzinfo is not None

    fetched = client.get_identity(created.id, include_credential=["oidc"])
    assert fetched.credentials is not None and "oidc" in fetched.credentials

    with pytest.raises(ConflictError):  # the OIDC link is an identifier: a second identity cannot take it
        client.create_identity(
            CreateIdentityBody(
                schema_id="default",
                traits={"email": "x@example.com"},
                credentials={"oidc": {"config": {"providers": [{"provider": "google", "subject": external}]}}},
            )
        )

    updated = client.update_identity(
        created.id,
        {
            "schema_id": "default",
            "traits": {"email": created.traits["email"], "name": {"first": "Grace"}},
            "state": "inactive",
        },
    )
    assert updated.state == "inactive"
    assert updated.metadata_admin is None  # PUT replaces metadata (wire notes §6)

    patched = client.patch_identity(
        created.id,
        [
            JsonPatch(op="replace", path="/traits/name/first", value="Ada"),
            {"op": "add", "path": "/metadata_public", "value": {"a": 1}},
        ],
    )
    assert patched.traits["name"]["first"] == "Ada"
    assert patched.metadata_public == {"a": 1}

    client.delete_identity_credentials(created.id, "oidc", identifier=f"google:{external}")
    after = client.get_identity(created.id, include_credential=["oidc"])
    assert after.credentials is not None
    # Kratos keeps the emptied credential (identity/identity.go `deleteCredentialOIDCFromIdentity`)
    assert after.credentials["oidc"].identifiers == []

    client.delete_identity(created.id)
    with pytest.raises(NotFoundError):
        client.get_identity(created.id)


def test_batch_patch_identities(client):
    email = f"batch-{uuid.uuid4().hex[:8]}@example.com"
    patch_id = str(uuid.uuid4())
    result = client.batch_patch_identities(
        {
            "identities": [
                {"patch_id": patch_id, "create": {"schema_id": "default", "traits": {"email": email}}},
                {"create": {"schema_id": "default", "traits": {"email": "not-an-email"}}},
            ]
        }
    )
    first, second = result.identities
    assert first is not None and first.action == "create" and first.patch_id == patch_id
    assert second is not None and second.action == "error" and second.error is not None
    assert second.error["code"] == 400


def test_session_calls(client):
    page = client.list_sessions(page_size=50, active=True)
    assert page.items
    session_id = page.items[0]["id"]
    session = client.get_session(session_id, expand=["identity", "devices"])
    assert isinstance(session, Session) and session.identity is not None
    identity_id = session.identity.id

    extended = client.extend_session(session_id)
    assert extended is None or extended.id == session_id

    listed = client.list_identity_sessions(identity_id, page_size=10)
    assert session_id in {s["id"] for s in listed}

    client.disable_session(session_id)
    assert client.get_session(session_id).active is False
    client.disable_session(session_id)  # idempotent (wire notes §8)

    client.delete_identity_sessions(identity_id)
    with pytest.raises(NotFoundError):
        client.delete_identity_sessions(identity_id)  # no sessions left: 404 (section 7)


@pytest.mark.newer_kratos("POST /admin/sessions (batch session actions) came later")
def test_manage_sessions(client):
    sessions = client.list_sessions(page_size=5, active=True).items
    result = client.manage_sessions({"action": "disable", "sessions": [s["id"] for s in sessions]})
    assert result.processed == len(sessions)
    assert result.more is False


def test_recovery(client):
    identity = new_identity(client)
    code = client.create_recovery_code_for_identity({"identity_id": identity.id, "expires_in": "1h"})
    assert len(code.recovery_code) == 6 and code.expires_at is not None
    link = client.create_recovery_link_for_identity({"identity_id": identity.id})
    assert "token=" in link.recovery_link
    with pytest.raises(BadRequestError):
        client.create_recovery_link_for_identity({"identity_id": str(uuid.uuid4())})  # 400, not 404 (section 9)
    with pytest.raises(NotFoundError):
        client.create_recovery_code_for_identity({"identity_id": str(uuid.uuid4())})


@pytest.mark.newer_kratos("POST /admin/test-login-flows came later (selfservice/flow/login/test_handler.go)")
def test_test_login_flow(client):
    flow = client.create_test_login_flow({"provider_id": "google"})
    assert flow.type == "browser"
    assert flow.test_context == {"provider_id": "google"}
    with pytest.raises(NotFoundError):
        client.create_test_login_flow({"provider_id": "nope"})


def test_schemas(client):
    schema = client.get_identity_schema("default")
    assert schema["type"] == "object"
    assert client.get_identity_schema("ZGVmYXVsdA") == schema  # base64url id (section 11)
    page = client.list_identity_schemas(page_size=2)
    assert len(page) == 2 and page.next_token is not None and page.total_count is not None
    with pytest.raises(NotFoundError):
        client.get_identity_schema("does-not-exist")


@pytest.mark.sandbox_only("fault injection")
def test_reads_survive_injected_faults():
    with drift_support.running(
        seed_identities=25, faults="500=0.15,503=0.1,429=0.1,reset=0.05,truncate=0.05", fault_seed=3
    ) as base:
        transport = RetryTransport(
            httpx.HTTPTransport(), policy=RetryPolicy(retries=10, random=lambda: 0.0), sleep=lambda s: None
        )
        with Client(base, transport=transport) as faulty:
            ids = [item["id"] for page in iter_identities(faulty, page_size=4) for item in page]
    assert len(ids) == 25 and len(set(ids)) == 25


@pytest.mark.sandbox_only("Ory Network's rate limits")
def test_rate_limited_answers_become_rate_limit_errors_and_teach_the_budget():
    import itertools

    from ory_frames._errors import RateLimitError
    from ory_frames.client._budget import RateBudget

    # A clock that jumps 100 s per reading: the budget learns but never holds a request back.
    ticks = itertools.count()
    budget = RateBudget(clock=lambda: next(ticks) * 100.0, sleep=lambda s: None)
    with drift_support.running(seed_identities=1, rate_limits="developer", clock=lambda: 1000.0) as base:  # one second
        transport = RetryTransport(
            httpx.HTTPTransport(), policy=RetryPolicy(retries=0), budget=budget, sleep=lambda s: None
        )
        with Client(base, transport=transport) as limited:
            identity_id = limited.list_identities(page_size=1).items[0]["id"]
            errors = []
            for _ in range(12):
                try:
                    limited.get_identity(identity_id)
                except RateLimitError as exc:
                    errors.append(exc)
    # Developer tier, kratos-admin-high: 5 rps / 40 rpm (wire notes §14).
    assert errors, "12 GETs within about a second must exceed 5 per second"
    assert all(err.status == 429 and err.reset_after is not None and err.reset_after >= 1 for err in errors)
    assert budget.limits("kratos-admin-high") == [(5, 1.0), (40, 60.0)]
    assert budget.limits("kratos-admin-medium") == [(5, 1.0), (25, 60.0)]
