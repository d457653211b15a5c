"""405 answers and the order of 404 and 400 (wire notes §7, §13); found by the Schemathesis run."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sandbox_helpers import assert_error, make_identity

pytestmark = pytest.mark.conformance  # pins Kratos' exact error texts (drift adds an error id)

JSON = {"content-type": "application/json"}


# ---- 405 and the order of 404 and 400 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/admin/identities", "GET, HEAD, PATCH, POST"),
        ("POST", "/admin/identities/{id}", "DELETE, GET, HEAD, PATCH, PUT"),
        ("GET", "/admin/recovery/code", "POST"),
        ("GET", "/admin/sessions/{id}/extend", "PATCH"),
        ("PUT", "/identities/{id}/sessions", "DELETE, GET, HEAD"),
    ],
)
def test_method_not_allowed_lists_the_paths_methods(client: Any, method: str, path: str, allow: str) -> None:
    # Go's http.ServeMux sets Allow to every method registered for the path, sorted, HEAD along with GET
    resp = client.request(method, path.format(id=uuid.uuid4()))
    assert resp.status_code == 405
    assert resp.headers["allow"] == allow


def test_unknown_identity_comes_before_its_parameters_where_kratos_looks_it_up_first(client: Any) -> None:
    unknown = str(uuid.uuid4())
    # identity/handler.go get and getByExternalID: the lookup, then include_credential
    assert_error(client.get(f"/admin/identities/{unknown}?include_credential=bogus"), 404)
    assert_error(client.get("/admin/identities/by/external/nobody?include_credential=bogus"), 404)
    # patch: the lookup, then the body
    assert_error(client.patch(f"/admin/identities/{unknown}", content=b"{not json", headers=JSON), 404)
    assert_error(client.patch(f"/admin/identities/{unknown}", json=[{"op": "test", "path": "/x", "value": 1}]), 404)
    # update decodes the body first (400), then looks the identity up (404)
    assert_error(client.put(f"/admin/identities/{unknown}", content=b"xyz", headers=JSON), 400)
    # deleteIdentityCredentials: deviceauthn wants its identifier before anything is read
    resp = client.delete(f"/admin/identities/{unknown}/credentials/deviceauthn")
    assert_error(resp, 400, reason="You must provide an identifier to delete this credential.")
    assert_error(client.delete(f"/admin/identities/{unknown}/credentials/password"), 404)


def test_deviceauthn_key_removal_reads_the_credentials_list(client: Any, app: Any) -> None:
    doc = make_identity("device@example.com")
    keys = [{"client_key_id": "k1"}, {"client_key_id": "k2"}]
    doc["credentials"]["deviceauthn"] = {
        "type": "deviceauthn",
        "identifiers": ["k1", "k2"],
        "config": {"credentials": keys},
        "version": 0,
        "created_at": doc["created_at"],
        "updated_at": doc["created_at"],
    }
    app.state.store.insert_identities([doc])
    url = f"/admin/identities/{doc['id']}/credentials/deviceauthn"
    assert client.delete(url, params={"identifier": "k1"}).status_code == 204
    stored = app.state.store.identity_doc(doc["id"])["credentials"]["deviceauthn"]
    assert stored["config"]["credentials"] == [{"client_key_id": "k2"}]
    assert stored["identifiers"] == ["k2"]
    resp = client.delete(url, params={"identifier": "k9"})
    assert_error(resp, 404, reason="The identifier `k9` was not found among deviceauthn credentials.")
