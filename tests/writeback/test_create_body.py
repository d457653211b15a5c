"""The one create body of an identity document, which new frame rows and copied identities both go through."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ory_frames.writeback import create_body, login_identifiers, plan_changes

HASH = "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq"
IDENTITY: dict[str, Any] = {
    "id": "5ff66179-c240-4703-b0d8-494592cefff5",
    "schema_id": "default",
    "traits": {"email": "Ada@Example.org"},
    "state": "active",
    "metadata_public": None,
    "metadata_admin": {},  # what a read shows for none: left out
    "external_id": "",
    "created_at": "2026-12-07T04:25:18.943090646Z",
    "verifiable_addresses": [
        {"id": "x", "value": "Ada@Example.org", "via": "email", "verified": True, "status": "completed"},
        {"id": "y", "value": "old@example.org", "via": "email", "verified": False, "status": "pending"},
    ],
    "credentials": {
        "password": {"type": "password", "identifiers": [" Ada@Example.org "], "config": {"hashed_password": HASH}},
        "oidc": {
            "identifiers": ["google:1234"],
            # wire notes "Imported password hashes": the initial tokens are not imported
            "config": {"providers": [{"provider": "google", "subject": "1234", "initial_id_token": "t"}]},
        },
        "totp": {"identifiers": ["x"]},
        "code": {"identifiers": ["ada@example.org"], "config": {"addresses": []}},
    },
}


def test_an_identity_as_read_becomes_its_create_body() -> None:
    made = create_body(IDENTITY)
    assert made.problems == []
    assert made.body == {
        "schema_id": "default",
        "traits": {"email": "Ada@Example.org"},
        "state": "active",
        "verifiable_addresses": [
            {"value": "Ada@Example.org", "via": "email", "verified": True, "status": "completed"},
            {"value": "old@example.org", "via": "email", "verified": False, "status": "pending"},
        ],
        "credentials": {
            "password": {"config": {"hashed_password": HASH}},
            "oidc": {"config": {"providers": [{"provider": "google", "subject": "1234"}]}},
        },
    }
    assert [note.partition(":")[0] for note in made.not_imported] == ["totp", "verifiable_addresses"]


def test_problems_name_the_field_and_leave_the_part_out() -> None:
    broken = {**IDENTITY, "recovery_addresses": [{"value": "a@example.org"}]}
    broken["credentials"] = {"saml": {"config": {"providers": [{"provider": "okta"}]}}}
    made = create_body(broken)
    assert [field for field, _ in made.problems] == ["recovery_addresses", "credentials.saml.config"]
    assert "recovery_addresses" not in made.body and "credentials" not in made.body


def test_login_identifiers_as_kratos_stores_them() -> None:
    # wire notes §2: password and code identifiers are trimmed and lower-cased; a TOTP one is no login
    assert login_identifiers(IDENTITY) == ["ada@example.org", "google:1234"]
    assert login_identifiers({"credentials": None}) == []


def test_a_new_frame_row_gets_the_same_body_as_the_identity_it_was_read_from() -> None:
    columns = {
        "id": None,
        "schema_id": "default",
        "traits.email": "Ada@Example.org",
        "state": "active",
        "verifiable_addresses": IDENTITY["verifiable_addresses"],
        "credentials.password.config": {"hashed_password": HASH},
        "credentials.oidc.config": IDENTITY["credentials"]["oidc"]["config"],
        "credential_types": ["password", "oidc", "totp", "code"],
    }
    empty = pd.DataFrame({"id": pd.Series([], dtype=object)})
    plan = plan_changes(empty, pd.DataFrame([columns]))
    (op,) = plan.operations
    made = create_body(IDENTITY)
    assert op.body == made.body
    assert op.not_imported == made.not_imported
