"""Helpers for write-back tests: bundled schemas, a small identities frame, and a fake Ory server.

``FakeOry`` is an in-memory stand-in for the identity endpoints write-back calls, served through
``httpx.MockTransport`` to a real ``Client``; it counts requests and can fail chosen ones.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from ory_frames.client._client import Client

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "ory_frames" / "sandbox" / "schemas"
BASE = "http://127.0.0.1:4434"


@pytest.fixture(scope="session")
def schemas() -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json"))}


def identity(n: int, **traits: Any) -> dict[str, Any]:
    """A stored identity document of the ``default`` schema."""
    stamp = (datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    return {
        "id": str(uuid.UUID(int=n + 1)),
        "schema_id": "default",
        "state": "active",
        "traits": {"email": f"user{n}@example.com", "name": {"first": f"First{n}", "last": "Last"}, "age": 20 + n},
        "metadata_public": None,
        "metadata_admin": {"tier": n % 3},
        "created_at": stamp,
        "updated_at": stamp,
        "organization_id": None,
    }


def frame_of(docs: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame shaped like ``read_identities`` output, built by hand for the tests of the pure parts."""
    frame = pd.DataFrame(
        {
            "id": pd.array([d["id"] for d in docs], dtype="string"),
            "schema_id": pd.array([d["schema_id"] for d in docs], dtype="string"),
            "state": pd.Categorical([d["state"] for d in docs], categories=["active", "inactive"]),
            "created_at": pd.to_datetime([d["created_at"] for d in docs], utc=True),
            "updated_at": pd.to_datetime([d["updated_at"] for d in docs], utc=True),
            "traits.email": pd.array([d["traits"].get("email") for d in docs], dtype="string"),
            "traits.name.first": pd.array([d["traits"].get("name", {}).get("first") for d in docs], dtype="string"),
            "traits.name.last": pd.array([d["traits"].get("name", {}).get("last") for d in docs], dtype="string"),
            "traits.age": pd.array([d["traits"].get("age") for d in docs], dtype="Int64"),
            "traits.newsletter": pd.array([d["traits"].get("newsletter") for d in docs], dtype="boolean"),
            "metadata_public": [d.get("metadata_public") for d in docs],
            "metadata_admin": [d.get("metadata_admin") for d in docs],
            "email": pd.array([d["traits"].get("email") for d in docs], dtype="string"),
        }
    )
    return frame


@pytest.fixture
def docs() -> list[dict[str, Any]]:
    return [identity(n) for n in range(5)]


@pytest.fixture
def original(docs: list[dict[str, Any]]) -> pd.DataFrame:
    return frame_of(docs)


def _apply_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    for op in ops:
        keys = [k.replace("~1", "/").replace("~0", "~") for k in op["path"][1:].split("/")]
        parent = doc
        for key in keys[:-1]:
            parent = parent.setdefault(key, {})
        if op["op"] == "remove":
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = op["value"]
    return doc


class FakeOry:
    """In-memory identities behind a MockTransport handler; ``fail`` queues faults per (method, path)."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.identities = {d["id"]: json.loads(json.dumps(d)) for d in docs}
        self.requests: list[tuple[str, str, Any]] = []
        self.faults: dict[tuple[str, str], list[str]] = {}
        self.sessions_calls: list[dict[str, Any]] = []
        self.tick = 0

    def fail(self, method: str, path: str, *kinds: str) -> None:
        self.faults.setdefault((method, path), []).extend(kinds)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for m, p, _ in self.requests if (method is None or m == method) and (path is None or p == path))

    def _stamp(self) -> str:
        self.tick += 1
        return (datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.tick)).isoformat()

    def touch(self, identity_id: str, **traits: Any) -> None:
        """A concurrent change by someone else."""
        self.identities[identity_id]["traits"].update(traits)
        self.identities[identity_id]["updated_at"] = self._stamp()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        method, path = request.method, request.url.path
        self.requests.append((method, path, body))
        queued = self.faults.get((method, path))
        fault = queued.pop(0) if queued else None
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "timeout-after":  # the server did the work, the answer was lost
            self._handle(method, path, request, body)
            raise httpx.ReadTimeout("timed out", request=request)
        if fault is not None:
            return _error(int(fault), "injected")
        return self._handle(method, path, request, body)

    def _handle(self, method: str, path: str, request: httpx.Request, body: Any) -> httpx.Response:
        parts = path.strip("/").split("/")
        if path == "/admin/identities" and method == "GET":
            wanted = request.url.params.get("credentials_identifier")
            found = [d for d in self.identities.values() if d["traits"].get("email") == wanted]
            return httpx.Response(200, json=found)
        if path == "/admin/identities" and method == "PATCH":
            return httpx.Response(200, json={"identities": [self._create(item) for item in body["identities"]]})
        if parts[:3] == ["admin", "identities", "by"]:
            found = [d for d in self.identities.values() if d.get("external_id") == parts[-1]]
            return httpx.Response(200, json=found[0]) if found else _error(404, "Unable to locate the resource")
        if parts[:2] == ["admin", "identities"] and len(parts) == 3:
            doc = self.identities.get(parts[2])
            if doc is None:
                return _error(404, "Unable to locate the resource")
            if method == "GET":
                return httpx.Response(200, json=doc)
            if method == "DELETE":
                del self.identities[parts[2]]
                return httpx.Response(204)
            if method == "PATCH":
                new = _apply_patch(doc, body)
                new["updated_at"] = self._stamp()
                self.identities[parts[2]] = new
                return httpx.Response(200, json=new)
        if path == "/admin/sessions" and method == "POST":
            self.sessions_calls.append(body)
            return httpx.Response(200, json={"processed": len(body.get("identities", [])), "more": False})
        if parts[:2] == ["admin", "sessions"] and method == "DELETE":
            return httpx.Response(204)
        if parts[:2] == ["admin", "sessions"] and method == "PATCH":
            return httpx.Response(204)
        return _error(404, "no route")

    def _create(self, item: dict[str, Any]) -> dict[str, Any]:
        create = item["create"]
        email = create["traits"].get("email")
        if any(d["traits"].get("email") == email for d in self.identities.values()):
            error = {"code": 409, "status": "Conflict", "message": "Unable to insert or update resource"}
            return {"action": "error", "patch_id": item.get("patch_id"), "error": error}
        new_id = str(uuid.uuid4())
        stamp = self._stamp()
        doc = {"id": new_id, "state": "active", "metadata_public": None, **create, "created_at": stamp}
        doc["updated_at"] = stamp
        doc.pop("credentials", None)
        self.identities[new_id] = doc
        return {"action": "create", "identity": new_id, "patch_id": item.get("patch_id")}


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": status, "status": "x", "message": message}})


@pytest.fixture
def fake(docs: list[dict[str, Any]]) -> FakeOry:
    return FakeOry(docs)


@pytest.fixture
def client_for() -> Iterator[Callable[[Callable[[httpx.Request], httpx.Response]], Client]]:
    clients: list[Client] = []

    def build(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
        client = Client(BASE, transport=httpx.MockTransport(handler), retries=0)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
