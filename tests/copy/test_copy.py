"""copy_identities between two sandboxes: fidelity, matching, filters, schema map, dry run and what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from copy_support import SOURCE_SIZE, comparable, differences, identities

from ory_frames import (
    Client,
    CopyResult,
    InvalidInputError,
    copy_identities,
    iter_identities,
    plan_changes,
    read_identities,
)


def _count(client: Client) -> int:
    return sum(len(page) for page in iter_identities(client))


def test_copy_keeps_traits_state_metadata_addresses_hashes_and_oidc(source: Client, target: Client) -> None:
    result = copy_identities(source, target)
    assert isinstance(result, CopyResult)
    assert result.counts == {"created": SOURCE_SIZE, "matched": 0, "failed": 0, "skipped": 0}
    assert differences(source, target, result.mapping()) == []
    # The seed holds every case the copy must carry over.
    src = [comparable(i) for i in identities(source)]
    assert any(c["hash"] for c in src) and any(c["oidc"] for c in src)
    assert any(c["external_id"] for c in src) and any(c["organization_id"] for c in src)
    assert {v[2] for c in src for v in c["verifiable"]} == {True, False}
    assert {c["state"] for c in src} == {"active", "inactive"}
    assert any(c["metadata_admin"] for c in src) and any(c["metadata_public"] for c in src)


def test_credentials_ory_cannot_import_are_reported_per_identity(source: Client, target: Client) -> None:
    result = copy_identities(source, target)
    with_totp = {i["id"] for i in identities(source) if "totp" in (i.get("credentials") or {})}
    assert with_totp
    noted = result.not_imported.set_index("source_id")["not_imported"]
    assert set(noted.index) == with_totp | {
        i["id"]
        for i in identities(source)
        if {"lookup_secret", "webauthn", "passkey"} & set(i.get("credentials") or {})
    }
    assert all("totp: not imported" in noted[source_id] for source_id in with_totp)
    # They are created all the same, with what can be imported.
    assert set(result.report.set_index("source_id").loc[list(with_totp), "status"]) == {"created"}


def test_oidc_providers_are_sent_with_only_the_fields_ory_imports(source: Client, target: Client) -> None:
    result = copy_identities(source, target, dry_run=True)
    providers = [
        p
        for request in result.requests
        for item in request["body"]["identities"]
        for p in item["create"].get("credentials", {}).get("oidc", {}).get("config", {}).get("providers", [])
    ]
    assert providers
    assert {key for p in providers for key in p} <= {"provider", "subject", "organization", "use_auto_link"}


def test_a_second_run_matches_everything_and_creates_nothing(source: Client, target: Client) -> None:
    first = copy_identities(source, target)
    second = copy_identities(source, target)
    assert second.counts == {"created": 0, "matched": SOURCE_SIZE, "failed": 0, "skipped": 0}
    assert second.mapping() == first.mapping()
    assert _count(target) == SOURCE_SIZE
    reasons = set(second.report["reason"])
    assert reasons <= {"already in the target: same external_id", "already in the target: same credential identifier"}
    assert len(reasons) == 2


def test_identities_already_in_the_target_are_matched_by_external_id_else_identifier(
    source: Client, target: Client
) -> None:
    src = identities(source)
    by_external = next(i for i in src if i.get("external_id"))
    by_identifier = next(i for i in src if not i.get("external_id") and i["schema_id"] == "default")
    made = []
    for ident in (by_external, by_identifier):
        body = {"schema_id": ident["schema_id"], "traits": ident["traits"]}
        if ident.get("external_id"):
            body["external_id"] = ident["external_id"]
            body["traits"] = {**ident["traits"], "email": "someone.else@example.org"}
        made.append(target.create_identity(body).raw["id"])
    result = copy_identities(source, target)
    report = result.report.set_index("source_id")
    assert report.loc[by_external["id"], ["status", "target_id"]].tolist() == ["matched", made[0]]
    assert report.loc[by_identifier["id"], ["status", "target_id"]].tolist() == ["matched", made[1]]
    assert result.counts["created"] == SOURCE_SIZE - 2
    assert _count(target) == SOURCE_SIZE


def test_schema_map_moves_identities_to_another_schema(source: Client, target: Client) -> None:
    # Username traits lack the default schema's required email: Ory refuses each row, and says why.
    result = copy_identities(source, target, schema_id="username", schema_map={"username": "default"})
    report = result.report
    copied = report[report["status"] != "skipped"]
    assert len(copied) and set(copied["status"]) == {"failed"}
    # The validator's text (wire notes §5), one line or several.
    assert copied["reason"].str.contains('additionalProperties "username" not allowed', regex=False).all()
    assert copied["http_status"].eq(400).all()
    assert _count(target) == 0


def test_schema_map_sends_the_target_schema_id(source: Client, target: Client) -> None:
    result = copy_identities(source, target, dry_run=True, schema_id="username", schema_map={"username": "default"})
    items = [item["create"] for request in result.requests for item in request["body"]["identities"]]
    assert items and {item["schema_id"] for item in items} == {"default"}


def test_filters_skip_the_rest_and_report_them(source: Client, target: Client) -> None:
    src = identities(source)
    org = next(i["organization_id"] for i in src if i.get("organization_id"))
    result = copy_identities(source, target, organization_id=org, identity_state="active")
    wanted = {i["id"] for i in src if i.get("organization_id") == org and i["state"] == "active"}
    report = result.report.set_index("source_id")
    assert set(report.index[report["status"] == "created"]) == wanted
    assert (report.loc[list(set(report.index) - wanted), "status"] == "skipped").all()
    assert report.loc[report["status"] == "skipped", "reason"].str.startswith("skipped by filter").all()
    some = sorted(i["id"] for i in src)[:3]
    only = copy_identities(source, target, ids=some, schema_id=["default", "b2b", "username", "phone"])
    assert set(only.report.loc[only.report["status"] != "skipped", "source_id"]) == set(some)


def test_dry_run_sends_nothing_and_masks_hashes(source: Client, target: Client, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    result = copy_identities(source, target, dry_run=True, state=state)
    assert result.dry_run and result.counts["planned"] == SOURCE_SIZE
    assert _count(target) == 0 and not state.exists()
    hashes = {c["hash"] for c in map(comparable, identities(source)) if c["hash"]}
    text = repr(result.requests)
    assert "***" in text and not any(h in text for h in hashes)
    assert result.estimate is not None and result.estimate.requests["target: PATCH /admin/identities"] == 1


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"schema_map": {"default": "nope"}}, "'nope'"),
        ({"schema_map": {"gone": "default"}}, "'gone'"),
        ({"schema_id": "missing"}, "'missing'"),
    ],
)
def test_unknown_schemas_are_refused_before_anything_is_sent(
    source: Client, target: Client, kwargs: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidInputError, match=named):
        copy_identities(source, target, **kwargs)
    assert _count(target) == 0


def test_malformed_filters_are_refused(source: Client, target: Client) -> None:
    with pytest.raises(InvalidInputError) as info:
        copy_identities(source, target, identity_state="gone", ids=["nope"], organization_id="x")
    assert {p.column for p in info.value.problems} == {"state", "ids", "organization_id"}


def test_report_csv_and_result_frame_agree(source: Client, target: Client, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    result = copy_identities(source, target, report=path)
    on_disk = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert on_disk["source_id"].tolist() == result.report["source_id"].tolist()
    assert on_disk["target_id"].tolist() == result.report["target_id"].tolist()
    assert (tmp_path / "report.csv.state.json").exists()
    again = tmp_path / "again.csv"
    result.to_csv(again)
    assert pd.read_csv(again)["status"].tolist() == result.report["status"].tolist()


def test_rows_read_from_one_project_plan_and_apply_in_another_as_they_stand(source: Client, target: Client) -> None:
    # Done when: rows copied from read_identities output, appended with id cleared, need no column clean-up.
    rows = read_identities(source, include_credential=["password", "oidc"]).head(60).copy()
    source_ids = rows["id"].tolist()
    rows["id"] = None
    plan = plan_changes(rows.iloc[:0], rows)
    assert set(plan.summary()[["create"]]) == {60}
    report = plan.apply(target)
    assert set(report["status"]) == {"applied"}
    mapping = dict(zip(source_ids, report["identity_id"], strict=True))
    src = {i["id"]: comparable(i) for i in identities(source)}
    dst = {i["id"]: comparable(i) for i in identities(target)}
    assert all(src[s] == dst[t] for s, t in mapping.items())
