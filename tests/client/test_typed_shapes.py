"""The typed single-object calls read every address and device shape the frames read.

Identity JSON from older Kratos versions or other tools may hold verifiable and recovery addresses
without ``status`` (or without ``created_at``/``updated_at``); other odd rows carry nulls and empty
strings where current Kratos writes values. ``read_identities`` reads them all; so must ``get_identity`` and
``get_session``, over real HTTP against a sandbox holding such rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ory_frames import Client, read_identities
from ory_frames.sandbox import create_app
from ory_frames.sandbox._server import run_in_thread

CREATED = "2019-06-01T10:00:00Z"


def _identity(email: str, verifiable: list[dict[str, Any]], recovery: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "credentials": {},
        "schema_id": "default",
        "state": "active",
        "traits": {"email": email},
        "verifiable_addresses": verifiable,
        "recovery_addresses": recovery,
        "metadata_public": None,
        "metadata_admin": None,
        "created_at": CREATED,
        "updated_at": CREATED,
    }


# Address shapes the frames read (tests/frames/test_oddities.py and the fallback conversion): keys
# missing, null or empty.
SHAPES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "pre-v0.6, no status": (
        [{"id": str(uuid.uuid4()), "value": "old@example.org", "verified": True, "via": "email",
          "verified_at": CREATED, "created_at": CREATED, "updated_at": CREATED}],
        [{"id": str(uuid.uuid4()), "value": "old@example.org", "via": "email"}],
    ),
    "no status and no timestamps": (
        [{"id": str(uuid.uuid4()), "value": "older@example.org", "verified": False, "via": "email"}],
        [{"id": str(uuid.uuid4()), "value": "older@example.org", "via": "email"}],
    ),
    "nulls and empty strings": (
        [{"id": str(uuid.uuid4()), "value": "nulls@example.org", "verified": None, "via": "", "status": None,
          "verified_at": None, "created_at": None, "updated_at": None}],
        [{"id": str(uuid.uuid4()), "value": "nulls@example.org", "via": None, "created_at": None}],
    ),
    "only a value": ([{"value": "bare@example.org"}], [{"value": "bare@example.org"}]),
}  # fmt: skip


Served = tuple[Client, dict[str, dict[str, Any]], str]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    app = create_app(seed_identities=0)
    docs = {name: _identity(v[0][0]["value"], *v) for name, v in SHAPES.items()}
    app.state.store.insert_identities(list(docs.values()))
    first = next(iter(docs.values()))
    session = {
        "id": str(uuid.uuid4()),
        "identity_id": first["id"],
        "active": True,
        "expires_at": "2999-01-01T00:00:00Z",
        "authenticated_at": CREATED,
        "issued_at": CREATED,
        "authenticator_assurance_level": "aal1",
        "authentication_methods": [{"method": "password"}],
        "devices": [{"ip_address": "203.0.113.7"}],  # a device without id, user agent or location
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    app.state.store.insert_sessions([session])
    with run_in_thread(app, host="127.0.0.1", port=0) as url, Client(url) as client:
        yield client, docs, session["id"]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_get_identity_reads_what_read_identities_reads(served: Served, shape: str) -> None:
    client, docs, _ = served
    doc = docs[shape]
    frame = read_identities(client).set_index("id")
    identity = client.get_identity(doc["id"])
    for column in ("verifiable_addresses", "recovery_addresses"):
        typed = [a.model_dump(include={"value", "via"}) for a in getattr(identity, column)]
        framed = [{"value": a["value"], "via": a["via"]} for a in frame.loc[doc["id"], column]]
        assert typed == framed
        assert [a.to_json() for a in getattr(identity, column)] == identity.raw[column]
    verifiable = identity.verifiable_addresses or []
    assert [a.status for a in verifiable] == [a.get("status") for a in doc["verifiable_addresses"]]


def test_get_session_reads_an_identity_with_old_addresses(served: Served) -> None:
    client, _, session_id = served
    session = client.get_session(session_id, expand=["identity", "devices"])
    assert session.identity is not None
    assert [a.value for a in session.identity.verifiable_addresses or []] == ["old@example.org"]
    assert [a.status for a in session.identity.verifiable_addresses or []] == [None]
    assert [(d.id, d.ip_address) for d in session.devices or []] == [(None, "203.0.113.7")]
