"""Address lists of a create body that Go cannot decode are Go's 400 decode errors, never a 5xx (wire notes §5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from drift_support import running

TRAITS = {"email": "ada@example.org"}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with running() as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"verifiable_addresses": [[[[]]]]}, "of type identity.VerifiableAddress"),
        ({"verifiable_addresses": {"a": {"b": 1}}}, "of type []identity.VerifiableAddress"),
        ({"verifiable_addresses": [{"value": [[1]], "via": "email"}]}, "verifiable_addresses.value of type string"),
        ({"verifiable_addresses": [{"value": "a@b.co", "via": {"x": [1]}}]}, "verifiable_addresses.via of type string"),
        ({"verifiable_addresses": [{"value": "a@b.co", "verified": [[True]]}]}, "verified of type bool"),
        ({"verifiable_addresses": [{"value": "a@b.co", "created_at": {"a": [1]}}]}, "created_at of type time.Time"),
        ({"recovery_addresses": [{"value": {"a": 1}, "via": "email"}]}, "recovery_addresses.value of type string"),
        ({"recovery_addresses": "email"}, "of type []identity.RecoveryAddress"),
    ],
)
def test_an_address_list_go_cannot_decode_is_a_400(http: httpx.Client, extra: dict[str, Any], message: str) -> None:
    body = {"schema_id": "default", "traits": TRAITS, **extra}
    response = http.post("/admin/identities", content=json.dumps(body))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"].startswith("json: cannot unmarshal ") and message in error["message"]


def test_well_formed_addresses_still_create(http: httpx.Client) -> None:
    body = {
        "schema_id": "default",
        "traits": {"email": "grace@example.org"},
        "verifiable_addresses": [
            {"value": "grace@example.org", "via": "email", "verified": True, "status": "completed"}
        ],
    }
    response = http.post("/admin/identities", content=json.dumps(body))
    assert response.status_code == 201, response.text
    assert response.json()["verifiable_addresses"][0]["verified"] is True
