"""Retries: which methods are repeated on which failures, and how long the client waits."""

from __future__ import annotations

import logging

import httpx
import pytest
from client_fakes import KEY, json_response

from ory_frames._errors import BadRequestError, RateLimitError, ServerError, TransportError
from ory_frames.client._retry import RetryPolicy, parse_reset, parse_retry_after, server_wait, should_retry_status

ID = "7458af86-c1d8-401c-978a-8da89133f98b"
IDENTITY = {"id": ID, "schema_id": "default", "schema_url": "", "traits": {}}


def script(*responses):
    """A handler answering with the given responses (or raising the given exceptions) in turn."""
    queue = list(responses)

    def respond(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return respond


CALLS = {
    "get_identity": lambda c: c.get_identity(ID),
    "list_identities": lambda c: c.list_identities(),
    "update_identity": lambda c: c.update_identity(ID, {"schema_id": "default", "traits": {}, "state": "active"}),
    "delete_identity": lambda c: c.delete_identity(ID),
    "create_identity": lambda c: c.create_identity({"schema_id": "default", "traits": {}}),
    "batch_patch_identities": lambda c: c.batch_patch_identities({"identities": []}),
    "patch_identity": lambda c: c.patch_identity(ID, [{"op": "remove", "path": "/metadata_public"}]),
    "create_recovery_code_for_identity": lambda c: c.create_recovery_code_for_identity({"identity_id": ID}),
    "create_test_login_flow": lambda c: c.create_test_login_flow({"provider_id": "google"}),
    "manage_sessions": lambda c: c.manage_sessions({"action": "disable", "sessions": [ID]}),
    "extend_session": lambda c: c.extend_session(ID),
}
IDEMPOTENT = ["get_identity", "list_identities", "update_identity", "delete_identity"]
NOT_IDEMPOTENT = [name for name in CALLS if name not in IDEMPOTENT]


def ok_for(name: str) -> httpx.Response:
    if name == "list_identities":
        return json_response(200, [])
    if name == "delete_identity":
        return httpx.Response(204)
    return json_response(200, IDENTITY)


OK_BODIES = {
    "batch_patch_identities": json_response(200, {"identities": []}),
    "create_recovery_code_for_identity": json_response(201, {"recovery_link": "l", "recovery_code": "123456"}),
    "create_test_login_flow": json_response(
        201,
        {
            "id": ID,
            "type": "browser",
            "expires_at": "2030-01-01T00:00:00Z",
            "issued_at": "2030-01-01T00:00:00Z",
            "request_url": "u",
            "ui": {},
            "state": "choose_method",
        },
    ),
    "manage_sessions": json_response(200, {"processed": 1, "more": False}),
}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("name", IDEMPOTENT)
def test_idempotent_calls_retry_server_errors(make_client, clock, name, status):
    client, recorder = make_client(script(json_response(status, {}), json_response(status, {}), ok_for(name)))
    CALLS[name](client)
    assert len(recorder.requests) == 3
    assert clock.sleeps == [0.5, 1.0]  # full jitter with random()=1.0: base * 2**attempt


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("name", NOT_IDEMPOTENT)
def test_post_and_patch_never_retry_server_errors(make_client, clock, name, status):
    client, recorder = make_client(script(json_response(status, {})))
    with pytest.raises(ServerError):
        CALLS[name](client)
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("name", NOT_IDEMPOTENT)
def test_post_and_patch_never_retry_ambiguous_network_errors(make_client, name):
    client, recorder = make_client(script(httpx.ReadTimeout("slow")))
    with pytest.raises(TransportError):
        CALLS[name](client)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("name", list(CALLS))
def test_every_call_retries_429(make_client, clock, name):
    # A 429 (rate limit or in-flight block) means the request was not processed (section 14).
    ok = OK_BODIES.get(name) or ok_for(name)
    too_many = json_response(429, {"error": {"code": 429, "message": "Too Many Requests"}}, {"x-ratelimit-reset": "3"})
    client, recorder = make_client(script(too_many, ok))
    CALLS[name](client)
    assert len(recorder.requests) == 2
    assert clock.sleeps[0] == 3.0


@pytest.mark.parametrize("name", list(CALLS))
def test_every_call_retries_connect_errors(make_client, name):
    client, recorder = make_client(script(httpx.ConnectError("refused")), retries=2)
    with pytest.raises(TransportError):
        CALLS[name](client)
    assert len(recorder.requests) == 3


def test_retries_give_up_with_the_last_error(make_client, clock):
    client, recorder = make_client(script(json_response(503, {"error": {"code": 503, "message": "down"}})), retries=5)
    with pytest.raises(ServerError, match="down"):
        client.get_identity(ID)
    assert len(recorder.requests) == 6
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped_at_30_seconds():
    policy = RetryPolicy(retries=20, random=lambda: 1.0)
    assert [policy.backoff(n) for n in (0, 5, 6, 10, 40)] == [0.5, 16.0, 30.0, 30.0, 30.0]
    jittered = RetryPolicy(random=lambda: 0.25)
    assert jittered.backoff(3) == pytest.approx(1.0)


def test_429_waits_for_reset_then_retry_after_then_backoff(make_client, clock):
    responses = script(
        json_response(429, {}, {"x-ratelimit-reset": "12"}),
        json_response(429, {}, {"Retry-After": "4"}),
        json_response(429, {}),
        json_response(200, IDENTITY),
    )
    client, _ = make_client(responses, budget=None)
    client.get_identity(ID)
    assert clock.sleeps[:1] == [12.0]
    assert 4.0 in clock.sleeps
    assert clock.sleeps[-1] == 2.0  # third retry: backoff(2) with random()=1.0


def test_ratelimit_reset_on_a_5xx_is_not_a_wait_hint():
    # Ory Network sends x-ratelimit-* on every answer; on a 500 the reset is just the window's end.
    assert server_wait(500, {"x-ratelimit-reset": "45"}) is None
    assert server_wait(429, {"x-ratelimit-reset": "45"}) == 45.0
    assert server_wait(503, {"retry-after": "2"}) == 2.0
    assert server_wait(429, {"x-ratelimit-reset": "100000"}) is None  # bogus: fall back to backoff


def test_header_parsers():
    assert parse_reset({"x-ratelimit-reset": "17"}) == 17.0
    assert parse_reset({"x-ratelimit-reset": "1.5"}) == 1.5
    assert parse_reset({}) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("garbage") is None


def test_status_rules():
    assert should_retry_status("GET", 503)
    assert should_retry_status("DELETE", 502)
    assert should_retry_status("PUT", 500)
    assert not should_retry_status("POST", 500)
    assert not should_retry_status("PATCH", 503)
    assert should_retry_status("POST", 429)
    assert not should_retry_status("GET", 400)
    assert not should_retry_status("GET", 501)


def test_rate_limit_error_after_exhausting_retries(make_client):
    client, recorder = make_client(script(json_response(429, {}, {"x-ratelimit-reset": "1"})), retries=2)
    with pytest.raises(RateLimitError):
        client.create_identity({"schema_id": "default", "traits": {}})
    assert len(recorder.requests) == 3


def test_400_is_not_retried(make_client):
    client, recorder = make_client(script(json_response(400, {"error": {"code": 400, "message": "bad"}})))
    with pytest.raises(BadRequestError):
        client.get_identity(ID)
    assert len(recorder.requests) == 1


def test_retry_resends_the_same_body(make_client):
    client, recorder = make_client(script(json_response(429, {}), json_response(201, IDENTITY)))
    client.create_identity({"schema_id": "default", "traits": {"email": "a@b.c"}})
    assert recorder.requests[0].content == recorder.requests[1].content != b""


def test_retries_are_logged_without_secrets(make_client, caplog):
    url_with_secret = "/admin/identities/x"
    client, _ = make_client(script(json_response(503, {}), json_response(200, IDENTITY)))
    with caplog.at_level(logging.DEBUG, logger="ory_frames"):
        client.get_identity("x")
    assert any(url_with_secret in r.getMessage() and "HTTP 503" in r.getMessage() for r in caplog.records)
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in caplog.text
