"""The one plan engine: Plan and SessionPlan share report columns, save/load and resumable apply."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pandas as pd
import pytest
from writeback_fakes import FakeOry

from ory_frames.writeback import (
    REPORT_COLUMNS,
    Plan,
    ReportRow,
    SessionPlan,
    plan_changes,
    plan_revoke_sessions,
    plan_session_actions,
)

SECRET = "engine-Pa55word-never-shown"


def _ids(n: int, start: int = 1000) -> list[str]:
    return [str(uuid.UUID(int=start + i)) for i in range(n)]


def _identity_plan(original: pd.DataFrame, schemas: dict[str, Any]) -> Plan:
    """Three patches, one create with a password, one skipped row (deletes not allowed)."""
    edited = original.copy()
    edited.loc[[0, 1, 2], "traits.name.last"] = "Engine"
    new = pd.DataFrame([{"traits.email": "engine@example.com", "password": SECRET}])
    return plan_changes(original, pd.concat([edited.drop(index=[4]), new], ignore_index=True), schemas=schemas)


def _interrupt_on(fake: FakeOry, method: str, nth: int) -> Any:
    """A handler that raises KeyboardInterrupt on the ``nth`` request with ``method``, else asks ``fake``."""
    seen = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == method:
            seen["n"] += 1
            if seen["n"] == nth:
                raise KeyboardInterrupt
        return fake(request)

    return handler


def test_both_plans_report_the_same_columns(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _identity_plan(original, schemas)
    sessions = plan_session_actions(pd.DataFrame({"id": _ids(2), "identity_id": original["id"].head(2)}))
    revoke = plan_revoke_sessions(original)
    for any_plan in (plan, sessions, revoke):
        assert list(any_plan.report().columns) == list(REPORT_COLUMNS)  # before apply: every row "not run"
        assert set(any_plan.report()["reason"]) == {"not run"}
        report = any_plan.apply(client_for(fake))
        assert list(report.columns) == list(REPORT_COLUMNS)
        assert str(report["http_status"].dtype) == "Int64"
        assert list(any_plan.preview().columns) == ["row", "identity_id", "action", "path", "old", "new"]
    extended = sessions.report()
    assert extended["session_id"].tolist() == _ids(2) and extended["patch_id"].isna().all()
    assert extended["identity_id"].tolist() == original["id"].head(2).tolist()
    identities = plan.report()
    assert identities["session_id"].isna().all()
    assert identities.loc[identities["action"] == "create", "patch_id"].notna().all()
    assert revoke.report()["identity_id"].tolist() == original["id"].tolist()


def test_identity_plan_round_trip_keeps_passwords_only_when_asked(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _identity_plan(original, schemas)
    with pytest.raises(ValueError, match="include_passwords=True"):
        plan.to_json()
    for shown in (repr(plan), plan._repr_html_(), plan.preview().to_string(), json.dumps(plan.payloads())):
        assert SECRET not in shown
    text = plan.to_json(include_passwords=True)
    assert SECRET in text
    loaded = Plan.from_json(text)
    assert loaded.plan_id == plan.plan_id and loaded.operations == plan.operations and loaded.done == {}
    assert loaded.payloads(reveal_passwords=True) == plan.payloads(reveal_passwords=True)
    assert SECRET not in json.dumps(loaded.payloads())
    pd.testing.assert_frame_equal(loaded.preview(), plan.preview())
    pd.testing.assert_series_equal(loaded.summary(), plan.summary())
    loaded.apply(client_for(fake))
    again = Plan.from_json(loaded.to_json(include_passwords=True))
    assert again.done == loaded.done and len(again.done) == 4  # three patches and the create


def test_session_plan_round_trip(fake: FakeOry, client_for: Any) -> None:
    plan = plan_session_actions(pd.DataFrame({"id": _ids(3), "identity_id": [None, *_ids(2, start=1)]}), "disable")
    loaded = SessionPlan.from_json(plan.to_json())
    assert loaded.plan_id == plan.plan_id and loaded.operations == plan.operations
    assert loaded.payloads() == plan.payloads()
    pd.testing.assert_series_equal(loaded.summary(), plan.summary())
    pd.testing.assert_frame_equal(loaded.preview(), plan.preview())
    loaded.apply(client_for(fake))
    resumed = SessionPlan.from_json(loaded.to_json())
    assert resumed.done == loaded.done and set(resumed.done) == {op.key for op in plan.operations}
    with pytest.raises(ValueError, match="cannot read session plan"):
        SessionPlan.from_json(plan_revoke_sessions(pd.DataFrame({"id": _ids(1)})).to_json().replace("session_", ""))
    with pytest.raises(ValueError, match="cannot read plan"):
        Plan.from_json(plan.to_json())


def test_identity_plan_resumes_after_an_interrupted_apply(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _identity_plan(original, schemas)
    with pytest.raises(KeyboardInterrupt) as info:  # the create batch, the first patch, then the interrupt
        plan.apply(client_for(_interrupt_on(fake, "PATCH", 3)), workers=1)
    partial = info.value.report  # type: ignore[attr-defined]
    assert list(partial.columns) == list(REPORT_COLUMNS)
    assert partial["status"].tolist() == ["applied", "applied", "skipped", "skipped", "skipped"]
    assert partial["reason"].tolist()[2:] == ["not run", "not run", SKIP_REASON]
    saved = plan.to_json(include_passwords=True)
    before = len(fake.requests)
    report = Plan.from_json(saved).apply(client_for(fake), workers=1)
    assert report["status"].tolist() == ["skipped", "skipped", "applied", "applied", "skipped"]
    assert report["reason"].tolist()[:2] == ["applied by an earlier run"] * 2
    assert report.loc[0, "identity_id"] == partial.loc[0, "identity_id"]  # the id the create made
    sent = [(m, p) for m, p, _ in fake.requests[before:] if m != "GET"]
    assert sent == [("PATCH", f"/admin/identities/{original.at[i, 'id']}") for i in (1, 2)]
    assert fake.count("PATCH", "/admin/identities") == 1


SKIP_REASON = "skipped: missing from edited, allow_delete=False"


def test_session_plan_resumes_after_an_interrupted_apply(fake: FakeOry, client_for: Any) -> None:
    plan = plan_session_actions(pd.DataFrame({"id": _ids(5)}), "disable")
    with pytest.raises(KeyboardInterrupt) as info:
        plan.apply(client_for(_interrupt_on(fake, "DELETE", 3)), workers=1)
    partial = info.value.report  # type: ignore[attr-defined]
    assert partial["status"].tolist() == ["applied", "applied", "skipped", "skipped", "skipped"]
    assert partial["session_id"].tolist() == _ids(5)
    before = fake.count("DELETE")
    report = SessionPlan.from_json(plan.to_json()).apply(client_for(fake), workers=1)
    assert report["status"].tolist() == ["skipped", "skipped", "applied", "applied", "applied"]
    assert fake.count("DELETE") - before == 3
    assert [p for m, p, _ in fake.requests[-3:]] == [f"/admin/sessions/{s}" for s in _ids(5)[2:]]


def test_revocation_resumes_after_a_failed_call(fake: FakeOry, client_for: Any) -> None:
    frame = pd.DataFrame({"id": _ids(1201)})
    plan = plan_revoke_sessions(frame, "delete")
    fake.fail("POST", "/admin/sessions", "400")  # the first of the three calls is refused
    report = plan.apply(client_for(fake))
    assert report["status"].value_counts().to_dict() == {"applied": 701, "failed": 500}
    assert set(report.loc[report["status"] == "failed", "http_status"]) == {400}
    assert len(plan.done) == 2
    report = plan.apply(client_for(fake))
    assert report["status"].value_counts().to_dict() == {"skipped": 701, "applied": 500}
    assert [len(c["identities"]) for c in fake.sessions_calls] == [500, 201, 500]


def test_version_1_files_still_load() -> None:
    # Plans saved before the shared engine (format version 1) repeat row, action and patch_id in each
    # result, and session plans carry no plan_id.
    op = {"key": "patch:x", "action": "patch", "row": 0, "identity_id": "x", "patch": [], "old": {}, "body": None}
    op |= {"patch_id": None, "identifiers": [], "updated_at": None, "note": None}
    done = {"row": 0, "identity_id": "x", "action": "patch", "status": "applied", "http_status": 200}
    done |= {"reason": None, "message": None, "request_id": None, "patch_id": None}
    text = json.dumps({"format": "ory_frames.plan", "version": 1, "plan_id": "p", "operations": [op], "done": {}})
    assert Plan.from_json(text).done == {}
    text = json.dumps(
        {"format": "ory_frames.plan", "version": 1, "plan_id": "p", "operations": [op], "done": {"patch:x": done}}
    )
    plan = Plan.from_json(text)
    assert plan.plan_id == "p" and plan.done["patch:x"].status == "applied" and not plan.report().empty
    session = plan_session_actions(pd.DataFrame({"id": _ids(1)}))
    data = json.loads(session.to_json())
    data.pop("plan_id")
    data["version"] = 1
    loaded = SessionPlan.from_json(json.dumps(data))
    assert loaded.operations == session.operations and loaded.plan_id == session.plan_id


def test_workers_must_be_positive(fake: FakeOry, client_for: Any) -> None:
    plan = plan_session_actions(pd.DataFrame({"id": _ids(1)}))
    with pytest.raises(ValueError, match="workers"):
        plan.apply(client_for(fake), workers=0)
    assert fake.requests == []


def test_apply_rows_are_the_report_as_objects(
    original: pd.DataFrame, schemas: dict[str, Any], fake: FakeOry, client_for: Any
) -> None:
    plan = _identity_plan(original, schemas)
    rows = plan.apply_rows(client_for(fake))
    assert all(isinstance(r, ReportRow) for r in rows) and len(rows) == len(plan.report())
    frame = plan.report()
    assert [r.status for r in rows] == frame["status"].tolist()
    # The frame shows a missing value as NaN or <NA> (nullable Int64); the objects hold None.
    assert [r.patch_id for r in rows] == [None if pd.isna(p) else p for p in frame["patch_id"]]
    assert [r.http_status for r in rows] == [None if pd.isna(s) else int(s) for s in frame["http_status"]]
    created = next(r for r in rows if r.action == "create")
    assert created.status == "applied" and created.identity_id and created.http_status == 201
    assert tuple(ReportRow._fields) == REPORT_COLUMNS
