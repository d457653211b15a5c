"""Data-subject requests end to end against a seeded sandbox: lookup, the report, erasure and its receipt."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from drift_support import running
from secret_scan import find_secrets

from ory_frames import Client, InvalidInputError, NotFoundError
from ory_frames.subject import (
    AmbiguousSubjectError,
    ErasureError,
    SubjectNotFoundError,
    erase_subject,
    subject_report,
)

pytest.importorskip("uvicorn")

KEY = "ory_pat_subject_tests_0123456789"
SECRET_TYPES = ["password", "totp", "lookup_secret", "oidc"]
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture(scope="module")
def url(server_mode: str) -> Iterator[str]:
    with running(seed_identities=120, seed=13, api_key=KEY) as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[Client]:
    with Client(url, api_key=KEY, retries=0) as c:
        yield c


def _sessions(client: Client, identity_id: str) -> list[dict[str, Any]]:
    return list(client.list_identity_sessions(identity_id, page_size=1000))


@pytest.fixture(scope="module")
def people(url: str) -> list[dict[str, Any]]:
    """Seeded default-schema identities with a name and at least two sessions, richest secrets first.

    Each entry is the identity as GET with every secret-bearing credential declassified, plus its sessions.
    """
    found = []
    with Client(url, api_key=KEY) as c:
        for item in c.list_identities(page_size=500):
            if item["schema_id"] != "default" or not item["traits"].get("name"):
                continue
            sessions = _sessions(c, item["id"])
            if len(sessions) < 2:
                continue
            full = c.get_identity(item["id"], include_credential=SECRET_TYPES).raw
            found.append({**full, "sessions": sessions})
            if len(found) == 20:
                break
    found.sort(key=lambda doc: -len(doc.get("credentials") or {}))
    assert len(found) >= 8, "the seed no longer gives enough identities with sessions"
    return found


@pytest.fixture
def take(people: list[dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Hand out each seeded person once per module, so that erasures in one test do not spoil another."""

    def pick() -> dict[str, Any]:
        return people.pop(0)

    return pick


def _personal_values(doc: dict[str, Any]) -> list[str]:
    """Every email, name, external id, IP address, user agent and location the sandbox holds about someone."""
    traits = doc["traits"]
    values = [traits["email"], traits["name"]["first"], traits["name"]["last"]]
    values += [a["value"] for a in doc.get("verifiable_addresses", []) + doc.get("recovery_addresses", [])]
    if doc.get("external_id"):
        values.append(doc["external_id"])
    for session in doc["sessions"]:
        for device in session.get("devices") or []:
            values += [str(device[k]) for k in ("ip_address", "user_agent", "location") if device.get(k)]
    return values


# --- lookup ---------------------------------------------------------------------------------------------


def test_report_by_email_holds_identity_credentials_addresses_and_every_session(
    client: Client, people: list[dict[str, Any]]
) -> None:
    person = people[0]
    email = person["traits"]["email"]
    report = subject_report(client, email)
    data = report.json
    assert report.identity_id == data["identity_id"] == person["id"]
    assert data["matched_by"] == ["credentials_identifier"]
    assert data["identity"]["traits"] == person["traits"]
    assert data["identity"]["metadata_public"] == person.get("metadata_public")
    assert [a["value"] for a in data["identity"]["verifiable_addresses"]] == [
        a["value"] for a in person["verifiable_addresses"]
    ]
    assert [a["value"] for a in data["identity"]["recovery_addresses"]] == [
        a["value"] for a in person["recovery_addresses"]
    ]
    creds = {c["type"]: c for c in data["credentials"]}
    assert set(creds) == set(person["credentials"])
    for kind, entry in person["credentials"].items():
        assert creds[kind]["identifiers"] == entry["identifiers"]
    assert {s["id"] for s in data["sessions"]} == {s["id"] for s in person["sessions"]}
    devices = {d["id"]: d for s in person["sessions"] for d in s["devices"]}
    for session in data["sessions"]:
        assert "identity" not in session
        for device in session["devices"]:
            assert device["ip_address"] == devices[device["id"]]["ip_address"]
            assert device["user_agent"] == devices[device["id"]]["user_agent"]
    assert data["counts"]["sessions"] == len(person["sessions"]) >= 2
    assert data["counts"]["devices"] == len(devices)
    json.dumps(data)  # serialisable as it stands
    assert repr(report) == (
        f"SubjectReport(identity_id={person['id']!r}, credentials={len(creds)}, sessions={len(person['sessions'])})"
    )


def test_every_timestamp_in_the_report_is_rfc3339_utc(client: Client, people: list[dict[str, Any]]) -> None:
    data = subject_report(client, people[0]["id"]).json
    stamps: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("traits", "metadata_public", "metadata_admin"):
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key.endswith("_at") and value is not None:
            stamps.append(value)

    walk(data)
    assert len(stamps) > 10
    assert [s for s in stamps if not RFC3339_UTC.match(s)] == []


@pytest.mark.newer_kratos("external_id came later")
def test_lookup_by_id_and_by_external_id(client: Client, people: list[dict[str, Any]]) -> None:
    person = people[1]
    external = f"crm-{uuid.uuid4().hex[:12]}"
    client.patch_identity(person["id"], [{"op": "add", "path": "/external_id", "value": external}])
    by_id = subject_report(client, person["id"])
    by_external = subject_report(client, external)
    assert by_id.identity_id == by_external.identity_id == person["id"]
    assert by_id.json["matched_by"] == ["id"]
    assert by_external.json["matched_by"] == ["external_id"]
    assert by_external.json["identity"]["external_id"] == external
    assert subject_report(client, f"  {external}  ", by="external_id").identity_id == person["id"]
    with pytest.raises(SubjectNotFoundError):
        subject_report(client, external, by="credentials_identifier")


def _create(client: Client, schema_id: str, traits: dict[str, Any], **extra: Any) -> str:
    return client.create_identity({"schema_id": schema_id, "traits": traits, **extra}).id


@pytest.mark.newer_kratos("external_id came later")
def test_a_text_that_names_two_identities_is_refused_with_both_ids(client: Client) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    by_username = _create(client, "username", {"username": shared})
    by_external = _create(client, "default", {"email": f"{shared}@example.org"}, external_id=shared)
    with pytest.raises(AmbiguousSubjectError) as caught:
        subject_report(client, shared)
    assert {ident for ident, _how in caught.value.candidates} == {by_username, by_external}
    assert by_username in str(caught.value) and by_external in str(caught.value)
    with pytest.raises(AmbiguousSubjectError):
        erase_subject(client, shared, confirm=shared)
    assert client.get_identity(by_username).id == by_username  # nothing was deleted
    assert client.get_identity(by_external).id == by_external
    assert subject_report(client, shared, by="external_id").identity_id == by_external
    assert subject_report(client, shared, by="credentials_identifier").identity_id == by_username


@pytest.mark.newer_kratos("external_id came later")
def test_an_id_that_is_another_identitys_external_id_is_ambiguous(client: Client) -> None:
    first = _create(client, "default", {"email": f"{uuid.uuid4().hex[:8]}@example.org"})
    second = _create(client, "default", {"email": f"{uuid.uuid4().hex[:8]}@example.org"}, external_id=first)
    with pytest.raises(AmbiguousSubjectError) as caught:
        subject_report(client, first)
    assert dict(caught.value.candidates) == {first: ("id",), second: ("external_id",)}
    assert subject_report(client, first, by="id").identity_id == first


@pytest.mark.parametrize("who", ["nobody-here@example.org", "cus_doesnotexist", "3f0b9c52-7d1e-4c8a-9b6f-2e5d4a1c8f07"])
def test_nobody_matching_is_a_not_found_error_naming_the_lookups(client: Client, who: str) -> None:
    with pytest.raises(SubjectNotFoundError) as caught:
        subject_report(client, who)
    assert isinstance(caught.value, NotFoundError) and caught.value.status == 404
    assert str(caught.value).startswith(f"no identity matches {who!r} (tried: ")
    assert "credential identifier" in str(caught.value)


# --- the report: no secret, files, HTML ---------------------------------------------------------------


def test_the_report_holds_no_secret(client: Client, people: list[dict[str, Any]]) -> None:
    person = people[0]
    raw = json.dumps(person)
    assert find_secrets(raw), "the subject should have secrets on the server for this test to mean anything"
    report = subject_report(client, person["traits"]["email"])
    assert find_secrets(json.dumps(report.json)) == []
    assert find_secrets(report.html) == []
    configs = [entry.get("config") for entry in person["credentials"].values()]
    for config in configs:
        for value in (config or {}).values():
            if isinstance(value, str) and len(value) > 8:
                assert value not in report.html and value not in json.dumps(report.json)
    assert all("config" not in c for c in report.json["credentials"])


def test_path_writes_json_and_html_named_by_id_only(
    client: Client, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    person = people[2]
    out = tmp_path / "dsar" / "nested"
    report = subject_report(client, person["traits"]["email"], path=out)
    stem = f"subject-{person['id']}"
    assert report.paths == (out / f"{stem}.json", out / f"{stem}.html")
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.html", f"{stem}.json"]  # no temporary file left
    assert json.loads((out / f"{stem}.json").read_text(encoding="utf-8")) == report.json
    assert (out / f"{stem}.html").read_text(encoding="utf-8") == report.html
    again = subject_report(client, person["id"], path=out)  # replaces the files of the same subject
    assert json.loads(again.paths[0].read_text(encoding="utf-8"))["matched_by"] == ["id"]
    assert report.html.startswith("<!DOCTYPE html>")
    assert not [tag for tag in ("<script", "<link", "src=", "@import") if tag in report.html]  # self-contained


def test_every_value_in_the_html_is_escaped(client: Client) -> None:
    hostile = "<script>alert(1)</script>"
    ident = _create(
        client,
        "default",
        {"email": f"{uuid.uuid4().hex[:8]}@example.org", "name": {"first": hostile, "last": "O'Brien & <Co>"}},
        metadata_admin={"note": "<img src=x onerror=boom>"},
    )
    page = subject_report(client, ident).html
    assert hostile not in page and "<img" not in page and "<Co>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=boom&gt;" in page
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in page


# --- erasure ------------------------------------------------------------------------------------------


def test_erase_by_email_then_again_by_id_and_by_email(client: Client, take: Callable[[], dict[str, Any]]) -> None:
    person = take()
    email = person["traits"]["email"]
    receipt = erase_subject(client, email, confirm=email)
    assert (receipt.identity_id, receipt.status) == (person["id"], "erased")
    assert receipt.sessions_deleted == len(person["sessions"]) >= 2
    assert receipt.identity_deleted is True
    assert receipt.json["removed"] == {"sessions": len(person["sessions"]), "identity": 1}
    assert [s.step for s in receipt.steps] == [
        "count_sessions",
        "delete_sessions",
        "delete_identity",
        "verify_identity",
        "verify_sessions",
    ]
    assert [s.status for s in receipt.steps][1:4] == [204, 204, 404]
    assert RFC3339_UTC.match(receipt.json["completed_at"]) and receipt.started_at <= receipt.completed_at
    with pytest.raises(NotFoundError):  # the server agrees
        client.get_identity(person["id"])
    for session in person["sessions"]:
        with pytest.raises(NotFoundError):
            client.get_session(session["id"])

    again = erase_subject(client, person["id"], confirm=person["id"])
    assert (again.identity_id, again.status, again.sessions_deleted, again.identity_deleted) == (
        person["id"],
        "already_erased",
        0,
        False,
    )
    assert [(s.step, s.status) for s in again.steps] == [("verify_identity", 404)]
    with pytest.raises(SubjectNotFoundError, match="erase by identity id"):
        erase_subject(client, email, confirm=email)
    with pytest.raises(SubjectNotFoundError):
        subject_report(client, email)


def test_erase_confirmed_with_the_id_found_for_an_email(client: Client, take: Callable[[], dict[str, Any]]) -> None:
    person = take()
    receipt = erase_subject(client, person["traits"]["email"], confirm=person["id"].upper())
    assert receipt.status == "erased" and receipt.identity_id == person["id"]


def test_an_identity_without_sessions_is_erased(client: Client) -> None:
    ident = _create(client, "default", {"email": f"{uuid.uuid4().hex[:8]}@example.org"})
    receipt = erase_subject(client, ident, confirm=ident)
    assert receipt.status == "erased" and receipt.sessions_deleted == 0
    assert {s.step: s.status for s in receipt.steps}["delete_sessions"] == 404  # Ory's answer for none (§7)


@pytest.mark.newer_kratos("external_id came later")
def test_the_receipt_names_nobody_but_the_id(client: Client, take: Callable[[], dict[str, Any]]) -> None:
    person = take()
    external = f"crm-{uuid.uuid4().hex[:12]}"
    client.patch_identity(person["id"], [{"op": "add", "path": "/external_id", "value": external}])
    person["external_id"] = external
    receipt = erase_subject(client, external, confirm=external)
    texts = [json.dumps(receipt.json), repr(receipt), str(receipt), repr(receipt.steps)]
    personal = _personal_values(person)
    assert len(personal) >= 8
    ips = [v for v in personal if re.match(r"^[0-9a-f.:]+$", v) and any(ch in v for ch in ".:")]
    assert ips, "the subject should have device IP addresses for this test to mean anything"
    for text in texts:
        assert person["id"] in text
        leaked = [v for v in personal if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text, re.IGNORECASE)]
        assert leaked == [], f"the receipt holds personal data: {leaked}"
        assert "@" not in text
    assert set(receipt.json) == {
        "format",
        "version",
        "identity_id",
        "status",
        "removed",
        "started_at",
        "completed_at",
        "server",
        "requests",
    }


class StampingTransport(httpx.BaseTransport):
    """Real HTTP to the sandbox, with an `x-request-id` on every response, as a gateway in front of Ory may add."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        request_id = f"req-{len(self.sent) + 1:03d}"
        self.sent.append((request.method, request.url.path, request_id))
        response.headers["x-request-id"] = request_id
        return response

    def close(self) -> None:
        self._inner.close()


def test_the_receipt_carries_orys_request_id_of_every_erasure_call(
    url: str, take: Callable[[], dict[str, Any]]
) -> None:
    person = take()
    transport = StampingTransport()
    with Client(url, api_key=KEY, transport=transport, retries=0) as client:
        receipt = erase_subject(client, person["id"], confirm=person["id"])
    # The lookup's reads come first; the receipt's steps are the last requests sent, in order.
    assert receipt.request_ids == [rid for _method, _path, rid in transport.sent[-len(receipt.steps) :]]
    assert [(s.method, s.path) for s in receipt.steps] == [
        (method, path) for method, path, _rid in transport.sent[-len(receipt.steps) :]
    ]
    assert receipt.json["requests"][3] == {
        "step": "verify_identity",
        "method": "GET",
        "path": f"/admin/identities/{person['id']}",
        "status": 404,
        "request_id": receipt.steps[3].request_id,
    }


def test_an_identity_still_readable_after_the_deletes_is_an_erasure_error() -> None:
    ident = str(uuid.uuid4())
    doc = {"id": ident, "schema_id": "default", "traits": {"email": "x@example.org"}, "credentials": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "DELETE":
            return httpx.Response(204, headers={"x-request-id": "del"})
        if path.endswith("/sessions") or path == "/admin/identities":
            return httpx.Response(200, json=[])
        if "/by/external/" in path:
            return httpx.Response(404, json={"error": {"code": 404, "message": "Unable to locate the resource"}})
        return httpx.Response(200, json=doc, headers={"x-request-id": "still-there"})

    client = Client("http://127.0.0.1:9", transport=httpx.MockTransport(handler), retries=0)
    with pytest.raises(ErasureError, match="the identity can still be read") as caught:
        erase_subject(client, ident, confirm=ident)
    assert caught.value.receipt.status == "incomplete"
    assert caught.value.receipt.request_ids[-2:] == ["del", "still-there"]


# --- refused before any request -----------------------------------------------------------------------


def _refusing_client() -> tuple[Client, list[str]]:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url}")
        return httpx.Response(500)

    return Client("http://127.0.0.1:9", transport=httpx.MockTransport(handler), retries=0), sent


@pytest.mark.parametrize(
    ("identity", "kwargs", "message"),
    [
        ("", {}, "identity is empty"),
        ("   ", {}, "identity is empty"),
        (None, {}, "not NoneType"),
        ("ada@example.org", {"by": "email"}, "by='email' is not one of"),
        ("ada@example.org", {"by": "id"}, "is not an identity id"),
    ],
)
def test_bad_identity_is_refused_before_any_request(identity: Any, kwargs: dict[str, Any], message: str) -> None:
    client, sent = _refusing_client()
    with pytest.raises(InvalidInputError, match=message):
        subject_report(client, identity, **kwargs)
    with pytest.raises(InvalidInputError, match=message):
        erase_subject(client, identity, confirm="ada@example.org", **kwargs)
    assert sent == []


@pytest.mark.parametrize("confirm", [True, "", "  ", "someone.else@example.org", "ADA@example.org", None, 1])
def test_wrong_confirm_is_refused_before_any_request(confirm: Any) -> None:
    client, sent = _refusing_client()
    with pytest.raises(InvalidInputError, match="nothing was sent"):
        erase_subject(client, "ada@example.org", confirm=confirm)
    assert sent == []


def test_confirm_naming_another_id_is_refused_before_any_delete(url: str, people: list[dict[str, Any]]) -> None:
    person = people[-1]
    methods: list[str] = []

    def record(request: httpx.Request) -> None:
        methods.append(request.method)

    transport = httpx.HTTPTransport()
    with Client(url, api_key=KEY, transport=_Hook(transport, record), retries=0) as client:
        with pytest.raises(InvalidInputError, match="is not the id of the identity"):
            erase_subject(client, person["traits"]["email"], confirm=str(uuid.uuid4()))
        assert methods and set(methods) == {"GET"}
        assert client.get_identity(person["id"]).id == person["id"]


class _Hook(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, hook: Callable[[httpx.Request], None]) -> None:
        self._inner, self._hook = inner, hook

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._hook(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# --- odd but real answers ------------------------------------------------------------------------------


def test_real_world_timestamps_and_unknown_fields_in_the_report() -> None:
    ident = str(uuid.uuid4())
    identity = {
        "id": ident,
        "credentials": {
            "password": {"type": "password", "identifiers": ["ada@example.org"], "version": 1},
            # A credential type and a credential key ory_frames has never seen: no config, no unknown key.
            "quantum": {
                "type": "quantum",
                "identifiers": ["q-1"],
                "config": {"entangled_key": "never-in-a-report"},
                "private_blob": "never-in-a-report-either",
            },
        },
        "schema_id": "default",
        "state": "active",
        "state_changed_at": "2021-08-17T11:15:59.232051+02:00",
        "traits": {"email": "ada@example.org", "signup_at": "2020-01-01T00:00:00+05:00"},
        "metadata_public": None,
        "created_at": "2023-12-20T07:20:43.512549123Z",
        "updated_at": "2023-12-20T07:20:43Z",
        "organization_id": None,
        "region": "eu-central",
    }
    session = {
        "id": str(uuid.uuid4()),
        "active": True,
        "authenticated_at": "2024-03-01T10:00:00.5-01:30",
        "authentication_methods": [{"method": "password", "aal": "", "completed_at": "0001-01-01T00:00:00Z"}],
        "devices": [{"id": str(uuid.uuid4()), "ip_address": "192.0.2.7", "user_agent": "curl", "fingerprint": "x"}],
        "identity": identity,
        "risk_score": 0.2,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/admin/identities/{ident}":
            return httpx.Response(200, json=identity)
        if path == f"/admin/identities/{ident}/sessions":
            return httpx.Response(200, json=[session] if request.url.params.get("page_token") is None else [])
        if path == "/admin/identities":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"error": {"code": 404, "message": "Unable to locate the resource"}})

    client = Client("http://127.0.0.1:9", transport=httpx.MockTransport(handler), retries=0)
    data = subject_report(client, ident).json
    assert data["identity"]["state_changed_at"] == "2021-08-17T09:15:59.232051Z"
    assert data["identity"]["created_at"] == "2023-12-20T07:20:43.512549Z"
    assert data["identity"]["updated_at"] == "2023-12-20T07:20:43.000000Z"
    assert data["identity"]["traits"]["signup_at"] == "2020-01-01T00:00:00+05:00"  # the person's data: as sent
    assert data["identity"]["region"] == "eu-central"
    assert data["credentials"][1] == {"type": "quantum", "identifiers": ["q-1"]}
    assert "never-in-a-report" not in json.dumps(data) and "never-in-a-report" not in subject_report(client, ident).html
    (got,) = data["sessions"]
    assert got["authenticated_at"] == "2024-03-01T11:30:00.500000Z"
    assert got["authentication_methods"][0]["completed_at"] is None  # Go's zero time: "never"
    assert got["risk_score"] == 0.2 and got["devices"][0]["fingerprint"] == "x"
    assert "identity" not in got
