"""seed_store: deterministic, schema-valid, realistic identities and sessions, fast enough for 100k."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import jsonschema
import pytest

from ory_frames.sandbox._seed import iter_seed_docs, seed_store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
SESSION_KEYS = {
    "id",
    "identity_id",
    "active",
    "expires_at",
    "authenticated_at",
    "issued_at",
    "authenticator_assurance_level",
    "authentication_methods",
    "devices",
    "created_at",
    "updated_at",
}
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", value) is not None


@FORMATS.checks("tel")
def _tel(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"\+[1-9][0-9]{6,14}", value) is not None


@pytest.fixture(scope="module")
def docs() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return list(iter_seed_docs(3000, seed=5, now=NOW))


def _validators() -> dict[str, jsonschema.Draft7Validator]:
    folder = resources.files("ory_frames.sandbox") / "schemas"
    out = {}
    for schema_id in ("default", "username", "phone", "b2b"):
        doc = json.loads((folder / f"{schema_id}.json").read_text())
        out[schema_id] = jsonschema.Draft7Validator(doc, format_checker=FORMATS)
    return out


def test_same_seed_same_documents() -> None:
    first = list(iter_seed_docs(300, seed=9, now=NOW))
    assert first == list(iter_seed_docs(300, seed=9, now=NOW))
    assert first != list(iter_seed_docs(300, seed=10, now=NOW))


_DIGEST_SCRIPT = """
import hashlib, orjson
from datetime import datetime, timezone
from ory_frames.sandbox._seed import iter_seed_docs
now = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
digest = hashlib.sha256()
for doc, sessions in iter_seed_docs(200, seed=11, now=now):
    digest.update(orjson.dumps([doc, sessions], option=orjson.OPT_SORT_KEYS))
print(digest.hexdigest())
"""


def test_same_seed_same_documents_in_every_process() -> None:
    # Set iteration order changes with PYTHONHASHSEED; nothing the seeder draws may depend on it (Faker's it_IT
    # cities come from a set, faker/providers/address/it_IT).
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1, digests


def test_traits_validate_against_the_bundled_schemas(docs: list[tuple[dict[str, Any], list[Any]]]) -> None:
    validators = _validators()
    for doc, _ in docs:
        errors = list(validators[doc["schema_id"]].iter_errors({"traits": doc["traits"]}))
        assert not errors, (doc["traits"], errors[0].message)


def test_identity_shape(docs: list[tuple[dict[str, Any], list[Any]]]) -> None:
    ids = [doc["id"] for doc, _ in docs]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 for i in ids)
    for doc, _ in docs:
        # Go emit order (wire notes §3), minus schema_url which the store derives.
        keys = [k for k in doc if k != "external_id"]
        assert keys == [
            "id",
            "credentials",
            "schema_id",
            "state",
            "state_changed_at",
            "traits",
            "verifiable_addresses",
            "recovery_addresses",
            "metadata_public",
            "metadata_admin",
            "created_at",
            "updated_at",
            "organization_id",
        ]
        for key in ("created_at", "updated_at", "state_changed_at"):
            assert RFC3339.match(doc[key]), doc[key]
        assert doc["created_at"] <= doc["updated_at"] <= "2025-06-01T12:00:00.000000Z"
        assert doc["created_at"] >= "2020-06-01"
        for addr in doc["verifiable_addresses"]:
            assert addr["status"] in ("pending", "sent", "completed")
            assert addr["verified"] == ("verified_at" in addr) == (addr["status"] == "completed")
        for ctype, cred in doc["credentials"].items():
            assert cred["type"] == ctype and "config" in cred and cred["identifiers"]
        assert (doc["organization_id"] is not None) == (doc["schema_id"] == "b2b")


def test_identifiers_match_what_the_sandbox_derives(docs: list[tuple[dict[str, Any], list[Any]]]) -> None:
    from ory_frames.sandbox._schemas import SchemaRegistry

    registry = SchemaRegistry.bundled()
    for doc, _ in docs[:500]:
        derived = registry.require(doc["schema_id"]).derive(doc["traits"])
        creds = doc["credentials"]
        if "password" in creds:
            assert creds["password"]["identifiers"] == derived.password
        assert [a["value"] for a in doc["verifiable_addresses"]] == [v for _, v in derived.verification]
        assert [a["value"] for a in doc["recovery_addresses"]] == [v for _, v in derived.recovery]
        assert creds.get("code", {}).get("identifiers", []) == [a for _, a in derived.code]


def test_the_mix_looks_like_a_real_user_base(docs: list[tuple[dict[str, Any], list[Any]]]) -> None:
    n = len(docs)
    schemas = Counter(doc["schema_id"] for doc, _ in docs)
    assert schemas.most_common(1)[0][0] == "default" and set(schemas) == {"default", "username", "phone", "b2b"}
    inactive = sum(doc["state"] == "inactive" for doc, _ in docs) / n
    assert 0.06 < inactive < 0.14
    assert len({doc["organization_id"] for doc, _ in docs if doc["organization_id"]}) >= 3
    assert any(doc.get("external_id") for doc, _ in docs)
    assert any(doc["metadata_public"] for doc, _ in docs) and any(doc["metadata_admin"] for doc, _ in docs)
    names = [doc["traits"].get("name", {}).get("first", "") for doc, _ in docs]
    assert any(any(ord(ch) > 0x2E80 for ch in name) for name in names)  # CJK names
    assert any(any(0x400 <= ord(ch) < 0x500 for ch in name) for name in names)  # Cyrillic names
    verified = [a["verified"] for doc, _ in docs for a in doc["verifiable_addresses"]]
    assert 0.4 < sum(verified) / len(verified) < 0.9
    creds = [doc["credentials"] for doc, _ in docs]
    hashes = [c["password"]["config"]["hashed_password"] for c in creds if "password" in c]
    assert all(re.match(r"^\$(argon2id|pbkdf2-sha256|2a)\$", h) for h in hashes)
    assert any(h.startswith("$argon2id$v=19$m=") for h in hashes)
    providers = [p for c in creds if "oidc" in c for p in c["oidc"]["config"]["providers"]]
    assert {p["provider"] for p in providers} == {"google", "github"}
    assert any(p["initial_access_token"] and p["initial_id_token"] for p in providers)
    assert any(p["initial_refresh_token"] == "" for p in providers)
    assert any(c["totp"]["config"]["totp_url"].startswith("otpauth://totp/") for c in creds if "totp" in c)
    assert any(len(c["lookup_secret"]["config"]["recovery_codes"]) == 12 for c in creds if "lookup_secret" in c)


def test_sessions_shape_and_mix(docs: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    sessions = [s for _, ss in docs for s in ss]
    per_identity = Counter(len(ss) for _, ss in docs)
    assert set(per_identity) == {0, 1, 2, 3, 4, 5}
    now = NOW.isoformat().replace("+00:00", ".000000Z")
    for s in sessions:
        assert set(s) == SESSION_KEYS
        assert s["authenticator_assurance_level"] in ("aal1", "aal2")
        assert s["created_at"] <= s["expires_at"]
        assert all(set(d) == {"id", "ip_address", "user_agent", "location"} for d in s["devices"])
    live = [s for s in sessions if s["active"] and s["expires_at"] > now]
    expired = [s for s in sessions if s["expires_at"] <= now]
    disabled = [s for s in sessions if not s["active"]]
    assert live and expired and disabled
    assert any(s["authenticator_assurance_level"] == "aal2" for s in sessions)
    assert len({s["id"] for s in sessions}) == len(sessions)


def test_seed_store_fills_a_real_store() -> None:
    # How long seeding takes is a figure of benchmarks/timings.py, not asserted here.
    from ory_frames.sandbox._store import Store

    store = Store()
    seed_store(store, identities=10_000, seed=3, now=NOW)
    assert store.count_identities() == 10_000
    assert 10_000 < store.count_sessions() < 25_000  # 0-5 per identity, about 1.6 on average


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        seed_store(object(), identities=-1)  # type: ignore[arg-type]
