"""Plan.apply against a fake Ory behind httpx.MockTransport: conflicts, 409s, failures, resumes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from writeback_fakes import FakeOry

from ory_frames.writeback import Plan, plan_changes


def _edited(original: pd.DataFrame) -> pd.DataFrame:
    edited = original.copy()
    edited.loc[0, "traits.name.first"] = "Ada"
    edited.loc[1, "state"] = "inactive"
    edited["metadata_admin"] = edited["metadata_admin"].astype(object)
    edited.at[2, "metadata_admin"] = None
    new = pd.DataFrame(
        [
            {"traits.email": "new1@example.com", "password": "correct-horse-1"},
            {"traits.email": "new2@example.com", "traits.age": 30},
        ]
    )
    return pd.concat([edited.drop(index=[4]), new], ignore_index=True)


def test_apply_everything(original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any) -> None:
    plan = plan_changes(original, _edited(original), schemas=schemas, allow_delete=True)
    report = plan.apply(client_for(fake), workers=4)
    assert list(report.columns) == [
        "row", "identity_id", "session_id", "action", "status", "http_status", "reason", "message", "request_id",
        "patch_id",
    ]  # fmt: skip
    assert len(report) == len(plan.operations) == 6
    assert set(report["status"]) == {"applied"}, report
    ids = original["id"].tolist()
    assert fake.identities[ids[0]]["traits"]["name"]["first"] == "Ada"
    assert fake.identities[ids[1]]["state"] == "inactive"
    assert "metadata_admin" not in fake.identities[ids[2]]
    assert ids[4] not in fake.identities
    created = report[report["action"] == "create"]
    assert all(created["identity_id"].isin(list(fake.identities)))
    assert fake.count("PATCH", "/admin/identities") == 1  # both creates in one batch
    # Re-running sends nothing new and reports what was done before as skipped.
    before = len(fake.requests)
    again = plan.apply(client_for(fake))
    assert set(again["status"]) == {"skipped"}
    assert len(fake.requests) == before


def test_concurrent_change_is_a_conflict(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    edited = original.copy()
    edited.loc[0, "traits.name.first"] = "Mine"
    plan = plan_changes(original, edited, schemas=schemas)
    target = original.at[0, "id"]
    fake.touch(target, age=99)  # someone else, after the read
    report = plan.apply(client_for(fake))
    assert report.loc[0, "status"] == "conflict"
    assert "updated_at" in report.loc[0, "reason"]
    assert fake.identities[target]["traits"]["name"]["first"] == "First0"
    assert fake.count("PATCH") == 0
    report = plan.apply(client_for(fake), ignore_conflicts=True)
    assert report.loc[0, "status"] == "applied"
    assert fake.identities[target]["traits"]["name"]["first"] == "Mine"


def test_field_conflict_without_updated_at(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    slim = original.drop(columns=["updated_at"])
    edited = slim.copy()
    edited.loc[0, "traits.name.first"] = "Mine"
    plan = plan_changes(slim, edited, schemas=schemas)
    fake.identities[original.at[0, "id"]]["traits"]["name"]["first"] = "Theirs"
    report = plan.apply(client_for(fake))
    assert report.loc[0, "status"] == "conflict"
    assert "/traits/name/first changed" in report.loc[0, "reason"]


def test_patch_failure_reported_and_retried_next_run(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    edited = original.copy()
    edited.loc[[0, 1], "traits.name.last"] = "X"
    plan = plan_changes(original, edited, schemas=schemas)
    fake.fail("PATCH", f"/admin/identities/{original.at[1, 'id']}", "400")
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["applied", "failed"]
    assert report.loc[1, "http_status"] == 400 and report.loc[1, "message"] == "injected"
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["skipped", "applied"]


def test_deleted_meanwhile(original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any) -> None:
    edited = original.copy()
    edited.loc[0, "traits.name.last"] = "X"
    plan = plan_changes(original, edited.drop(index=[3]), schemas=schemas, allow_delete=True)
    del fake.identities[original.at[0, "id"]]
    del fake.identities[original.at[3, "id"]]
    report = plan.apply(client_for(fake)).set_index("action")
    assert report.loc["patch", "status"] == "failed" and report.loc["patch", "http_status"] == 404
    assert report.loc["delete", "status"] == "applied" and report.loc["delete", "reason"] == "already deleted"


def _creates(original: pd.DataFrame, schemas: dict[str, Any], n: int = 3) -> Plan:
    new = pd.DataFrame([{"traits.email": f"fresh{i}@example.com", "traits.age": 40 + i} for i in range(n)])
    return plan_changes(original, pd.concat([original, new], ignore_index=True), schemas=schemas)


def test_uncertain_batch_failure_never_duplicates(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _creates(original, schemas)
    fake.fail("PATCH", "/admin/identities", "timeout-after")  # created, but the answer was lost
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["applied"] * 3
    assert set(report["reason"]) == {"created by an earlier attempt"}
    assert len(fake.identities) == 5 + 3
    assert fake.count("PATCH", "/admin/identities") == 1  # looked up, not re-sent
    assert fake.count("GET", "/admin/identities") == 3


def test_uncertain_failure_before_create_resends_once(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _creates(original, schemas)
    fake.fail("PATCH", "/admin/identities", "503")
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["applied"] * 3
    assert len(fake.identities) == 8
    assert fake.count("PATCH", "/admin/identities") == 2


def test_uncertain_twice_fails_and_rerun_completes(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _creates(original, schemas, n=2)
    fake.fail("PATCH", "/admin/identities", "timeout", "timeout")
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["failed", "failed"]
    assert len(fake.identities) == 5
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["applied", "applied"]
    assert len(fake.identities) == 7


def test_item_409_with_same_traits_is_applied(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _creates(original, schemas, n=2)
    # The first row exists already with the same traits (say, an earlier run of another plan).
    fake._create({"create": {"schema_id": "default", "traits": {"email": "fresh0@example.com", "age": 40}}})
    # The second row's email is taken by a different identity.
    fake._create({"create": {"schema_id": "default", "traits": {"email": "fresh1@example.com", "age": 1}}})
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["applied", "failed"]
    assert report.loc[0, "reason"] == "already existed" and report.loc[0, "identity_id"] in fake.identities
    assert report.loc[1, "http_status"] == 409


def test_batch_refused_whole(original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any) -> None:
    plan = _creates(original, schemas, n=2)
    fake.fail("PATCH", "/admin/identities", "400")
    report = plan.apply(client_for(fake))
    assert report["status"].tolist() == ["failed", "failed"]
    assert fake.count("PATCH", "/admin/identities") == 1  # a 400 is certain: no look-up, no re-send
    assert fake.count("GET") == 0


def test_interrupted_apply_keeps_report_and_resumes(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any, monkeypatch: Any
) -> None:
    edited = original.copy()
    edited["traits.name.last"] = "Changed"
    plan = plan_changes(original, edited, schemas=schemas)
    calls = {"n": 0}

    def interrupting(request: Any) -> Any:
        if request.method == "PATCH":
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
        return fake(request)

    with pytest.raises(KeyboardInterrupt) as info:
        plan.apply(client_for(interrupting), workers=1)
    partial = info.value.report  # type: ignore[attr-defined]
    assert len(partial) == 5
    assert (partial["status"] == "applied").sum() == 2
    assert set(partial["status"]) == {"applied", "skipped"}
    report = plan.apply(client_for(fake))
    assert (report["status"] == "applied").sum() == 3 and (report["status"] == "skipped").sum() == 2
    assert {d["traits"]["name"]["last"] for d in fake.identities.values()} == {"Changed"}


def test_plan_json_round_trip_then_apply(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = plan_changes(original, _edited(original), schemas=schemas)
    with pytest.raises(ValueError, match="include_passwords=True"):
        plan.to_json()
    loaded = Plan.from_json(plan.to_json(include_passwords=True))
    assert loaded.payloads(reveal_passwords=True) == plan.payloads(reveal_passwords=True)
    report = loaded.apply(client_for(fake))
    assert (report["status"] == "applied").sum() == 5 and (report["status"] == "skipped").sum() == 1
    resumed = Plan.from_json(loaded.to_json(include_passwords=True))
    assert set(resumed.apply(client_for(fake))["status"]) == {"skipped"}
