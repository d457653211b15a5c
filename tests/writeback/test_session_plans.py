"""Session plans: POST /admin/sessions in chunks of 500, and per-session extend/disable."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pytest
from writeback_fakes import FakeOry

from ory_frames._errors import InvalidInputError
from ory_frames.writeback import SessionPlan, plan_revoke_sessions, plan_session_actions


def _ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(n)]


def test_manage_sessions_chunks_of_500(fake: FakeOry, client_for: Any) -> None:
    frame = pd.DataFrame({"id": [*_ids(1201), None, _ids(1)[0]]})  # a missing id and a duplicate
    plan = plan_revoke_sessions(frame, "delete")
    payloads = plan.payloads()
    assert [len(p["body"]["identities"]) for p in payloads] == [500, 500, 201]
    assert {p["method"] + " " + p["path"] for p in payloads} == {"POST /admin/sessions"}
    assert plan.summary().to_dict() == {"delete sessions": 1201, "requests": 3}
    report = plan.apply(client_for(fake))
    assert len(report) == 1201 and set(report["status"]) == {"applied"}
    assert [len(c["identities"]) for c in fake.sessions_calls] == [500, 500, 201]
    again = SessionPlan.from_json(plan.to_json()).apply(client_for(fake))
    assert set(again["status"]) == {"skipped"} and len(fake.sessions_calls) == 3


def test_session_updates(fake: FakeOry, client_for: Any) -> None:
    sessions = pd.DataFrame({"id": _ids(3), "identity_id": ["a", "b", None]})
    plan = plan_session_actions(sessions, "extend")
    assert [p["path"] for p in plan.payloads()] == [f"/admin/sessions/{s}/extend" for s in _ids(3)]
    fake.fail("PATCH", f"/admin/sessions/{_ids(3)[1]}/extend", "404")
    report = plan.apply(client_for(fake), workers=2)
    assert report["status"].tolist() == ["applied", "failed", "applied"]
    assert report["identity_id"].tolist()[:2] == ["a", "b"]
    disable = plan_session_actions(sessions, "disable")
    assert {p["method"] for p in disable.payloads()} == {"DELETE"}
    assert set(disable.apply(client_for(fake))["status"]) == {"applied"}


def test_session_plan_validation() -> None:
    with pytest.raises(InvalidInputError, match="not a identity id"):
        plan_revoke_sessions(pd.DataFrame({"id": ["*"]}))
    with pytest.raises(InvalidInputError, match="action must be"):
        plan_revoke_sessions(pd.DataFrame({"id": _ids(1)}), "revoke")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no 'id' column"):
        plan_session_actions(pd.DataFrame({"x": [1]}))
