"""Client construction, secrecy of the key, and the wire shape of all 21 typed calls."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import httpx
import orjson
import pytest
from client_fakes import BASE, KEY, json_response

from ory_frames import Client, InvalidInputError, NotFoundError, Page, ServerError, UnexpectedResponseError
from ory_frames.client._models import (
    BatchPatchIdentitiesResponse,
    CreateIdentityBody,
    Identity,
    IdentitySchemaContainer,
    JsonPatch,
    LoginFlow,
    ManageSessionsResponse,
    RecoveryCodeForIdentity,
    RecoveryLinkForIdentity,
    Session,
)
from ory_frames.pages._offsets import encode_offset_token

ID = "a251ebc2-880c-4f76-a8f3-38e6940eab0e"
SID = "7458af86-c1d8-401c-978a-8da89133f98b"

# wire notes §3, migratest fixture (trimmed).
IDENTITY = {
    "id": ID,
    "credentials": {
        "password": {
            "type": "password",
            "identifiers": ["foobar@ory.sh"],
            "version": 1,
            "created_at": "2013-10-07T08:23:19Z",
            "updated_at": "2013-10-07T08:23:19Z",
        }
    },
    "schema_id": "default",
    "schema_url": "https://www.ory.sh/schemas/ZGVmYXVsdA",
    "state": "active",
    "state_changed_at": "2021-08-17T11:15:59.232051+02:00",
    "traits": {"email": "foobar@ory.sh"},
    "verifiable_addresses": [
        {
            "id": "c2427b6d-312b-46d9-9285-536db7ae11fd",
            "value": "foobar@ory.sh",
            "verified": False,
            "via": "email",
            "status": "pending",
            "created_at": "2013-10-07T08:23:19Z",
            "updated_at": "2013-10-07T08:23:19Z",
        }
    ],
    "metadata_public": None,
    "metadata_admin": None,
    "created_at": "2013-10-07T08:23:19Z",
    "updated_at": "2013-10-07T08:23:19Z",
    "organization_id": None,
    "region": "eu-central",
    "future_field": {"kept": True},
}
SESSION = {
    "id": SID,
    "active": False,
    "expires_at": "2013-10-07T08:23:19Z",
    "authenticated_at": "2013-10-07T08:23:19Z",
    "authenticator_assurance_level": "aal2",
    "authentication_methods": [{"method": "password", "aal": "", "completed_at": "0001-01-01T00:00:00Z"}],
    "issued_at": "2013-10-07T08:23:19Z",
    "identity": None,
    "devices": [
        {"id": "884f556e-eb3a-4b9f-bee3-11763642c6c0", "ip_address": None, "user_agent": "x", "location": None}
    ],
}
LOGIN_FLOW = {
    "id": SID,
    "organization_id": None,
    "type": "browser",
    "expires_at": "2030-01-01T00:00:00Z",
    "issued_at": "2030-01-01T00:00:00Z",
    "request_url": "https://x/self-service/login",
    "ui": {"action": "https://x", "method": "POST", "nodes": []},
    "refresh": True,
    "state": "choose_method",
    "test_context": {"provider_id": "google"},
}


# --- construction and secrecy ---------------------------------------------------------------------


def test_base_url_and_key_from_environment(monkeypatch):
    monkeypatch.setenv("ORY_SDK_URL", "https://env.projects.oryapis.com/")
    monkeypatch.setenv("ORY_API_KEY", KEY)
    seen = []
    client = Client(transport=httpx.MockTransport(lambda r: seen.append(r) or json_response(200, IDENTITY)))
    client.get_identity(ID)
    assert client.base_url == "https://env.projects.oryapis.com"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert str(seen[0].url) == f"https://env.projects.oryapis.com/admin/identities/{ID}"
    client.close()


def test_missing_url_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    with pytest.raises(InvalidInputError, match="ORY_SDK_URL"):
        Client()


@pytest.mark.parametrize("url", ["ftp://x.example", "not a url", "https://"])
def test_unusable_url(url):
    with pytest.raises(InvalidInputError):
        Client(url)


def test_a_path_too_long_for_a_url_is_refused_before_sending():
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return json_response(404, {})

    with (
        Client(BASE, api_key=KEY, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(InvalidInputError, match="cannot be sent") as info,
    ):
        client.get_identity_by_external_id("x" * 120_000)
    assert not sent
    assert KEY not in str(info.value) and len(str(info.value)) < 400


def test_repr_masks_the_key():
    client = Client(BASE, api_key=KEY)
    assert repr(client) == "Client(base_url='https://acme.projects.oryapis.com', api_key=***)"
    assert KEY not in repr(client.__dict__)
    assert repr(Client("http://127.0.0.1:4434")) == "Client(base_url='http://127.0.0.1:4434', api_key=None)"


@pytest.mark.parametrize("url", ["http://acme.projects.oryapis.com", "http://10.0.0.5:4434", "http://kratos:4434"])
def test_key_over_plain_http_to_a_remote_host_is_refused(url, monkeypatch):
    with pytest.raises(InvalidInputError, match="plain http") as info:
        Client(url, api_key=KEY)
    assert KEY not in str(info.value)
    monkeypatch.setenv("ORY_API_KEY", KEY)
    with pytest.raises(InvalidInputError):
        Client(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:4433", "http://localhost:4434", "http://[::1]:4434"])
def test_loopback_http_is_fine(url):
    Client(url, api_key=KEY).close()


def test_kratos_admin_without_key_sends_no_authorization(monkeypatch):
    monkeypatch.delenv("ORY_API_KEY", raising=False)
    seen = []
    client = Client(
        "http://kratos:4434", transport=httpx.MockTransport(lambda r: seen.append(r) or json_response(200, []))
    )
    client.list_identities()
    assert "authorization" not in seen[0].headers
    assert seen[0].url.path == "/admin/identities"


def test_context_manager_closes():
    with Client(BASE, api_key=KEY) as client:
        assert isinstance(client, Client)
    assert client._http.is_closed


def test_key_never_logged(make_client, caplog):
    def respond(request: httpx.Request) -> httpx.Response:
        return json_response(503, {"error": {"code": 503, "message": "down"}})

    client, _ = make_client(respond, retries=2)
    with caplog.at_level(logging.DEBUG), pytest.raises(ServerError) as info:
        client.get_identity(ID)
    assert caplog.records  # retries were logged
    assert KEY not in caplog.text
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


def test_user_agent(make_client):
    client, recorder = make_client(lambda r: json_response(200, []), user_agent="my-notebook/1")
    client.list_identities()
    assert recorder.requests[0].headers["user-agent"] == "my-notebook/1"


def test_unexpected_redirect(make_client):
    client, _ = make_client(lambda r: httpx.Response(302, headers={"location": "https://x/?token=secret"}))
    with pytest.raises(UnexpectedResponseError, match="redirect") as info:
        client.get_identity(ID)
    assert "secret" not in str(info.value)


def test_schemas_follow_kratos_redirects_to_the_public_port_without_the_key(make_client):
    # What a real Kratos (v1.3.1 and master, schema/handler.go) answers on its admin port: /schemas redirects
    # to /admin/schemas, and that to the public port, which serves the schemas.
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.port == 4434 and request.url.path == "/schemas":
            return httpx.Response(307, headers={"location": "/admin/schemas?page_size=1"})
        if request.url.port == 4434 and request.url.path.startswith("/admin/schemas"):
            rest = request.url.path[len("/admin/schemas") :]
            return httpx.Response(307, headers={"location": f"http://127.0.0.1:4433/schemas{rest}?page_size=1"})
        if request.url.path == "/schemas/default":
            return json_response(200, {"type": "object"})
        return json_response(200, [{"id": "default", "schema": {}}])

    client, recorder = make_client(respond, base_url="http://127.0.0.1:4434", api_key="k-secret-1")
    assert len(client.list_identity_schemas(page_size=1)) == 1
    assert client.get_identity_schema("default") == {"type": "object"}
    client.list_identity_schemas()
    seen = [(r.url.port, r.url.path, r.url.params.get("page_size")) for r in recorder.requests]
    assert seen == [
        (4434, "/schemas", "1"),
        (4434, "/admin/schemas", "1"),
        (4433, "/schemas", "1"),  # the query is the client's, sent once, not the redirect's appended
        (4433, "/schemas/default", None),
        (4433, "/schemas", None),
    ]
    assert [("authorization" in r.headers) for r in recorder.requests] == [True, True, False, False, False]


def test_a_redirect_off_the_schema_routes_stays_an_error(make_client):
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "http://127.0.0.1:4433" + request.url.path})

    client, _ = make_client(respond, base_url="http://127.0.0.1:4434", api_key=None)
    with pytest.raises(UnexpectedResponseError, match="unexpected redirect 307"):
        client.list_identities()
    with pytest.raises(UnexpectedResponseError, match="more than 3 redirects"):
        client.list_identity_schemas()


# --- the 21 calls ------------------------------------------------------------------------------------


def route(table):
    """A handler answering by (method, path)."""

    def respond(request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.raw_path.decode().split("?")[0])
        if key not in table:
            return json_response(404, {"error": {"code": 404, "message": f"no route {key}"}})
        return table[key]

    return respond


def body_of(request: httpx.Request):
    return orjson.loads(request.content) if request.content else None


def test_list_identities_all_parameters(make_client):
    link = '</admin/identities?page_size=500&page_token=abc>; rel="next"'
    client, recorder = make_client(
        lambda r: json_response(200, [IDENTITY], {"link": link, "x-request-id": "req-1", "x-ratelimit-limit": "5"})
    )
    page = client.list_identities(
        page_size=900,
        page_token="tok",
        page=1,
        per_page=2,
        consistency="eventual",
        ids=[ID, SID],
        credentials_identifier="a@b.c",
        preview_credentials_identifier_similar="a@",
        include_credential=["password", "oidc"],
        organization_id=SID,
    )
    params = recorder.requests[0].url.params
    assert params.get_list("ids") == [ID, SID]
    assert params.get_list("include_credential") == ["password", "oidc"]
    assert {k: params[k] for k in ("page_size", "page_token", "page", "per_page", "consistency")} == {
        "page_size": "900",
        "page_token": "tok",
        "page": "1",
        "per_page": "2",
        "consistency": "eventual",
    }
    assert params["credentials_identifier"] == "a@b.c"
    assert params["preview_credentials_identifier_similar"] == "a@"
    assert params["organization_id"] == SID
    assert isinstance(page, Page)
    assert page.items == [IDENTITY]
    assert page.next_token == "abc"
    assert page.page_size == 500  # clamped like the server does
    assert page.request_id == "req-1"
    assert page.ratelimit == {"x-ratelimit-limit": "5"}


def test_list_identities_legacy_mode_has_no_next_token(make_client):
    client, _ = make_client(
        lambda r: json_response(
            200, [], {"link": '</admin/identities?page=1&per_page=2>; rel="next"', "x-total-count": "9"}
        )
    )
    page = client.list_identities(page=0, per_page=2)
    assert page.next_token is None
    assert page.total_count == 9
    assert page.page_size == 2


def test_single_object_calls(make_client):
    recovery_code = {
        "recovery_link": "https://x/ui/recovery?flow=f",
        "recovery_code": "123456",
        "expires_at": "2030-01-01T00:00:00Z",
    }
    recovery_link = {
        "recovery_link": "https://x/self-service/recovery?flow=f&token=t",
        "expires_at": "2030-01-01T00:00:00Z",
    }
    table = {
        ("GET", f"/admin/identities/{ID}"): json_response(200, IDENTITY),
        ("GET", "/admin/identities/by/external/ext%2F1"): json_response(200, IDENTITY),
        ("POST", "/admin/identities"): json_response(201, IDENTITY, {"location": f"{BASE}/identities/{ID}"}),
        ("PATCH", "/admin/identities"): json_response(
            200,
            {
                "identities": [
                    {"action": "create", "identity": ID, "patch_id": SID},
                    None,
                    {"action": "error", "error": {"code": 409, "status": "Conflict", "message": "dup"}},
                ]
            },
        ),
        ("PUT", f"/admin/identities/{ID}"): json_response(200, IDENTITY),
        ("PATCH", f"/admin/identities/{ID}"): json_response(200, IDENTITY),
        ("DELETE", f"/admin/identities/{ID}"): httpx.Response(204),
        ("DELETE", f"/admin/identities/{ID}/credentials/oidc"): httpx.Response(204),
        ("DELETE", f"/admin/identities/{ID}/sessions"): httpx.Response(204),
        ("GET", f"/admin/sessions/{SID}"): json_response(200, SESSION),
        ("DELETE", f"/admin/sessions/{SID}"): httpx.Response(204),
        ("PATCH", f"/admin/sessions/{SID}/extend"): json_response(200, SESSION),
        ("POST", "/admin/sessions"): json_response(200, {"processed": 3, "more": False}),
        ("POST", "/admin/recovery/code"): json_response(201, recovery_code),
        ("POST", "/admin/recovery/link"): json_response(200, recovery_link),
        ("POST", "/admin/test-login-flows"): json_response(201, LOGIN_FLOW),
        ("GET", "/schemas/default"): json_response(200, {"$id": "x", "type": "object"}),
    }
    client, rec = make_client(route(table))

    identity = client.get_identity(ID, include_credential=["password"])
    assert isinstance(identity, Identity)
    assert rec.requests[-1].url.params.get_list("include_credential") == ["password"]
    assert client.get_identity_by_external_id("ext/1", include_credential=["oidc"]).id == ID
    assert rec.requests[-1].url.raw_path.startswith(b"/admin/identities/by/external/ext%2F1")

    created = client.create_identity(
        CreateIdentityBody(schema_id="default", traits={"email": "a@b.c"}, metadata_public=None)
    )
    assert created.id == ID
    assert body_of(rec.requests[-1]) == {"schema_id": "default", "traits": {"email": "a@b.c"}, "metadata_public": None}
    assert rec.requests[-1].headers["content-type"] == "application/json"

    batch = client.batch_patch_identities(
        {"identities": [{"create": {"schema_id": "default", "traits": {}}, "patch_id": SID}]}
    )
    assert isinstance(batch, BatchPatchIdentitiesResponse)
    assert batch.identities[1] is None
    assert batch.identities[2] is not None and batch.identities[2].error == {
        "code": 409,
        "status": "Conflict",
        "message": "dup",
    }

    client.update_identity(ID, {"schema_id": "default", "traits": {}, "state": "inactive"})
    assert rec.requests[-1].method == "PUT"
    patched = client.patch_identity(
        ID, [JsonPatch(op="replace", path="/traits/email", value="x@y.z"), {"op": "remove", "path": "/metadata_admin"}]
    )
    assert patched.id == ID
    assert body_of(rec.requests[-1]) == [
        {"op": "replace", "path": "/traits/email", "value": "x@y.z"},
        {"op": "remove", "path": "/metadata_admin"},
    ]
    assert client.delete_identity(ID) is None
    assert client.delete_identity_credentials(ID, "oidc", identifier="google:123") is None
    assert rec.requests[-1].url.params["identifier"] == "google:123"
    assert client.delete_identity_sessions(ID) is None

    session = client.get_session(SID, expand=["identity", "devices"])
    assert isinstance(session, Session)
    assert rec.requests[-1].url.params.get_list("expand") == ["identity", "devices"]
    assert client.disable_session(SID) is None
    assert isinstance(client.extend_session(SID), Session)
    managed = client.manage_sessions({"action": "delete", "identities": ["*"]})
    assert isinstance(managed, ManageSessionsResponse)
    assert (managed.processed, managed.more) == (3, False)

    code = client.create_recovery_code_for_identity({"identity_id": ID, "expires_in": "1h", "flow_type": "api"})
    assert isinstance(code, RecoveryCodeForIdentity) and code.recovery_code == "123456"
    link = client.create_recovery_link_for_identity({"identity_id": ID}, return_to="https://app.example/done")
    assert isinstance(link, RecoveryLinkForIdentity)
    assert rec.requests[-1].url.params["return_to"] == "https://app.example/done"
    flow = client.create_test_login_flow({"provider_id": "google"})
    assert isinstance(flow, LoginFlow) and flow.test_context == {"provider_id": "google"}
    assert client.get_identity_schema("default") == {"$id": "x", "type": "object"}


def test_extend_session_204_is_none(make_client):
    client, _ = make_client(lambda r: httpx.Response(204))
    assert client.extend_session(SID) is None


def test_list_sessions_and_identity_sessions(make_client):
    link = '</admin/sessions?page_size=2&page_token=next-tok>; rel="next"'
    table = {
        ("GET", "/admin/sessions"): json_response(200, [SESSION, SESSION], {"link": link}),
        ("GET", f"/admin/identities/{ID}/sessions"): json_response(200, [SESSION, SESSION], {"x-total-count": "5"}),
        ("GET", "/schemas"): json_response(200, [{"id": "default", "schema": {}}], {"x-total-count": "1"}),
    }
    client, rec = make_client(route(table))
    page = client.list_sessions(page_size=2, page_token="t0", active=False, expand=["identity"])
    assert page.next_token == "next-tok"
    assert rec.requests[-1].url.params["active"] == "false"

    page = client.list_identity_sessions(ID, page_size=2, page_token=encode_offset_token(2), active=True)
    assert page.next_token == encode_offset_token(4)
    assert page.total_count == 5
    page = client.list_identity_sessions(ID, page=1, per_page=2)
    assert page.next_token == encode_offset_token(4)
    assert {k: v for k, v in rec.requests[-1].url.params.items()} == {"page": "1", "per_page": "2"}

    page = client.list_identity_schemas(page_size=5, page=0, per_page=5)
    assert page.next_token is None  # short page
    assert IdentitySchemaContainer.from_json(page.items[0]).schema_ == {}


def test_models_keep_raw_json_and_unknown_fields():
    identity = Identity.from_json(IDENTITY)
    assert identity.raw == IDENTITY
    assert identity.model_extra == {"future_field": {"kept": True}}
    assert identity.created_at == datetime(2013, 10, 7, 8, 23, 19, tzinfo=timezone.utc)
    assert identity.model_dump(mode="json", by_alias=True, exclude_unset=True) == IDENTITY
    session = Session.from_json(SESSION)
    assert session.model_dump(mode="json", by_alias=True, exclude_unset=True) == SESSION
    assert session.authentication_methods and session.authentication_methods[0].completed_at.year == 1


def test_response_that_does_not_fit_the_model(make_client):
    client, _ = make_client(lambda r: json_response(200, {"no": "id"}))
    with pytest.raises(UnexpectedResponseError, match="not an Identity"):
        client.get_identity(ID)


def test_not_found_carries_the_masked_url(make_client):
    client, _ = make_client(
        lambda r: json_response(404, {"error": {"code": 404, "message": "Unable to locate the resource"}})
    )
    with pytest.raises(NotFoundError) as info:
        client.delete_identity(ID)
    assert info.value.url == f"{BASE}/admin/identities/{ID}"
    assert info.value.method == "DELETE"


def test_empty_id_is_refused_before_sending(make_client):
    client, rec = make_client(lambda r: json_response(200, IDENTITY))
    with pytest.raises(InvalidInputError):
        client.get_identity("")
    assert rec.requests == []
