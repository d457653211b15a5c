"""`ory-frames apply PLAN.json`: dry run, apply, resume, conflicts and exit codes, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import drift_support
import pandas as pd
import pytest

from ory_frames import Client, plan_changes, plan_session_actions, read_identities, read_sessions
from ory_frames.cli import main

KEY = "cli-apply-k3y-never-printed"


@pytest.fixture()
def url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh sandbox per test (apply changes it), reachable through ORY_SDK_URL / ORY_API_KEY."""
    with drift_support.running(seed_identities=40, seed=11, api_key=KEY) as base:
        monkeypatch.setenv("ORY_SDK_URL", base)
        monkeypatch.setenv("ORY_API_KEY", KEY)
        yield base


@pytest.fixture()
def client(url: str) -> Iterator[Client]:
    with Client(url, api_key=KEY) as c:
        yield c


def _edit_plan(client: Client, tmp_path: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    """A plan that renames three default-schema identities and creates one with a password."""
    original = read_identities(client)
    edited = original.copy()
    ids = original.loc[original["schema_id"] == "default", "id"].head(3).tolist()
    mask = edited["id"].isin(ids)
    edited.loc[mask, "traits.name.first"] = "Renamed"
    new = {"schema_id": "default", "traits.email": "new.user@example.org", "password": "Plaintext-Pa55word!"}
    edited = pd.concat([edited, pd.DataFrame([new])], ignore_index=True)
    plan = plan_changes(original, edited)
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(include_passwords=True), encoding="utf-8")
    return path, original, ids


def _first_names(client: Client, ids: list[str]) -> set[str]:
    return {str(client.get_identity(i).model_dump(mode="json")["traits"]["name"]["first"]) for i in ids}


def test_dry_run_prints_payloads_masks_passwords_and_sends_nothing(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, ids = _edit_plan(client, tmp_path)
    before = path.read_text(encoding="utf-8")
    assert main(["apply", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "create 1" in out and "patch 3" in out
    for identity_id in ids:
        assert f"PATCH /admin/identities/{identity_id}" in out
    assert '"Renamed"' in out and "new.user@example.org" in out
    assert "Plaintext-Pa55word!" not in out and '"***"' in out
    assert "Renamed" not in _first_names(client, ids)
    assert client.list_identities(credentials_identifier="new.user@example.org").items == []
    assert path.read_text(encoding="utf-8") == before  # a dry run saves no progress


def test_apply_reports_saves_progress_and_resumes(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, ids = _edit_plan(client, tmp_path)
    report_path = tmp_path / "report.csv"
    assert main(["apply", str(path), "--report", str(report_path), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "applied 4" in out and "failed 0" in out and "conflict 0" in out
    report = pd.read_csv(report_path)
    assert len(report) == 4  # one row per planned operation; unchanged rows plan nothing
    assert sorted(report.loc[report["status"] == "applied", "action"]) == ["create", "patch", "patch", "patch"]
    assert _first_names(client, ids) == {"Renamed"}
    assert len(client.list_identities(credentials_identifier="new.user@example.org").items) == 1
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert len(saved["done"]) == 4

    # Running the same command again sends nothing new: everything is skipped as applied earlier.
    assert main(["apply", str(path)]) == 0
    out = capsys.readouterr().out
    assert "applied 0" in out and "skipped 4" in out
    assert len(client.list_identities(credentials_identifier="new.user@example.org").items) == 1


def test_conflict_exits_3_and_ignore_conflicts_applies(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, ids = _edit_plan(client, tmp_path)
    client.patch_identity(ids[0], [{"op": "replace", "path": "/traits/name/first", "value": "Someone Else"}])
    assert main(["apply", str(path), "--no-save-progress"]) == 3
    out = capsys.readouterr().out
    assert "conflict 1" in out and f"patch {ids[0]}: conflict" in out
    assert _first_names(client, ids[:1]) == {"Someone Else"}
    assert main(["apply", str(path), "--ignore-conflicts"]) == 0
    assert _first_names(client, ids) == {"Renamed"}


def test_failed_operation_exits_3(client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _, ids = _edit_plan(client, tmp_path)
    client.delete_identity(ids[1])
    assert main(["apply", str(path)]) == 3
    out = capsys.readouterr().out
    assert f"patch {ids[1]}: failed" in out and "applied 3" in out


def test_session_plan(client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sessions = read_sessions(client, active=True).head(3)
    assert len(sessions) == 3
    path = tmp_path / "sessions.json"
    path.write_text(plan_session_actions(sessions, "disable").to_json(), encoding="utf-8")
    assert main(["apply", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    # One line per request, then the estimate names the endpoint once.
    assert sum(line.startswith("DELETE /admin/sessions/") for line in out.splitlines()) == 3
    assert "DELETE /admin/sessions/{id}: 3 " in out
    assert main(["apply", str(path)]) == 0
    assert "applied 3" in capsys.readouterr().out
    for sid in sessions["id"]:
        assert client.get_session(str(sid)).model_dump(mode="json")["active"] is False


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        (None, [], "cannot read"),
        ("{not json", [], "is not JSON"),
        ('{"format": "something else"}', [], "cannot read plan"),
        ('{"format": "ory_frames.plan", "version": 1, "plan_id": "x", "operations": [{"x": 1}]}', [], "cannot read"),
        ('{"format": "ory_frames.plan", "version": 1, "plan_id": "x", "operations": []}', ["--workers", "0"], "0 is"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, content: str | None, extra: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["apply", str(path), *extra]) == 2
    assert expected in capsys.readouterr().err


def test_runtime_error_is_one_line_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format": "ory_frames.plan", "version": 1, "plan_id": "x", "operations": []}', encoding="utf-8")
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    monkeypatch.setenv("ORY_API_KEY", KEY)
    assert main(["apply", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ORY_SDK_URL" in err and KEY not in err
    # a key over plain http to a non-loopback host is refused before anything is sent
    assert main(["apply", str(path), "--url", "http://ory.example.com"]) == 1
    err = capsys.readouterr().err
    assert "refusing" in err and KEY not in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("apply", "export", "demo", "sandbox"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "exit codes:" in out and "2  usage error" in out
    assert main(["apply", "--help"]) == 0
    assert "3  the plan ran" in capsys.readouterr().out


def test_overwrite_is_not_an_apply_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format": "ory_frames.plan", "version": 1, "plan_id": "x", "operations": []}', encoding="utf-8")
    assert main(["apply", str(path), "--overwrite"]) == 2
    assert "unrecognized arguments: --overwrite" in capsys.readouterr().err
    assert main(["apply", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--ignore-conflicts" in out and "--no-progress" in out
