"""Drift mode end to end: the sandbox sends fields and values ory_frames has never seen, and nothing breaks."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from ory_frames import (
    Client,
    ConversionWarning,
    NotFoundError,
    iter_identities,
    iter_identity_batches,
    iter_identity_schemas,
    iter_sessions,
    plan_changes,
    read_identities,
    read_sessions,
    sandbox,
)
from ory_frames._schema import trait_columns
from ory_frames.convert._records import IdentityConverter
from ory_frames.sandbox._drift import (
    ADDRESS_KEY,
    CREDENTIAL_TYPE,
    DEVICE_KEY,
    DRIFT_STATE,
    ERROR_IDS,
    IDENTITY_KEY,
    REGIONS,
    SESSION_KEY,
    VIA,
)

pytestmark = pytest.mark.sandbox_only("drift mode: the sandbox answers with fields Ory may add later")
SEEDED = 60
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def url(server_mode: str) -> Iterator[str]:
    # A sandbox per server mode (this module runs in both, drifting either way): the round trip writes to it.
    with sandbox.running(seed_identities=SEEDED, seed=4, now=NOW, drift=True) as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[Client]:
    with Client(url) as c:
        yield c


def _quiet_read(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """The result of a read and the texts of the ConversionWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    texts = [str(w.message) for w in caught if issubclass(w.category, ConversionWarning)]
    assert len(texts) == len(caught), [str(w.message) for w in caught]
    return result, texts


def _list_bodies(drift: bool) -> bytes:
    app = sandbox.create_app(seed_identities=20, seed=9, now=NOW, drift=drift)
    with TestClient(app) as tc:
        return tc.get("/admin/identities", params={"page_size": 500}).content


def test_drift_is_deterministic_per_seed_and_off_by_default() -> None:
    first, second, plain = _list_bodies(True), _list_bodies(True), _list_bodies(False)
    assert first == second
    assert IDENTITY_KEY.encode() in first and b'"region"' in first
    assert IDENTITY_KEY.encode() not in plain and b'"region"' not in plain and VIA.encode() not in plain


def test_frame_keeps_region_as_a_column_and_unknown_fields_in_extra_fields(client: Client) -> None:
    frame, _ = _quiet_read(read_identities, client)
    assert len(frame) == SEEDED
    assert set(frame["region"]) <= set(REGIONS) and frame["region"].notna().all()
    extras = frame["extra_fields"]
    assert all(IDENTITY_KEY in value for value in extras)
    raw = {i["id"]: i for page in iter_identities(client) for i in page}
    for identity_id, value in zip(frame["id"], extras, strict=True):
        assert value[IDENTITY_KEY] == raw[identity_id][IDENTITY_KEY]
        # unknown keys inside the address lists: one object per address, in order, with only those keys
        for field in ("verifiable_addresses", "recovery_addresses"):
            items = raw[identity_id].get(field) or []
            expected = [{ADDRESS_KEY: item[ADDRESS_KEY]} if ADDRESS_KEY in item else {} for item in items]
            assert value.get(field, [{}] * len(items)) == expected, (identity_id, field)
    assert any("verifiable_addresses" in value for value in extras)


def test_unknown_credential_type_appears_in_credential_types(client: Client) -> None:
    frame, _ = _quiet_read(read_identities, client, include_credential=["password"])
    with_new = frame[[CREDENTIAL_TYPE in (types or []) for types in frame["credential_types"]]]
    assert 0 < len(with_new) < SEEDED
    assert all(any(i.startswith("device:") for i in ids) for ids in with_new["credential_identifiers"])


def test_unknown_state_and_via_are_kept_as_values(client: Client) -> None:
    frame, _ = _quiet_read(read_identities, client)
    raw = {i["id"]: i["state"] for page in iter_identities(client) for i in page}
    assert DRIFT_STATE in set(raw.values())
    assert list(frame["state"].astype(str)) == [raw[i] for i in frame["id"]]
    assert list(frame["state"].cat.categories[:2]) == ["active", "inactive"]
    assert DRIFT_STATE in frame["state"].cat.categories
    vias = set(frame["verifiable_addresses"].explode().struct.field("via").dropna())
    assert VIA in vias
    # The summary columns read documented channels only: the new one changes no email or phone.
    assert all("@" in v for v in frame["email"].dropna())


def test_sessions_keep_aal3_new_methods_and_extras(client: Client) -> None:
    frame, _ = _quiet_read(read_sessions, client)
    raw = {s["id"]: s for page in iter_sessions(client) for s in page}
    assert list(frame["authenticator_assurance_level"].astype(str)) == [
        raw[i]["authenticator_assurance_level"] for i in frame["id"]
    ]
    assert (frame["authenticator_assurance_level"] == "aal3").any()
    assert any("device_binding" in methods for methods in frame["methods"])
    assert all(SESSION_KEY in value for value in frame["extra_fields"])
    for session_id, value in zip(frame["id"], frame["extra_fields"], strict=True):
        devices = raw[session_id].get("devices") or []
        expected = [{DEVICE_KEY: d[DEVICE_KEY]} if DEVICE_KEY in d else {} for d in devices]
        assert value.get("devices", [{}] * len(devices)) == expected, session_id
    assert DRIFT_STATE in set(frame["identity.state"].astype(str))


def test_one_warning_per_new_field_or_value_not_per_row(client: Client) -> None:
    _, texts = _quiet_read(read_identities, client)
    assert len(texts) == len(set(texts))
    assert sum(f"unknown field {IDENTITY_KEY!r}" in t for t in texts) == 1
    assert sum(f"unknown value {DRIFT_STATE!r} in 'state'" in t for t in texts) == 1
    assert sum(f"unknown key {ADDRESS_KEY!r}" in t for t in texts) == 2  # verifiable and recovery addresses
    assert sum(f"unknown value {VIA!r}" in t for t in texts) == 2
    assert f"({SEEDED} records)" in next(t for t in texts if IDENTITY_KEY in t)
    assert not any("region" in t for t in texts)  # documented by Ory (wire notes §3): a column, no warning
    _, session_texts = _quiet_read(read_sessions, client)
    assert sum(f"unknown key {DEVICE_KEY!r}" in t for t in session_texts) == 1
    assert sum(f"unknown field {SESSION_KEY!r}" in t for t in session_texts) == 1


def test_unknown_error_id_surfaces_in_the_exception(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_identity(str(uuid.uuid4()))
    assert caught.value.error_id in ERROR_IDS
    assert caught.value.envelope["error"]["id"] == caught.value.error_id
    assert caught.value.message == "Unable to locate the resource"


def test_both_conversion_paths_agree_on_drifted_pages(client: Client) -> None:
    pages = [page.items for page in iter_identities(client, page_size=25, include_credential=["password"])]
    traits = trait_columns({s["id"]: s["schema"] for page in iter_identity_schemas(client) for s in page})
    for records in pages:
        fast, slow = IdentityConverter(traits), IdentityConverter(traits)
        fast_batch = fast._convert_fast(records)
        assert fast_batch is not None  # a new state or field keeps the page on the bulk path
        assert fast_batch.equals(slow._convert_fallback(records))
        assert fast.problems.unknown == slow.problems.unknown and not fast.problems.total


def test_arrow_batches_share_one_schema_with_the_extras_column(client: Client) -> None:
    batches, _ = _quiet_read(lambda: list(iter_identity_batches(client, page_size=20)))
    assert len(batches) == SEEDED // 20
    assert all(b.schema == batches[0].schema for b in batches)
    assert batches[0].schema.field("extra_fields").metadata == batches[0].schema.field("metadata_public").metadata


def test_round_trip_read_edit_plan_apply(url: str) -> None:
    with Client(url) as client:
        original, _ = _quiet_read(read_identities, client)
        assert len(plan_changes(original, original.copy())) == 0  # extras and new values are never patched
        edited = original.copy()
        target = edited.index[(edited["schema_id"] == "default") & (edited["state"] == DRIFT_STATE)]
        rows = list(target[:1]) + list(edited.index[edited["schema_id"] == "default"][:2])
        edited.loc[rows, "traits.name.first"] = "Drifted"
        plan = plan_changes(original, edited)
        assert plan.summary()["patch"] == len(rows) == sum(plan.summary())
        report = plan.apply(client)
        assert set(report["status"]) == {"applied"}, report
        after, _ = _quiet_read(read_identities, client, ids=list(edited.loc[rows, "id"]))
        assert set(after["traits.name.first"]) == {"Drifted"}
        assert set(after["state"].astype(str)) == set(edited.loc[rows, "state"].astype(str))


def test_writes_echoing_drift_are_accepted(client: Client) -> None:
    raw = next(i for page in iter_identities(client, include_credential=["password"]) for i in page
               if i["state"] == DRIFT_STATE)  # fmt: skip
    body = {k: raw[k] for k in ("schema_id", "traits", "state", "metadata_public", "metadata_admin", "region")}
    body[IDENTITY_KEY] = raw[IDENTITY_KEY]
    updated = client.update_identity(raw["id"], body)
    assert updated.state == DRIFT_STATE
    patched = client.patch_identity(raw["id"], [{"op": "replace", "path": "/state", "value": DRIFT_STATE}])
    assert patched.state == DRIFT_STATE
    created = client.create_identity(
        {
            "schema_id": "default",
            "traits": {"email": f"drift-{uuid.uuid4().hex[:8]}@example.org"},
            "state": DRIFT_STATE,
            IDENTITY_KEY: {"stage": "onboarding"},
        }
    )
    assert created.state in ("inactive", DRIFT_STATE)
    client.delete_identity(created.id)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_exports_of_drifted_pages_keep_new_values(client: Client, tmp_path: Any, fmt: str) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    from ory_frames import export_identities, export_sessions

    frame, _ = _quiet_read(read_sessions, client)
    for export, name in ((export_identities, "identities"), (export_sessions, "sessions")):
        path = tmp_path / f"{name}.{fmt}"
        _quiet_read(export, client, path, page_size=7)  # many pages, each widening its own categories
        read = {"parquet": pq.read_table, "csv": pacsv.read_csv, "jsonl": pajson.read_json}[fmt]
        table = read(path)
        column = "state" if name == "identities" else "identity.state"
        assert DRIFT_STATE in set(table.column(column).cast("string").to_pylist())
        assert table.num_rows == (SEEDED if name == "identities" else len(frame))
        assert "extra_fields" in table.column_names
