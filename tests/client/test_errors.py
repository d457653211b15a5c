"""Error translation: Ory's envelope and its variants -> the ApiError tree (wire notes §13)."""

from __future__ import annotations

import httpx
import pytest
from client_fakes import KEY, json_response

from ory_frames._errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, ApiError),
        (422, ApiError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
def test_every_status_class(make_client, status, cls):
    body = {"error": {"code": status, "status": "X", "message": "m", "reason": "r"}}
    client, _ = make_client(lambda r: json_response(status, body, {"x-ratelimit-reset": "0"}), retries=0)
    with pytest.raises(cls) as info:
        client.get_identity("abc")
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.message == "m"
    assert info.value.reason == "r"


def test_full_envelope_fields(make_client):
    # wire notes §13: id, code, status, request, reason, details, message.
    body = {
        "error": {
            "id": "some_error",
            "code": 409,
            "status": "Conflict",
            "request": "38308051-dd5e-9f91-b053-5b32f751b281",
            "reason": "This identity conflicts with another identity that already exists.",
            "details": {"field": "traits.email"},
            "message": "The resource could not be created due to a conflict",
        }
    }
    client, _ = make_client(lambda r: json_response(409, body, {"Ory-Error-Id": "err-123"}))
    with pytest.raises(ConflictError) as info:
        client.create_identity({"schema_id": "default", "traits": {"email": "a@b.c"}})
    err = info.value
    assert err.code == 409
    assert err.request_id == "38308051-dd5e-9f91-b053-5b32f751b281"
    assert err.error_id == "err-123"
    assert err.details == {"field": "traits.email"}
    assert err.method == "POST"
    assert err.url == "https://acme.projects.oryapis.com/admin/identities"
    assert "conflicts with another identity" in str(err)
    assert "[request id 38308051" in str(err)


def test_request_id_falls_back_to_header_and_error_id_to_envelope(make_client):
    body = {"error": {"id": "env-id", "code": 404, "status": "Not Found", "message": "Unable to locate the resource"}}
    client, _ = make_client(lambda r: json_response(404, body, {"x-request-id": "hdr-req"}))
    with pytest.raises(NotFoundError) as info:
        client.get_session("s1")
    assert info.value.request_id == "hdr-req"
    assert info.value.error_id == "env-id"
    assert info.value.reason is None


def test_batch_quirk_500_in_body_with_400_status(make_client):
    # wire notes §4: strict-decode failures are sent as HTTP 400 with code 500 in the body.
    body = {"error": {"code": 500, "status": "Internal Server Error", "message": 'json: unknown field "x"'}}
    client, recorder = make_client(lambda r: json_response(400, body))
    with pytest.raises(BadRequestError) as info:
        client.batch_patch_identities({"identities": [{"create": {"x": 1}}]})
    assert info.value.status == 400
    assert info.value.code == 500
    assert len(recorder.requests) == 1  # a 400 is never retried


def test_bare_error_object(make_client):
    body = {"code": 400, "status": "Bad Request", "reason": "bare reason", "message": "bare message"}
    client, _ = make_client(lambda r: json_response(400, body))
    with pytest.raises(BadRequestError) as info:
        client.list_identities()
    assert (info.value.message, info.value.reason, info.value.code) == ("bare message", "bare reason", 400)


def test_legacy_oauth_style_error(make_client):
    body = {"error": "feature_not_available", "error_description": "This feature is not available on your plan"}
    client, _ = make_client(lambda r: json_response(403, body))
    with pytest.raises(AuthError) as info:
        client.list_sessions()
    assert info.value.reason == "feature_not_available"
    assert info.value.message == "This feature is not available on your plan"


def test_message_text_is_never_interpreted(make_client):
    # A 404 body that reads like a conflict is still a NotFoundError: only the status decides.
    body = {"error": {"code": 409, "message": "Conflict! rate limit! not found"}}
    client, _ = make_client(lambda r: json_response(404, body))
    with pytest.raises(NotFoundError):
        client.get_identity("x")


def test_non_json_error_body(make_client):
    html = "<html><body><h1>502 Bad Gateway</h1> upstream sad</body></html>"
    client, _ = make_client(lambda r: httpx.Response(502, text=html, headers={"content-type": "text/html"}), retries=0)
    with pytest.raises(ServerError) as info:
        client.get_identity("x")
    text = str(info.value)
    assert "Bad Gateway" in text
    assert "text/html" in text
    assert "upstream sad" in text


def test_empty_error_body(make_client):
    client, _ = make_client(lambda r: httpx.Response(401))
    with pytest.raises(AuthError) as info:
        client.get_identity("x")
    assert info.value.message == "Unauthorized"


def test_rate_limit_error_carries_reset(make_client):
    client, _ = make_client(lambda r: json_response(429, {}, {"x-ratelimit-reset": "7"}), retries=0)
    with pytest.raises(RateLimitError) as info:
        client.get_identity("x")
    assert info.value.reset_after == 7.0


def test_invalid_json_success_body(make_client):
    client, _ = make_client(lambda r: httpx.Response(200, content=b'{"id": "x", trunc'))
    with pytest.raises(UnexpectedResponseError, match="not valid JSON"):
        client.get_identity("x")


def test_success_body_of_wrong_shape(make_client):
    client, _ = make_client(lambda r: json_response(200, [1, 2]))
    with pytest.raises(UnexpectedResponseError, match="JSON object"):
        client.get_identity("x")
    client2, _ = make_client(lambda r: json_response(200, {"not": "a list"}))
    with pytest.raises(UnexpectedResponseError, match="array"):
        client2.list_identities()


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("reset"),
    ],
)
def test_network_errors_become_transport_errors(make_client, exc):
    def boom(request: httpx.Request) -> httpx.Response:
        raise exc

    client, recorder = make_client(boom, retries=2)
    with pytest.raises(TransportError) as info:
        client.get_identity("x")
    assert info.value.__cause__ is exc
    assert "GET https://acme.projects.oryapis.com/admin/identities/x" in str(info.value)
    assert len(recorder.requests) == 3  # GET: retried twice before giving up


def test_truncated_body_while_reading_is_a_transport_error(make_client):
    class Truncated(httpx.SyncByteStream):
        def __iter__(self):
            yield b'[{"id": '
            raise httpx.RemoteProtocolError("incomplete chunked read")

    client, recorder = make_client(lambda r: httpx.Response(200, stream=Truncated()), retries=1)
    with pytest.raises(TransportError) as info:
        client.list_identities()
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert len(recorder.requests) == 2


def test_key_is_not_in_error_texts(make_client):
    body = {"error": {"code": 401, "message": f"bad key {KEY}", "reason": f"Bearer {KEY}"}}
    client, _ = make_client(lambda r: json_response(401, body))
    with pytest.raises(AuthError) as info:
        client.get_identity("x")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.__dict__)
