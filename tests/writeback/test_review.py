"""Review surface: preview, summary, payloads, repr/HTML (never a password), chunking, accessor."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

import ory_frames.accessor  # noqa: F401  (registers df.ory)
from ory_frames.writeback import plan_changes
from ory_frames.writeback._payloads import chunk_creates

SECRET = "pa55-w0rd-never-shown"


def _with_new_rows(original: pd.DataFrame, n: int, password_every: int = 0) -> pd.DataFrame:
    rows = [
        {
            "traits.email": f"n{i}@example.com",
            "password": SECRET if password_every and i % password_every == 0 else None,
        }
        for i in range(n)
    ]
    return pd.concat([original, pd.DataFrame(rows)], ignore_index=True)


def test_passwords_never_shown(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    plan = plan_changes(original, _with_new_rows(original, 3, password_every=1), schemas=schemas)
    shown = [repr(plan), plan._repr_html_(), plan.preview().to_string(), json.dumps(plan.payloads())]
    for text in shown:
        assert SECRET not in text
    assert "***" in json.dumps(plan.payloads())
    assert SECRET in json.dumps(plan.payloads(reveal_passwords=True))


def test_preview_columns_and_rows(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited.loc[2, ["traits.name.first", "traits.age"]] = ["Grace", pd.NA]
    preview = plan_changes(original, edited.drop(index=[0]), schemas=schemas).preview()
    assert list(preview.columns) == ["row", "identity_id", "action", "path", "old", "new"]
    rows = preview.sort_values("path").to_dict("records")
    assert rows[0] == {
        "row": 2, "identity_id": original.at[2, "id"], "action": "remove", "path": "/traits/age", "old": 22, "new": None
    }  # fmt: skip
    assert rows[1]["action"] == "replace" and rows[1]["old"] == "First2" and rows[1]["new"] == "Grace"
    assert preview["action"].tolist().count("skip") == 1


def test_html_escapes(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited.loc[0, "traits.name.first"] = "<script>x</script>"
    page = plan_changes(original, edited, schemas=schemas)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_chunks_1000_or_200_with_password(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    # wire notes §4: 1000 items per batch; 200 when items carry a plaintext password.
    assert [len(c) for c in chunk_creates([({}, False)] * 2500)] == [1000, 1000, 500]
    assert [len(c) for c in chunk_creates([({}, True)] * 450)] == [200, 200, 50]
    mixed = [({}, False)] * 300 + [({}, True)] + [({}, False)] * 10
    assert [len(c) for c in chunk_creates(mixed)] == [300, 11]
    plan = plan_changes(original, _with_new_rows(original, 1200), schemas=schemas)
    sizes = [len(p["body"]["identities"]) for p in plan.payloads()]
    assert sizes == [1000, 200]
    plan = plan_changes(original, _with_new_rows(original, 250, password_every=100), schemas=schemas)
    assert [len(p["body"]["identities"]) for p in plan.payloads()] == [200, 50]
    patch_ids = [i["patch_id"] for p in plan.payloads() for i in p["body"]["identities"]]
    assert len(set(patch_ids)) == 250


def test_accessor_forwards(original: pd.DataFrame, schemas: dict[str, Any]) -> None:
    edited = original.copy()
    edited.loc[1, "traits.name.last"] = "Hopper"
    plan = edited.ory.plan(original, schemas=schemas)
    assert plan.payloads() == plan_changes(original, edited, schemas=schemas).payloads()
    assert edited.ory.plan_revoke_sessions("delete").payloads()[0]["body"]["action"] == "delete"
