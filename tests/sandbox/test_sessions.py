"""Session endpoints (wire notes §1, §7, §8)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import ory_client
import pytest
from sandbox_helpers import assert_error, assert_success, link_parts, make_identity, make_session, spec_validate

# Compares answers with Ory's exact wire shapes (and ory-client's strict models): drift changes them.
pytestmark = pytest.mark.conformance

FIRST = "aWQ9MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwL2NyZWF0ZWRfYXQ9MjIwMC0xMi0zMSAyMzo1OTo1OQ"


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    alice, bob = make_identity("alice@example.com"), make_identity("bob@example.com", state="inactive")
    app.state.store.insert_identities([alice, bob])
    sessions = [make_session(alice["id"], created_at=f"2024-05-{d:02d}T10:00:00Z") for d in range(1, 8)]
    sessions.append(make_session(alice["id"], created_at="2024-05-03T10:00:00Z", expires_at="2024-05-04T00:00:00Z"))
    sessions.append(make_session(bob["id"], created_at="2024-06-01T00:00:00Z"))
    sessions.append(make_session(alice["id"], created_at="2024-04-01T00:00:00Z", active=False))
    app.state.store.insert_sessions(sessions)
    return {"alice": alice, "bob": bob, "sessions": sessions}


def test_list_follows_keyset_links(client: Any, world: dict[str, Any]) -> None:
    url, seen = "/admin/sessions?page_size=3", []
    while url:
        resp = client.get(url)
        body = assert_success(resp)
        links = link_parts(resp.headers["link"])
        assert links["first"].endswith(f"page_token={FIRST}")
        assert "x-total-count" not in resp.headers
        for item in body:
            assert item["identity"] is None and item["devices"] is None
            ory_client.Session.from_dict(item)
            spec_validate(item, "session")
        seen.extend(body)
        url = links.get("next", "")
    ordered = sorted(world["sessions"], key=lambda s: (s["created_at"][::1], s["id"]), reverse=True)
    created = [s["authenticated_at"] for s in seen]
    assert created == sorted(created, reverse=True)
    assert {s["id"] for s in seen} == {s["id"] for s in ordered} and len(seen) == len(ordered)


def test_list_token_and_parameter_errors(client: Any, world: dict[str, Any]) -> None:
    assert_error(client.get("/admin/sessions?page_token=!!!"), 400, message="could not parse parameter page_size")
    assert_error(client.get("/admin/sessions?page_size=x"), 400, message="could not parse parameter page_size")
    bad = base64.b64encode(b"id=nope/created_at=2024-01-01 00:00:00").decode().rstrip("=")
    assert_error(
        client.get(f"/admin/sessions?page_token={bad}"),
        400,
        reason="The page token is invalid, do not craft your own page tokens",
    )
    assert_error(client.get("/admin/sessions?active=maybe"), 400, message="could not parse parameter active")
    assert_error(
        client.get("/admin/sessions?expand=everything"), 400, reason="Could not parse expand option: everything"
    )


def test_active_filter_and_expand(client: Any, world: dict[str, Any]) -> None:
    active = client.get("/admin/sessions?active=true").json()
    assert len(active) == 8 and all(s["active"] for s in active)  # stored active AND not expired
    inactive = client.get("/admin/sessions?active=false").json()
    assert len(inactive) == 2 and not any(s["active"] for s in inactive)
    expanded = client.get("/admin/sessions?expand=Identity&expand=devices").json()
    bob_session = next(s for s in expanded if s["identity"]["id"] == world["bob"]["id"])
    assert bob_session["active"] is False  # identity inactive (wire notes §8)
    assert "credentials" not in bob_session["identity"] and "metadata_admin" in bob_session["identity"]
    assert isinstance(bob_session["devices"], list)


def test_get_session(client: Any, world: dict[str, Any]) -> None:
    sid = world["sessions"][0]["id"]
    body = assert_success(client.get(f"/admin/sessions/{sid}"))
    assert body["identity"] is None and body["devices"] == []  # [] in GET by id (wire notes §8)
    assert list(body)[:3] == ["id", "active", "expires_at"]
    body = assert_success(client.get(f"/sessions/{sid}?expand=identity&expand=devices"))
    assert body["identity"]["id"] == world["alice"]["id"] and len(body["devices"]) == 1
    ory_client.Session.from_dict(body)
    assert_error(client.get("/admin/sessions/not-a-uuid"), 400)
    assert_error(client.get(f"/admin/sessions/{uuid.uuid4()}"), 404, message="Unable to locate the resource")
    assert_error(client.get(f"/admin/sessions/{sid}?expand=x"), 400, reason="Could not parse expand option: x")


def test_disable_is_idempotent(client: Any, world: dict[str, Any]) -> None:
    sid = world["sessions"][0]["id"]
    assert client.delete(f"/admin/sessions/{sid}").status_code == 204
    assert client.delete(f"/admin/sessions/{sid}").status_code == 204
    assert client.get(f"/admin/sessions/{sid}").json()["active"] is False
    assert_error(client.delete(f"/admin/sessions/{uuid.uuid4()}"), 404)
    assert_error(client.delete("/admin/sessions/xyz"), 400)


def test_extend_returns_session_with_identity(client: Any, world: dict[str, Any]) -> None:
    sid = world["sessions"][7]["id"]  # expired
    body = assert_success(client.patch(f"/admin/sessions/{sid}/extend"))
    assert body["identity"]["id"] == world["alice"]["id"] and body["expires_at"] > "2025"
    ory_client.Session.from_dict(body)
    assert_error(client.patch(f"/admin/sessions/{uuid.uuid4()}/extend"), 404)
    assert_error(client.patch("/admin/sessions/bad/extend"), 400)


def test_extend_204_mode() -> None:
    from drift_support import create_app
    from starlette.testclient import TestClient

    app = create_app(extend_returns_204=True)
    ident = make_identity()
    session = make_session(ident["id"], created_at="2024-01-01T00:00:00Z")
    app.state.store.insert_identities([ident])
    app.state.store.insert_sessions([session])
    with TestClient(app) as tc:
        resp = tc.patch(f"/admin/sessions/{session['id']}/extend")
    assert resp.status_code == 204 and resp.content == b""


def test_identity_sessions_offset_paging(client: Any, world: dict[str, Any]) -> None:
    alice = world["alice"]["id"]
    resp = client.get(f"/admin/identities/{alice}/sessions?page_size=3")
    body = assert_success(resp)
    assert len(body) == 3 and resp.headers["x-total-count"] == "9"
    assert all(s["identity"]["schema_url"] == "" and isinstance(s["devices"], list) for s in body)
    links = link_parts(resp.headers["link"])
    assert set(links) == {"next", "last"}  # first page: no `first` (wire notes §1 quirks)
    assert "page=1&page_size=3&page_token=eyJvZmZzZXQiOiIzIiwidiI6Mn0&per_page=3" in links["next"]
    page2 = client.get(links["next"])
    assert set(link_parts(page2.headers["link"])) == {"first", "next", "prev", "last"}
    # Kratos hands its 0-based page to pop's Paginate, which counts from 1: the `next` link (page 1) gives the
    # first page again, and page 2 the second (a real Kratos does so: tests/kratos/test_differential.py).
    assert [s["id"] for s in page2.json()] == [s["id"] for s in body]
    page3 = assert_success(client.get(f"/admin/identities/{alice}/sessions?page=2&per_page=3"))
    assert not {s["id"] for s in page3} & {s["id"] for s in body}
    assert all("verifiable_addresses" not in s["identity"] for s in body)  # the eager load reads no addresses
    for item in body:
        ory_client.Session.from_dict(item)
    active = client.get(f"/admin/identities/{alice}/sessions?active=true")
    assert active.headers["x-total-count"] == "7"
    assert set(link_parts(active.headers["link"])) == {"first"}
    assert "per_page=7" in active.headers["link"]  # one page: sizes set to the total
    garbage = client.get(f"/admin/identities/{alice}/sessions?page_token=garbage&page_size=3").json()
    assert [s["id"] for s in garbage] == [s["id"] for s in body]  # unparsable token = offset 0


def test_identity_sessions_unknown_and_bad(client: Any) -> None:
    resp = client.get(f"/admin/identities/{uuid.uuid4()}/sessions")
    assert assert_success(resp) == [] and resp.headers["x-total-count"] == "0"
    assert set(link_parts(resp.headers["link"])) == {"first", "next", "prev"}  # total = 0 quirk
    assert_error(client.get("/admin/identities/nope/sessions"), 400)


def test_delete_identity_sessions(client: Any, world: dict[str, Any]) -> None:
    alice = world["alice"]["id"]
    assert client.delete(f"/admin/identities/{alice}/sessions").status_code == 204
    assert_error(client.delete(f"/admin/identities/{alice}/sessions"), 404)
    err = assert_error(client.delete("/admin/identities/not-a-uuid/sessions"), 400)
    assert err["message"] == 'uuid: incorrect UUID length 10 in string "not-a-uuid"'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"action": "explode", "identities": ["*"]}, "The 'action' field must be one of 'disable' or 'delete'."),
        ({"action": "delete"}, "Exactly one of 'identities' or 'sessions' must be a non-empty array."),
        (
            {"action": "delete", "identities": ["*"], "sessions": [str(uuid.uuid4())]},
            "Exactly one of 'identities' or 'sessions' must be a non-empty array.",
        ),
        (
            {"action": "delete", "identities": [str(uuid.uuid4()) for _ in range(501)]},
            "Could not parse 'identities' field: at most 500 IDs may be provided per call",
        ),
        (
            {"action": "delete", "sessions": ["*"]},
            "Could not parse 'sessions' field: the wildcard '*' is not accepted here",
        ),
        ({"action": "delete", "identities": ["*", str(uuid.uuid4())]}, None),
        ({"action": "delete", "identities": ["x"]}, None),
    ],
)
def test_manage_sessions_errors(client: Any, body: dict[str, Any], reason: str | None) -> None:
    err = assert_error(client.post("/admin/sessions", json=body), 400)
    if reason:
        assert err["reason"] == reason
    else:
        assert err["reason"].startswith("Could not parse 'identities' field")
    assert_error(client.post("/admin/sessions", content=b"{nope"), 400, reason="Invalid JSON body.")


def test_manage_sessions_actions(client: Any, world: dict[str, Any]) -> None:
    alice = world["alice"]["id"]
    out = assert_success(client.post("/admin/sessions", json={"action": "disable", "identities": [alice]}))
    assert out == {"processed": 8, "more": False}  # only the ones active before the call
    spec_validate(out, "manageSessionsResponse")
    sid = world["sessions"][-2]["id"]
    out = client.post("/admin/sessions", json={"action": "delete", "sessions": [sid, str(uuid.uuid4())]}).json()
    assert out == {"processed": 1, "more": False}
    out = client.post("/admin/sessions", json={"action": "delete", "identities": ["*"]}).json()
    assert out == {"processed": 9, "more": False}


def test_manage_wildcard_chunks_of_5000(client: Any, app: Any) -> None:
    ident = make_identity()
    app.state.store.insert_identities([ident])
    app.state.store.insert_sessions([make_session(ident["id"], created_at="2024-01-01T00:00:00Z") for _ in range(5000)])
    first = client.post("/admin/sessions", json={"action": "disable", "identities": ["*"]}).json()
    assert first == {"processed": 5000, "more": True}
    assert client.post("/admin/sessions", json={"action": "disable", "identities": ["*"]}).json() == {
        "processed": 0,
        "more": False,
    }
