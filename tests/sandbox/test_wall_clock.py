"""The per-app wall clock: `create_app(now=...)` pins seeded data and timestamps; without it, real time."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from drift_support import create_app
from starlette.testclient import TestClient

from ory_frames.cli._sandbox import _instant
from ory_frames.sandbox._context import wall_clock

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
SLACK = timedelta(seconds=30)


@contextmanager
def _client(**kwargs: Any) -> Iterator[TestClient]:
    with TestClient(create_app(public_url="https://sandbox.example", **kwargs)) as tc:
        yield tc


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _snapshot(client: TestClient) -> tuple[bytes, bytes, bytes]:
    identities = client.get("/admin/identities?page_size=500")
    sessions = client.get("/admin/sessions?page_size=500&expand=identity")
    assert identities.status_code == 200 and sessions.status_code == 200
    first = identities.json()[0]["id"]
    own = client.get(f"/admin/identities/{first}/sessions")
    assert own.status_code == 200
    return identities.content, sessions.content, own.content


def _create(client: TestClient) -> dict[str, Any]:
    body = {"schema_id": "default", "traits": {"email": "ada@example.com", "name": {"first": "Ada", "last": "L"}}}
    resp = client.post("/admin/identities", json=body)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


def test_same_now_and_seed_serve_identical_json() -> None:
    with _client(seed_identities=40, seed=5, now=NOW) as one, _client(seed_identities=40, seed=5, now=NOW) as two:
        first, second = _snapshot(one), _snapshot(two)
    assert first == second
    sessions = first[1]
    assert b'"active":true' in sessions and b'"active":false' in sessions  # expiries are judged against NOW


def test_seeded_data_is_relative_to_now() -> None:
    with _client(seed_identities=40, seed=5, now=NOW) as tc:
        identities = tc.get("/admin/identities?page_size=500").json()
    created = [_when(doc["created_at"]) for doc in identities]
    assert max(created) <= NOW + SLACK
    assert max(created) > NOW - timedelta(days=400)


def test_now_is_reflected_in_created_at() -> None:
    with _client(now=NOW) as tc:
        doc = _create(tc)
    for stamp in (doc["created_at"], doc["updated_at"], doc["state_changed_at"]):
        assert abs(_when(stamp) - NOW) < SLACK


def test_now_drives_recovery_expiry() -> None:
    with _client(now=NOW) as tc:
        ident = _create(tc)["id"]
        answer = tc.post("/admin/recovery/code", json={"identity_id": ident, "expires_in": "1h"}).json()
    assert abs(_when(answer["expires_at"]) - (NOW + timedelta(hours=1))) < SLACK


def test_without_now_real_time_is_used() -> None:
    before = datetime.now(timezone.utc)
    with _client() as tc:
        doc = _create(tc)
    after = datetime.now(timezone.utc)
    assert before - timedelta(seconds=1) <= _when(doc["created_at"]) <= after + timedelta(seconds=1)


def test_wall_clock_starts_at_now_and_advances_in_real_time() -> None:
    ticks = iter([100.0, 100.0, 107.5, 107.5])
    clock = wall_clock(datetime(2026, 11, 1, 1, tzinfo=timezone(timedelta(hours=1))), monotonic=lambda: next(ticks))
    assert clock() == NOW
    assert clock() == NOW + timedelta(seconds=7.5)
    assert clock().tzinfo == timezone.utc


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        create_app(now=datetime(2026, 11, 1))


def test_cli_now_parses_instants() -> None:
    assert _instant("2026-11-01T00:00:00Z") == NOW
    assert _instant("2026-11-01T00:00:00") == NOW  # no offset: UTC
    with pytest.raises(argparse.ArgumentTypeError):
        _instant("next tuesday")
