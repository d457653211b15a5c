"""seed_identities_fast: cloned identities keep every unique index, validate against their schemas and are served."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ory_frames import Client, iter_identities
from ory_frames.sandbox import running
from ory_frames.sandbox._seed_fast import seed_identities_fast
from ory_frames.sandbox._store import Store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", value) is not None


@FORMATS.checks("tel")
def _tel(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"\+[1-9][0-9]{6,14}", value) is not None


class Recorder:
    """A seed target that keeps what it is given."""

    def __init__(self) -> None:
        self.identities: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []

    def insert_identities(self, docs: list[dict[str, Any]]) -> None:
        self.identities.extend(docs)

    def insert_sessions(self, docs: list[dict[str, Any]]) -> None:
        self.sessions.extend(docs)


def _seeded(count: int, seed: int, templates: int = 150) -> list[dict[str, Any]]:
    target = Recorder()
    seed_identities_fast(target, identities=count, seed=seed, now=NOW, templates=templates, chunk_size=700)
    assert not target.sessions
    return target.identities


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return _seeded(3000, seed=4)


def test_same_seed_same_identities() -> None:
    assert _seeded(400, seed=2) == _seeded(400, seed=2)
    assert _seeded(400, seed=2) != _seeded(400, seed=3)


def test_clones_repeat_their_template_but_not_its_ids_or_identifiers(docs: list[dict[str, Any]]) -> None:
    assert len(docs) == 3000
    first, clone = docs[7], docs[7 + 150]
    assert first["schema_id"] == clone["schema_id"] and first["created_at"] == clone["created_at"]
    assert first["id"] != clone["id"] and first["traits"] != clone["traits"]
    assert all(uuid.UUID(d["id"]).version == 4 for d in docs)
    unique: Counter[tuple[str, str]] = Counter()
    for doc in docs:
        unique[("id", doc["id"])] += 1
        if doc.get("external_id"):
            unique[("external_id", doc["external_id"])] += 1
        for kind, cred in doc["credentials"].items():
            for identifier in cred["identifiers"]:
                unique[(kind, identifier if kind not in ("totp", "lookup_secret") else doc["id"] + kind)] += 1
        for address in doc["verifiable_addresses"] + doc["recovery_addresses"]:
            unique[("address id", address["id"])] += 1
    assert unique.most_common(1)[0][1] == 1
    for doc in docs:  # each identifier is the clone's own trait value, wherever it appears
        traits = doc["traits"]
        if "password" in doc["credentials"]:
            assert doc["credentials"]["password"]["identifiers"][0] in (
                traits.get("email"),
                traits.get("username", "").lower(),
            )
        for address in doc["verifiable_addresses"]:
            assert address["value"] in (traits.get("email"), traits.get("phone"))
        oidc = doc["credentials"].get("oidc")
        if oidc:
            subjects = [f"{p['provider']}:{p['subject']}" for p in oidc["config"]["providers"]]
            assert subjects == oidc["identifiers"]


def test_clone_traits_validate_against_the_bundled_schemas(docs: list[dict[str, Any]]) -> None:
    folder = resources.files("ory_frames.sandbox") / "schemas"
    validators = {
        schema_id: jsonschema.Draft7Validator(
            json.loads((folder / f"{schema_id}.json").read_text()), format_checker=FORMATS
        )
        for schema_id in ("default", "username", "phone", "b2b")
    }
    for doc in docs:
        errors = list(validators[doc["schema_id"]].iter_errors({"traits": doc["traits"]}))
        assert not errors, (doc["traits"], errors[0].message)


def test_a_store_takes_them_and_the_sandbox_serves_them(tmp_path: Path) -> None:
    db = str(tmp_path / "fast.sqlite")
    seed_identities_fast(Store(db), identities=1200, seed=1, templates=100)  # a duplicate would raise UniqueViolation
    with running(db=db) as url, Client(url) as client:
        ids = [identity["id"] for page in iter_identities(client) for identity in page]
    assert len(ids) == len(set(ids)) == 1200
