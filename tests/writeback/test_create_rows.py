"""Rows copied from read_identities output, with id cleared, plan and apply as they stand (sandbox round trips)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
from drift_support import running

from ory_frames._errors import InvalidInputError
from ory_frames._types import CredentialType
from ory_frames.cli import main
from ory_frames.client._client import Client
from ory_frames.convert._records import DERIVED_COLUMNS, SUMMARY_COLUMNS
from ory_frames.frames import read_identities
from ory_frames.sandbox._drift import DRIFT_STATE
from ory_frames.writeback import Plan, plan_changes

CREDENTIALS = ["password", "oidc"]
IGNORED = {*SUMMARY_COLUMNS, *DERIVED_COLUMNS, "created_at", "updated_at", "state_changed_at", "schema_url"}
# Ignored too, when they hold values (Ory Network, or a drifting sandbox): the source's region and unknown fields.
IGNORED_IF_SET = {"region", "extra_fields"}
KNOWN = set(get_args(CredentialType))
COPIED = ["schema_id", "state", "metadata_public", "metadata_admin", "organization_id"]


@pytest.fixture(scope="module")
def source(server_mode: str) -> Iterator[Client]:
    with running(seed_identities=80, seed=12) as url, Client(url) as client:
        yield client


def _plain(value: Any) -> Any:
    """A cell as plain JSON (arrays as lists, missing as None) for comparisons."""
    if value is None or (not isinstance(value, dict | list) and not hasattr(value, "__len__") and pd.isna(value)):
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _types(row: pd.Series) -> set[str]:
    return set(_plain(row["credential_types"]) or [])


def _unshown(value: Any) -> Any:
    """A cell as stored: a drifting sandbox shows some inactive identities with a state of its own."""
    return "inactive" if isinstance(value, str) and value == DRIFT_STATE else _plain(value)


def _drifted(row: pd.Series) -> bool:
    """Whether a row holds a credential type or an address channel that only a drifting sandbox sends."""
    vias = {a.get("via") for a in _plain(row["verifiable_addresses"]) or []}
    return bool(_types(row) - KNOWN or vias - {"email", "sms"})


def _hashed(frame: pd.DataFrame) -> list[bool]:
    """Which rows have a password hash (identities created earlier without one have an empty config)."""
    return [bool((_plain(c) or {}).get("hashed_password")) for c in frame["credentials.password.config"]]


def _pick(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows covering hashed passwords, OIDC providers, TOTP/lookup secrets, addresses and every schema."""
    chosen: dict[Any, None] = {}
    wanted = [
        lambda r: bool((_plain(r["credentials.password.config"]) or {}).get("hashed_password")),
        lambda r: "oidc" in _types(r),
        lambda r: bool(_types(r) & {"totp", "lookup_secret"}),
        lambda r: any(a["verified"] for a in _plain(r["verifiable_addresses"]) or []),
        lambda r: r["state"] == "inactive",
        lambda r: _plain(r["metadata_admin"]) is not None,
    ]
    for test in wanted:
        chosen.update(dict.fromkeys(frame.index[[bool(test(r)) for _, r in frame.iterrows()]][:2]))
    for schema in frame["schema_id"].unique():
        chosen.update(dict.fromkeys(frame.index[frame["schema_id"] == schema][:1]))
    return frame.loc[list(chosen)]


def _renamed(value: Any, n: int, column: str) -> Any:
    if not isinstance(value, str):
        return value
    if column == "traits.phone":
        return f"+1202555{n:04d}"
    return f"copy{n}-{value}" if column != "traits.email" else f"copy{n}.{value}"


def _copies(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The picked rows with id cleared, identifiers, OIDC subjects and external ids changed; and old -> new."""
    rows = _pick(frame).copy()
    for column in ("verifiable_addresses", "recovery_addresses"):
        # Arrow-backed list cells take no Python list one by one: the column becomes Python lists first.
        rows[column] = rows[column].tolist()
    renames: dict[str, str] = {}
    for n, label in enumerate(rows.index):
        for column in ("traits.email", "traits.username", "traits.phone"):
            if column in rows.columns:
                old = rows.at[label, column]
                new = _renamed(old, n, column)
                rows.at[label, column] = new
                if isinstance(old, str):
                    renames[old.lower()] = new.lower()
        if isinstance(rows.at[label, "external_id"], str):
            rows.at[label, "external_id"] = f"copy-{rows.at[label, 'external_id']}"
        oidc = _plain(rows.at[label, "credentials.oidc.config"])
        if oidc is not None:
            # provider:subject is a login identifier too (wire notes "Imported password hashes").
            providers = [{**p, "subject": f"copy{n}-{p['subject']}"} for p in oidc["providers"]]
            rows.at[label, "credentials.oidc.config"] = {**oidc, "providers": providers}
        for column in ("verifiable_addresses", "recovery_addresses"):
            # The addresses follow the renamed traits, as an admin moving users would rename both.
            addresses = _plain(rows.at[label, column]) or []
            rows.at[label, column] = [{**a, "value": renames.get(a["value"], a["value"])} for a in addresses]
    rows["id"] = None
    rows.index = [f"copy{n}" for n in range(len(rows))]
    return rows, renames


def _expected_addresses(row: pd.Series, column: str) -> list[tuple[Any, ...]]:
    keys = ("value", "via", "verified", "status") if column == "verifiable_addresses" else ("value", "via")
    # Channels Ory documents; a drifting sandbox adds addresses of a new channel of its own on every read.
    known = [a for a in _plain(row[column]) or [] if a.get("via") in ("email", "sms")]
    return sorted(tuple(a.get(k) for k in keys) for a in known)


def _check_created(copies: pd.DataFrame, report: pd.DataFrame, client: Client) -> None:
    """Each created identity equals its row: traits, state, metadata, addresses, hash, OIDC subjects."""
    created = report[report["action"] == "create"].set_index("row")
    assert set(created["status"]) == {"applied"}, created
    after = read_identities(client, ids=created["identity_id"].tolist(), include_credential=CREDENTIALS)
    after = after.set_index("id")
    traits = [c for c in copies.columns if c.startswith("traits.")]
    for label, row in copies.iterrows():
        got = after.loc[created.at[label, "identity_id"]]
        for column in [*traits, *COPIED, "external_id"]:
            assert _unshown(got[column]) == _unshown(row[column]), (label, column)
        for column in ("verifiable_addresses", "recovery_addresses"):
            assert _expected_addresses(got, column) == _expected_addresses(row, column), (label, column)
        # No hash or provider: at most the empty config Ory keeps for a password identifier of the schema.
        config, got_config = (_plain(c["credentials.password.config"]) or {} for c in (row, got))
        assert got_config.get("hashed_password") == config.get("hashed_password"), label
        config, got_config = (_plain(c["credentials.oidc.config"]) or {} for c in (row, got))
        subjects = sorted((p["provider"], p["subject"]) for p in config.get("providers", []))
        assert sorted((p["provider"], p["subject"]) for p in got_config.get("providers", [])) == subjects, label


@pytest.mark.sandbox_only("seeds TOTP and lookup-secret credentials, which no Kratos API imports")
def test_copied_rows_plan_and_apply_as_they_stand(source: Client) -> None:
    original = read_identities(source, include_credential=CREDENTIALS)
    copies, _ = _copies(original)
    assert any((_plain(v) or {}).get("hashed_password") for v in copies["credentials.password.config"])
    assert any((_plain(v) or {}).get("providers") for v in copies["credentials.oidc.config"])
    assert any(a["verified"] for v in copies["verifiable_addresses"] for a in v)
    edited = pd.concat([original, copies])
    plan = plan_changes(original, edited)

    assert plan.summary()["create"] == len(copies)
    held = {c for c in IGNORED_IF_SET & set(original.columns) if original[c].notna().any()}
    assert set(plan.ignored_columns) == (IGNORED & set(original.columns)) | held
    assert len(plan.ignored_columns) == len(set(plan.ignored_columns))
    assert plan.summary().name.count("created_at") == 1
    assert any("new rows ignore" in note and "verified_emails" in note for note in plan.notes())
    assert "new rows ignore: " in repr(plan) and "new rows ignore: " in plan._repr_html_()
    # Rows with credentials Ory cannot import are named, per row and per credential.
    # TOTP and lookup secrets; under drift also a credential type ory_frames does not know, and an address of
    # a new channel, which is no trait value (Ory drops it; wire notes §5).
    lost = {label for label, row in copies.iterrows() if _types(row) & {"totp", "lookup_secret"} or _drifted(row)}
    assert lost, "the seed should give a row with TOTP or lookup secrets"
    preview = plan.preview()
    noted = preview[preview["action"] == "not imported"]
    assert set(noted["row"]) == lost
    assert all(
        note.endswith("not imported (only password hashes and OIDC/SAML providers are); the user sets it up again")
        or note.endswith("is no trait value, so Ory drops it; change it with the trait it belongs to")
        for note in noted["new"]
    ), noted["new"].tolist()
    assert plan.summary()["not imported"] == len(lost)

    report = plan.apply(source)
    _check_created(copies, report, source)
    created = report[report["action"] == "create"].set_index("row")
    assert all("not imported: " in created.at[label, "reason"] for label in lost)


def test_copy_into_an_empty_project(source: Client) -> None:
    original = read_identities(source, include_credential=CREDENTIALS)
    # Earlier tests created copies in `source` under random ids, so a drifting sandbox may show one of the picked
    # rows with its own state for `inactive`, which no write takes: a copy writes the state as stored.
    rows = _pick(original).assign(id=None)
    rows["state"] = rows["state"].map(_unshown)
    with running() as url, Client(url) as target:
        plan = plan_changes(original.iloc[:0], rows)
        report = plan.apply(target)
        _check_created(rows, report, target)
        # Applying the same plan again creates nothing more.
        assert set(plan.apply(target)["status"]) == {"skipped"}
        assert len(read_identities(target)) == len(rows)


def test_hashes_are_secrets(source: Client) -> None:
    original = read_identities(source, include_credential=CREDENTIALS)
    row = original[_hashed(original)].iloc[:1].copy()
    hashed = _plain(row.iloc[0]["credentials.password.config"])["hashed_password"]
    row["id"], row["traits.email"], row["external_id"] = None, "hash.secret@example.org", None
    plan = plan_changes(original, pd.concat([original, row]))

    shown = [
        repr(plan),
        plan._repr_html_(),
        plan.preview().to_string(),
        json.dumps(plan.payloads()),
        repr(plan.operations),
    ]
    assert all(hashed not in text for text in shown)
    assert plan.payloads()[0]["body"]["identities"][0]["create"]["credentials"]["password"] == {
        "config": {"hashed_password": "***"}
    }
    revealed = plan.payloads(reveal_passwords=True)[0]["body"]["identities"][0]["create"]["credentials"]
    assert revealed["password"] == {"config": {"hashed_password": hashed}}
    with pytest.raises(InvalidInputError, match="password hashes; pass include_passwords=True"):
        plan.to_json()
    loaded = Plan.from_json(plan.to_json(include_passwords=True))
    assert loaded.payloads(reveal_passwords=True) == plan.payloads(reveal_passwords=True)
    assert loaded.ignored_columns == plan.ignored_columns


def test_oidc_tokens_are_not_sent(source: Client) -> None:
    original = read_identities(source, include_credential=["oidc"])
    rows = original[[("oidc" in _types(r)) for _, r in original.iterrows()]].iloc[:1].assign(id=None)
    plan = plan_changes(original.iloc[:0], rows)
    create = plan.payloads()[0]["body"]["identities"][0]["create"]
    providers = create["credentials"]["oidc"]["config"]["providers"]
    assert providers and all(set(p) <= {"provider", "subject", "organization", "use_auto_link"} for p in providers)
    # Read without the password config, a password credential is named as not imported.
    if "password" in _types(rows.iloc[0]):
        notes = plan.preview().query("action == 'not imported'")["new"].tolist()
        assert any("include_credential=['password']" in n for n in notes)


def test_bad_credential_cells_are_problems() -> None:
    original = pd.DataFrame({"id": pd.Series([], dtype=object), "traits.email": pd.Series([], dtype=object)})
    edited = pd.DataFrame(
        {
            "id": [None, None],
            "traits.email": ["a@example.org", "b@example.org"],
            "credentials.oidc.config": [{"providers": [{"provider": "google"}]}, None],
            "credentials.password.config": [None, "$2a$10$" + "s" * 53],
            "verifiable_addresses": [None, [{"value": "b@example.org"}]],
            "emails": [["a@example.org"], None],
            "nickname": [None, "bee"],
        }
    )
    with pytest.raises(InvalidInputError) as info:
        plan_changes(original, edited)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {
        (0, "credentials.oidc.config"),
        (1, "credentials.password.config"),
        (1, "verifiable_addresses"),
        (1, "nickname"),
    }
    assert "s" * 20 not in str(info.value)  # a hash put in the wrong place is not echoed


def test_cli_dry_run_masks_hashes(
    source: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = read_identities(source, include_credential=["password"])
    rows = original[_hashed(original)].iloc[:3].assign(id=None)
    rows["state"] = rows["state"].map(_unshown)  # as in test_copy_into_an_empty_project
    hashes = [_plain(c)["hashed_password"] for c in rows["credentials.password.config"]]
    path = tmp_path / "plan.json"
    path.write_text(plan_changes(original.iloc[:0], rows).to_json(include_passwords=True))
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    assert main(["apply", str(path), "--dry-run", "--url", "http://127.0.0.1:9"]) == 0
    out = capsys.readouterr().out
    assert '"hashed_password": "***"' in out and not any(h in out for h in hashes)


def test_credentials_from_hand_made_frames() -> None:
    org = "8c2b5a4e-0b0f-4f55-9a57-2f3c1c7e0d11"
    edited = pd.DataFrame(
        {
            "id": [None, None, None],
            "traits.email": ["a@example.org", "b@example.org", "c@example.org"],
            "password": [None, "plain-Text-pw-1", None],
            "credentials.password.config": [
                {"use_password_migration_hook": True, "hashed_password": ""},
                {"hashed_password": "$2a$10$" + "x" * 53},
                {"hashed_password": ""},
            ],
            "credentials.saml.config": [
                None,
                None,
                {"providers": [{"provider": "okta", "subject": "s1", "organization": org, "initial_id_token": ""}]},
            ],
            "credential_types": [["password"], ["password", "webauthn"], ["password", "saml", "passkey"]],
        }
    )
    plan = plan_changes(pd.DataFrame({"id": pd.Series([], dtype=object)}), edited)
    bodies = [item["create"] for item in plan.payloads(reveal_passwords=True)[0]["body"]["identities"]]
    assert bodies[0]["credentials"] == {"password": {"config": {"use_password_migration_hook": True}}}
    # A plaintext password wins over a hash, as in Kratos; the chunk limit of 200 then applies.
    assert bodies[1]["credentials"] == {"password": {"config": {"password": "plain-Text-pw-1"}}}
    assert bodies[2]["credentials"] == {
        "saml": {"config": {"providers": [{"provider": "okta", "subject": "s1", "organization": org}]}}
    }
    assert plan.ignored_columns == ("credential_types",)
    notes = plan.preview().query("action == 'not imported'")
    assert notes[["row", "path"]].values.tolist() == [[1, "/credentials/webauthn"], [2, "/credentials/passkey"]]
    with pytest.raises(InvalidInputError, match="plaintext passwords; pass"):
        plan.to_json()


def test_addresses_of_no_trait_are_named() -> None:
    address = {"value": "Old@Example.org", "via": "email", "verified": True, "status": "completed"}
    edited = pd.DataFrame(
        {
            "id": [None, None],
            "traits.email": ["new@example.org", "old@example.org"],
            "verifiable_addresses": [[address], [address]],
            "recovery_addresses": [[{"value": "old@example.org", "via": "email"}], None],
        }
    )
    plan = plan_changes(pd.DataFrame({"id": pd.Series([], dtype=object)}), edited)
    notes = plan.preview().query("action == 'not imported'")
    assert notes[["row", "path"]].values.tolist() == [[0, "/verifiable_addresses"], [0, "/recovery_addresses"]]
    assert all("'Old@Example.org' is no trait value" in n or "'old@example.org'" in n for n in notes["new"])
    assert plan.summary()["not imported"] == 1
