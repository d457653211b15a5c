"""Bodies Go cannot decode, on every identity write: one failure, the envelope shape of each route (wire notes §4-§6).

Create wraps the decoder's error in herodot's 400 (code 400, Go's text as message), PUT in decoderx's 400 (Go's
text inside the reason), PATCH in its own JSON Patch 400; only the batch create keeps herodot's default code 500
in the body of its HTTP 400.
"""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import assert_error, make_identity

pytestmark = pytest.mark.conformance  # pins the exact error envelopes Kratos writes (drift adds an error id)

BAD_400 = "The request was malformed or contained invalid parameters"

# (raw body, Go's decoder text for it)
UNDECODABLE = [
    (b"xyz", "invalid character 'x' looking for beginning of value"),
    (b"   ", "EOF"),
    (b'{"traits": {"email": "a@example.org"}, "schema_url": "x"}', 'json: unknown field "schema_url"'),
    (
        b'{"schema_id": 7, "traits": {}}',
        "json: cannot unmarshal number into Go struct field {type}.schema_id of type string",
    ),
]
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("raw", "text"), UNDECODABLE)
def test_create_answers_a_bad_request_with_gos_text_as_message(client: Any, raw: bytes, text: str) -> None:
    err = assert_error(client.post("/admin/identities", content=raw, headers=JSON), 400)
    assert err == {"code": 400, "status": "Bad Request", "message": text.format(type="CreateIdentityBody")}


@pytest.mark.parametrize(("raw", "text"), UNDECODABLE[:2])
def test_batch_create_keeps_herodots_default_code(client: Any, raw: bytes, text: str) -> None:
    err = assert_error(client.patch("/admin/identities", content=raw, headers=JSON), 400)
    assert err == {"code": 500, "status": "Internal Server Error", "message": text}


def test_batch_item_that_cannot_be_decoded_fails_the_batch_with_code_500(client: Any) -> None:
    body = {"identities": [{"create": {"traits": {"email": "b@example.org"}, "schema_url": "x"}}]}
    err = assert_error(client.patch("/admin/identities", json=body), 400)
    assert err == {"code": 500, "status": "Internal Server Error", "message": 'json: unknown field "schema_url"'}


@pytest.mark.parametrize(("raw", "text"), [UNDECODABLE[0], UNDECODABLE[1], UNDECODABLE[3]])
def test_put_names_the_decoder_error_in_its_reason(client: Any, app: Any, raw: bytes, text: str) -> None:
    doc = make_identity("put-decode@example.com")
    app.state.store.insert_identities([doc])
    resp = client.put(f"/admin/identities/{doc['id']}", content=raw, headers=JSON)
    err = assert_error(resp, 400, message=BAD_400)
    assert err == {
        "code": 400,
        "status": "Bad Request",
        "reason": "Unable to decode JSON payload: " + text.format(type="UpdateIdentityBody"),
        "message": BAD_400,
    }


def test_put_ignores_unknown_fields(client: Any, app: Any) -> None:
    doc = make_identity("put-lenient@example.com")
    app.state.store.insert_identities([doc])
    resp = client.put(f"/admin/identities/{doc['id']}", json={"traits": {"email": "put-lenient@example.com"}, "x": 1})
    assert resp.status_code == 200, resp.text


def test_put_content_types(client: Any, app: Any) -> None:
    doc = make_identity("put-ctype@example.com")
    app.state.store.insert_identities([doc])
    url = f"/admin/identities/{doc['id']}"
    body = b'{"traits": {"email": "put-ctype@example.com"}}'
    assert_error(
        client.put(url, content=body, headers={"content-type": "text/plain; charset=utf-8"}),
        400,
        reason='HTTP PUT Request used unknown HTTP Header "Content-Type: text/plain; charset=utf-8", only '
        "[application/json] are supported.",
    )
    # PUT decodes with decoderx.HTTPJSONDecoder(): form types are refused the same way (a real Kratos does so).
    form = "application/x-www-form-urlencoded"
    reason = f'HTTP PUT Request used unknown HTTP Header "Content-Type: {form}", only [application/json] are supported.'
    assert_error(client.put(url, content=body, headers={"content-type": form}), 400, reason=reason)
    assert client.put(url, content=body, headers={"content-type": "application/json; charset=utf-8"}).status_code == 200


def test_patch_keeps_its_own_shape(client: Any, app: Any) -> None:
    doc = make_identity("patch-decode@example.com")
    app.state.store.insert_identities([doc])
    err = assert_error(client.patch(f"/admin/identities/{doc['id']}", content=b"{not json", headers=JSON), 400)
    assert (err["code"], err["reason"]) == (400, "failed to unmarshal JSON patch")
