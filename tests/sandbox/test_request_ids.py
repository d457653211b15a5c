"""Request ids as Kratos handles them (wire notes §13): echoed from the request's X-Request-ID into error
envelopes only; no answer, success or error, carries an X-Request-ID header of its own."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox_helpers import assert_error, assert_success

RID = "38308051-dd5e-9f91-b053-5b32f751b281"


def test_success_answers_carry_no_request_id_header(client: Any) -> None:
    for headers in ({}, {"x-request-id": RID}):
        listed = client.get("/admin/identities", headers=headers)
        assert_success(listed)
        created = client.post(
            "/admin/identities", json={"traits": {"email": f"{uuid.uuid4().hex}@example.org"}}, headers=headers
        )
        assert_success(created, 201)
        for response in (listed, created):
            assert "x-request-id" not in response.headers
            assert RID not in response.text


def test_error_envelopes_echo_the_request_id_they_were_sent(client: Any) -> None:
    missing = f"/admin/identities/{uuid.uuid4()}"
    err = assert_error(client.get(missing, headers={"x-request-id": RID}), 404)
    assert err["request"] == RID
    answer = client.get(missing)
    assert "request" not in assert_error(answer, 404)  # herodot omits an empty field
    assert "x-request-id" not in answer.headers
