"""The before_record hooks: what a cassette would hold is free of secrets, and still valid, same-shaped JSON."""

from __future__ import annotations

import json
from typing import Any

from cassette_scrub import REPLAY_BASE_URL, SCRUBBED, SCRUBBED_IN_URL, request_hook, response_hook, scrub_json
from secret_scan import find_secrets
from vcr.request import Request

from ory_frames.sandbox._seed import iter_seed_docs

KEY = "ory_apikey_recording_00112233445566778899aabbccddeeff"


def _response(body: Any, **headers: str) -> dict[str, Any]:
    """A response as vcrpy hands it to before_record_response."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    listed = {"Content-Type": ["application/json; charset=utf-8"], **{k: [v] for k, v in headers.items()}}
    return {"status": {"code": 200, "message": "OK"}, "headers": listed, "body": {"string": raw}}


def _seeded_identities() -> list[dict[str, Any]]:
    """The sandbox's seeded identities with every credential config (as ``include_credential`` returns them)."""
    return [doc for doc, _sessions in iter_seed_docs(30, seed=5)]


def test_seeded_credentials_are_scrubbed_and_json_keeps_its_shape() -> None:
    docs = _seeded_identities()
    raw = json.dumps(docs)
    assert find_secrets(raw), "the seeded data should hold secrets for this test to mean anything"

    recorded = response_hook([KEY])(_response(docs))
    text = recorded["body"]["string"].decode()
    assert find_secrets(text) == []
    scrubbed = json.loads(text)
    assert len(scrubbed) == len(docs)
    for before, after in zip(docs, scrubbed, strict=True):
        assert after["id"] == before["id"] and after["traits"] == before["traits"]
        assert set(after.get("credentials", {})) == set(before.get("credentials", {}))
        for kind, cred in before.get("credentials", {}).items():
            config, config_after = cred["config"], after["credentials"][kind]["config"]
            assert set(config_after) == set(config)
            if "hashed_password" in config:
                assert config_after["hashed_password"] == SCRUBBED
            if "totp_url" in config:
                assert config_after["totp_url"] == SCRUBBED
            for provider, provider_after in zip(
                config.get("providers", []), config_after.get("providers", []), strict=True
            ):
                assert provider_after["subject"] == provider["subject"]
                for token in ("initial_id_token", "initial_access_token", "initial_refresh_token"):
                    assert provider_after[token] == (SCRUBBED if provider[token] else "")
            for code in config_after.get("recovery_codes", []):
                assert code["code"] == SCRUBBED
            if kind == "code":
                assert config_after == config  # addresses are not secret


def test_recovery_answers_and_session_tokens_are_scrubbed() -> None:
    body = {
        "recovery_link": "http://127.0.0.1:4433/self-service/recovery?flow=7c1e&token=Zx81kq_-abc",
        "recovery_code": "048213",
        "expires_at": "2030-01-01T00:00:00Z",
        "session": {"id": "s1", "tokenized": "eyJhbGciOi.x.y", "session_token": "ory_st_abcdefgh12345678"},
    }
    out = json.loads(response_hook([])(_response(body))["body"]["string"])
    assert out["recovery_link"] == f"http://127.0.0.1:4433/self-service/recovery?flow=7c1e&token={SCRUBBED_IN_URL}"
    assert out["recovery_code"] == SCRUBBED and out["expires_at"] == body["expires_at"]
    assert out["session"] == {"id": "s1", "tokenized": SCRUBBED, "session_token": SCRUBBED}


def test_the_api_key_is_scrubbed_everywhere_and_only_harmless_headers_stay() -> None:
    response = _response(
        {"error": {"message": f"key {KEY} is not valid"}},
        Link=f'</admin/identities?page_token=x&k={KEY}>; rel="next"',
        **{"Set-Cookie": "ory_session=abc", "Date": "today", "X-Ratelimit-Remaining": "3"},
    )
    recorded = response_hook([KEY])(response)
    assert set(recorded["headers"]) == {"content-type", "link"}
    text = json.dumps({"headers": recorded["headers"], "body": recorded["body"]["string"].decode()})
    assert KEY not in text and find_secrets(text) == []
    assert json.loads(recorded["body"]["string"]) == {"error": {"message": f"key {SCRUBBED} is not valid"}}


def test_non_json_bodies_lose_bearer_values_and_keys() -> None:
    body = f"upstream said: key {KEY} denied; Authorization Bearer abc.def-123".encode()
    recorded = response_hook([KEY])(_response(body, **{"Content-Type": "text/plain"}))
    assert recorded["body"]["string"] == b"upstream said: key <scrubbed> denied; Authorization Bearer ***"


def test_request_hook_drops_credentials_rebases_and_scrubs_the_body() -> None:
    body = json.dumps(
        {
            "schema_id": "default",
            "traits": {"email": "a@b.c"},
            "credentials": {"password": {"config": {"password": "pw"}}},
        }
    ).encode()
    request = Request(
        "POST",
        f"http://127.0.0.1:53817/admin/identities?api_key={KEY}&page_size=2",
        body,
        {"Authorization": f"Bearer {KEY}", "Cookie": "x=1", "Content-Type": "application/json", "Accept": "*/*"},
    )
    recorded = request_hook([KEY])(request)
    assert {k.lower() for k in recorded.headers} == {"content-type", "accept"}
    assert recorded.uri == f"{REPLAY_BASE_URL}/admin/identities?api_key={SCRUBBED_IN_URL}&page_size=2"
    assert recorded.body is not None
    sent = json.loads(recorded.body)
    assert sent["credentials"]["password"]["config"]["password"] == SCRUBBED
    assert sent["traits"] == {"email": "a@b.c"}


def test_scrub_json_leaves_non_secret_values_alone() -> None:
    value = {
        "traits": {"password_hint": "basic plan", "codes": ["A1"]},  # not inside a credential config
        "metadata_public": {"basic": "Basic plan for bearer bonds"},
        "config": {"addresses": [{"channel": "email", "address": "a@b.c"}]},
    }
    assert scrub_json(value) == value
