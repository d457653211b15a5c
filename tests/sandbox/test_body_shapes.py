"""Bulk bodies of the wrong shape, a page size of zero, and a sandbox that is slow to listen.

The fuzz tests reach these only with some of their random examples; these cases reach them every run.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import assert_error

from ory_frames.sandbox import _wire as w
from ory_frames.sandbox._server import run_in_thread

pytestmark = pytest.mark.conformance  # pins error envelopes (drift adds an error id)

JSON = {"content-type": "application/json"}


def test_batch_body_that_is_no_object_fails_the_batch_with_code_500(client: Any) -> None:
    err = assert_error(client.patch("/admin/identities", content=b"[]", headers=JSON), 400)
    assert err["code"] == 500 and err["message"].startswith("json: cannot unmarshal "), err
    assert err["message"].endswith(" into Go value of type identity.BatchPatchIdentitiesBody"), err


def test_batch_item_with_an_unknown_key_fails_the_batch(client: Any) -> None:
    item = {"create": {"schema_id": "default", "traits": {"email": "shape@example.org"}}, "extra": 1}
    err = assert_error(client.patch("/admin/identities", json={"identities": [item]}), 400)
    assert err == {"code": 500, "status": "Internal Server Error", "message": 'json: unknown field "extra"'}
    assert client.get("/admin/identities").json() == []  # nothing of the batch was created


def test_session_actions_body_that_is_no_object_is_a_bad_request(client: Any) -> None:
    err = assert_error(client.post("/admin/sessions", content=b"[]", headers=JSON), 400, reason="Invalid JSON body.")
    assert err["message"].endswith(" into Go value of type session.manageSessionsBody"), err


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_session_page_size_below_one_means_the_default(client: Any, app: Any, size: str) -> None:
    answer = client.get("/admin/sessions", params={"page_size": size})
    assert answer.status_code == 200, answer.text
    assert f"page_size={w.SESSIONS_DEFAULT_PAGE_SIZE}&" in answer.headers["link"]


def test_running_waits_while_the_port_refuses_connections(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first readiness probes find nobody listening yet (a server slow to bind), then it answers.
    real_get = httpx.Client.get
    refused = [2]

    def get(self: httpx.Client, url: Any, **kwargs: Any) -> httpx.Response:
        if refused[0]:
            refused[0] -= 1
            raise httpx.ConnectError("connection refused")
        return real_get(self, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "get", get)
    with run_in_thread(app) as url, httpx.Client() as http:
        assert refused == [0]
        assert real_get(http, url + "/health/alive").status_code == 200
