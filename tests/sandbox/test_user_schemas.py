"""The user's own identity schemas: `create_app(schemas=...)`, `--schemas DIR`, and one added while the sandbox runs.

`GET /schemas` lists them in configuration order, after the bundled ones, and `GET /schemas/{id}` answers
each by plain or base64url id, as Kratos does (wire notes §11).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ory_frames.cli import main
from ory_frames.sandbox import create_app
from ory_frames.sandbox._user_schemas import load_schemas

pytestmark = pytest.mark.sandbox_only("the sandbox's own schema configuration and /__sandbox/schemas")

MEMBER: dict[str, Any] = {
    "$id": "https://example.org/member.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
                },
                "nickname": {"type": "string"},
            },
            "required": ["email"],
        }
    },
}


def listed(client: TestClient) -> list[str]:
    return [item["id"] for item in client.get("/schemas").json()]


def test_a_directory_of_schemas_is_served_after_the_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "member.json").write_text(json.dumps(MEMBER))
    (tmp_path / "admin.json").write_text(json.dumps({"type": "object"}))
    (tmp_path / "notes.txt").write_text("not a schema")
    client = TestClient(create_app(schemas=tmp_path))
    assert listed(client) == ["default", "username", "phone", "b2b", "admin", "member"]
    assert client.get("/schemas/member").json() == MEMBER
    encoded = base64.urlsafe_b64encode(b"member").decode().rstrip("=")
    assert client.get(f"/schemas/{encoded}").json() == MEMBER
    created = client.post("/admin/identities", json={"schema_id": "member", "traits": {"email": "a@example.org"}})
    assert created.status_code == 201, created.text
    assert created.json()["credentials"]["password"]["identifiers"] == ["a@example.org"]


def test_instead_of_the_bundled_ones_and_from_a_saved_get_schemas_answer(tmp_path: Path) -> None:
    saved = tmp_path / "schemas.json"
    saved.write_text(json.dumps([{"id": "member", "schema": MEMBER}, {"id": "staff", "schema": {"type": "object"}}]))
    client = TestClient(create_app(schemas=saved, bundled_schemas=False))
    assert listed(client) == ["member", "staff"]
    assert client.get("/schemas/default").status_code == 404


def test_a_schema_added_while_running_is_listed_and_validates() -> None:
    client = TestClient(create_app())
    answer = client.put("/__sandbox/schemas/member", json=MEMBER)
    assert (answer.status_code, answer.json()) == (201, {"id": "member", "schema": MEMBER})
    assert listed(client)[-1] == "member"
    bad = client.post("/admin/identities", json={"schema_id": "member", "traits": {"nickname": "x"}})
    assert bad.status_code == 400 and "missing properties" in bad.text
    replaced = client.put("/__sandbox/schemas/member", json={**MEMBER, "title": "Member"})
    assert replaced.status_code == 200
    assert client.get("/schemas/member").json()["title"] == "Member"
    assert listed(client).count("member") == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{nope", "not a valid identity schema"), (b"[1]", "not a JSON object"), (b'{"type": 3}', "at type")],
)
def test_a_bad_schema_is_a_400_in_orys_envelope(body: bytes, reason: str) -> None:
    answer = TestClient(create_app()).put("/__sandbox/schemas/bad", content=body)
    assert answer.status_code == 400
    assert reason in answer.json()["error"]["reason"]


def test_the_api_key_guards_the_schema_route() -> None:
    client = TestClient(create_app(api_key="k"))
    assert client.put("/__sandbox/schemas/member", json=MEMBER).status_code == 401
    authorized = client.put("/__sandbox/schemas/member", json=MEMBER, headers={"authorization": "Bearer k"})
    assert authorized.status_code == 201


def test_load_schemas_refusals(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no"):
        load_schemas(tmp_path)
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(ValueError, match="is not JSON"):
        load_schemas(tmp_path)
    with pytest.raises(ValueError, match="bundled_schemas=False needs schemas"):
        create_app(bundled_schemas=False)
    with pytest.raises(ValueError, match="seed_identities needs the bundled schemas"):
        create_app(schemas={"m": MEMBER}, bundled_schemas=False, seed_identities=3)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--no-bundled-schemas"], "--no-bundled-schemas needs --schemas DIR"),
        (["--schemas", ".", "--no-bundled-schemas", "--seed-identities", "3"], "--seed-identities needs"),
    ],
)
def test_cli_schema_flags_that_cannot_go_together(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "--port", "0", *argv]) == 2
    assert expected in capsys.readouterr().err


def test_cli_a_directory_without_schemas_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "0", "--schemas", str(tmp_path)]) == 1
    assert "holds no *.json schema file" in capsys.readouterr().err
