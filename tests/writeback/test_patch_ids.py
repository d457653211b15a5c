"""Batch-create answers are mapped to rows by patch_id, never by position."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd
import pytest

from ory_frames.writeback import Plan, plan_changes

Answer = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _plan(original: pd.DataFrame, schemas: dict[str, Any], n: int = 3) -> Plan:
    new = pd.DataFrame([{"traits.email": f"new{i}@example.com"} for i in range(n)], index=[f"n{i}" for i in range(n)])
    return plan_changes(original, pd.concat([original, new]), schemas=schemas)


def _created(item: dict[str, Any]) -> dict[str, Any]:
    return {"action": "create", "identity": str(uuid.uuid4()), "patch_id": item["patch_id"]}


def _apply(plan: Plan, client_for: Any, answer: Answer) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Apply ``plan`` against a server whose batch answer is ``answer(request items)``."""
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("PATCH", "/admin/identities")
        items = json.loads(request.content)["identities"]
        sent.extend(items)
        return httpx.Response(200, json={"identities": answer(items)})

    report = plan.apply(client_for(handler))
    return report.set_index("row"), sent


def test_reordered_answer_is_mapped_by_patch_id(
    original: pd.DataFrame, schemas: dict[str, Any], client_for: Any
) -> None:
    plan = _plan(original, schemas)
    answers: dict[str, str] = {}

    def reversed_answer(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = [_created(item) for item in items]
        answers.update({a["patch_id"]: a["identity"] for a in out})
        return out[::-1]

    report, sent = _apply(plan, client_for, reversed_answer)
    assert set(report["status"]) == {"applied"}
    for item in sent:
        row = report[report["patch_id"] == item["patch_id"]]
        assert row["identity_id"].tolist() == [answers[item["patch_id"]]]
        assert row.index.tolist() == [f"n{item['create']['traits']['email'][3]}"]


def test_missing_patch_id_fails_only_that_row(original: pd.DataFrame, schemas: dict[str, Any], client_for: Any) -> None:
    plan = _plan(original, schemas)
    report, _ = _apply(plan, client_for, lambda items: [_created(item) for item in items[1:]])
    assert report.loc["n0", "status"] == "failed"
    assert "no item with this row's patch_id" in report.loc["n0", "reason"]
    assert report.loc[["n1", "n2"], "status"].tolist() == ["applied", "applied"]
    # Failed rows stay to do: applying again sends only that row.
    again, sent = _apply(plan, client_for, lambda items: [_created(item) for item in items])
    assert len(sent) == 1 and sent[0]["create"]["traits"]["email"] == "new0@example.com"
    assert again.loc["n0", "status"] == "applied"


def test_answer_without_patch_ids_is_not_mapped_by_position(
    original: pd.DataFrame, schemas: dict[str, Any], client_for: Any
) -> None:
    plan = _plan(original, schemas)

    def no_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"action": "create", "identity": str(uuid.uuid4())} for _ in items]

    report, _ = _apply(plan, client_for, no_ids)
    assert set(report["status"]) == {"failed"}
    assert report["identity_id"].isna().all()
    assert all("3 answer item(s) carry another or no patch_id" in r for r in report["reason"])


def test_duplicated_and_extra_patch_ids(original: pd.DataFrame, schemas: dict[str, Any], client_for: Any) -> None:
    plan = _plan(original, schemas)
    doubled: list[str] = []

    def answer(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        first = [_created(items[0]), _created(items[0])]
        doubled.extend(a["identity"] for a in first)
        stranger = {**_created(items[1]), "patch_id": str(uuid.uuid4())}
        return [*first, stranger, _created(items[2])]

    report, _ = _apply(plan, client_for, answer)
    assert report.loc["n0", "status"] == "failed"
    assert "2 items with this row's patch_id" in report.loc["n0", "reason"]
    assert all(identity in report.loc["n0", "message"] for identity in doubled)
    assert report.loc["n1", "status"] == "failed"
    assert "1 answer item(s) carry another or no patch_id" in report.loc["n1", "reason"]
    assert report.loc["n2", "status"] == "applied"


@pytest.mark.parametrize("body", [{}, {"identities": []}])
def test_answer_without_items_fails_every_row(
    original: pd.DataFrame, schemas: dict[str, Any], client_for: Any, body: Any
) -> None:
    plan = _plan(original, schemas, n=2)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    report = plan.apply(client_for(handler))
    assert report["status"].tolist() == ["failed", "failed"]
    assert all("no item with this row's patch_id" in r for r in report["reason"])
