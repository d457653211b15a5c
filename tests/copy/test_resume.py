"""A copy interrupted at any point and run again creates each identity exactly once, also under injected faults.

The crash points are forced in-process (an exception that, like a kill, skips every later write) at each
step of a unit: after the intent is recorded, after the batch is answered, after the report rows are
written. ``test_cli_kill.py`` kills the command line with SIGKILL at random times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from copy_support import SOURCE_SIZE, comparable, differences, identities
from drift_support import sandbox_running

import ory_frames.copy._body as body_module
import ory_frames.copy._index as index_module
import ory_frames.copy._run as run_module
from ory_frames import Client, copy_identities, iter_identities, sandbox
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport
from ory_frames.copy._send import send_unit
from ory_frames.copy._state import Journal


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing on the way up handles it."""


def _count(client: Client) -> int:
    return sum(len(page) for page in iter_identities(client))


def _once(function: Callable[..., Any], *, after: bool) -> Callable[..., Any]:
    """``function`` that raises Killed on its first call, before or after doing its work."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1 and not after:
            raise Killed
        result = function(*args, **kwargs)
        if calls["n"] == 1:
            raise Killed
        return result

    return wrapper


def _assert_exactly_once(source: Client, target: Client, report: Path) -> None:
    result = copy_identities(source, target, report=report)  # a finished copy starts over: all matched
    assert result.counts["created"] == 0 and result.counts["matched"] == SOURCE_SIZE
    assert _count(target) == SOURCE_SIZE
    assert differences(source, target, result.mapping()) == []


@pytest.mark.parametrize(
    ("where", "after"),
    [
        ("send_unit", False),  # the intent is recorded, nothing sent
        ("send_unit", True),  # the batch was applied, its answer never recorded
        ("append", True),  # the report rows are on disk, the state does not know
    ],
)
def test_a_kill_at_each_step_of_a_unit_then_a_rerun_creates_each_identity_once(
    source: Client, target: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, after: bool
) -> None:
    report = tmp_path / "report.csv"
    if where == "send_unit":
        monkeypatch.setattr(run_module, "send_unit", _once(send_unit, after=after))
    else:
        monkeypatch.setattr(Journal, "append", _once(Journal.append, after=after))
    with pytest.raises(Killed):
        copy_identities(source, target, report=report)
    monkeypatch.undo()
    result = copy_identities(source, target, report=report)
    assert result.counts == {"created": SOURCE_SIZE, "matched": 0, "failed": 0, "skipped": 0}
    assert result.report["source_id"].is_unique
    if after:
        interrupted = result.report["reason"].fillna("").str.startswith("created by an interrupted run")
        assert interrupted.sum() > 0
    assert differences(source, target, result.mapping()) == []
    _assert_exactly_once(source, target, report)


@pytest.mark.parametrize("older_digests", [False, True])
def test_rows_without_external_id_or_identifier_are_found_again_by_content(
    target: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, older_digests: bool
) -> None:
    # Pretend no identity has a login identifier: only a batch's recorded intent and content identify them.
    monkeypatch.setattr(body_module, "login_identifiers", lambda identity: [])
    monkeypatch.setattr(index_module, "login_identifiers", lambda identity: [])
    monkeypatch.setattr(run_module, "login_identifiers", lambda identity: [])
    monkeypatch.setattr(run_module, "SETTLE_SECONDS", 0.0)
    report = tmp_path / "report.csv"
    with sandbox_running(seed_identities=60, seed=4) as url, Client(url) as source:
        keyless = sum(1 for i in identities(source) if not i.get("external_id"))
        assert keyless > 10
        original = send_unit
        monkeypatch.setattr(run_module, "send_unit", _once(original, after=True))
        with pytest.raises(Killed):
            copy_identities(source, target, report=report)
        if older_digests:
            # A state written by a version with another digest encoding (the content digest used to hash
            # compact JSON): the stored value only says "no key"; the rerun compares digests it computes.
            state_file = report.with_name(report.name + ".state.json")
            state = json.loads(state_file.read_text())
            items = state["in_flight"]["items"]
            assert any(item["fingerprint"] for item in items)
            for item in items:
                item["fingerprint"] = "f" * 64 if item["fingerprint"] else None
            state_file.write_text(json.dumps(state))
        monkeypatch.setattr(run_module, "send_unit", original)
        result = copy_identities(source, target, report=report)
        assert result.counts["created"] == 60 and _count(target) == 60
        by_content = result.report["reason"].fillna("").str.contains("same content", regex=False)
        assert by_content.sum() == keyless
        assert differences(source, target, result.mapping()) == []


@pytest.fixture
def faulty_target() -> Iterator[Client]:
    """An empty sandbox answering with 429, 5xx, dropped connections and cut bodies (after writing)."""
    faults = "429=0.04,500=0.03,502=0.02,503=0.03,reset=0.03,truncate=0.03"
    policy = RetryPolicy(retries=10, base=0.01, cap=0.05)
    with sandbox.running(faults=faults, fault_seed=7) as url:
        transport = RetryTransport(httpx.HTTPTransport(), policy=policy)
        with Client(url, transport=transport) as client:
            yield client


def test_faults_on_the_target_leave_no_duplicate_and_no_gap(
    source: Client, faulty_target: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ory_frames.copy._send.FIRST_PAUSE", 0.01)
    report = tmp_path / "report.csv"
    result = copy_identities(source, faulty_target, report=report)
    for _ in range(3):  # a row still failed (outcome unknown) is sent again by a rerun
        if result.counts["failed"] == 0:
            break
        result = copy_identities(source, faulty_target, report=report)
    assert result.counts["failed"] == 0
    assert _count(faulty_target) == SOURCE_SIZE
    assert differences(source, faulty_target, result.mapping()) == []


def test_no_hash_or_secret_in_state_report_or_output(
    source: Client, target: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.csv"
    monkeypatch.setattr(run_module, "send_unit", _once(send_unit, after=True))
    with pytest.raises(Killed):
        copy_identities(source, target, report=report)
    state_text = (tmp_path / "report.csv.state.json").read_text(encoding="utf-8")
    monkeypatch.undo()
    result = copy_identities(source, target, report=report)
    texts = [
        state_text,
        report.read_text(encoding="utf-8"),
        result.report.to_csv(),
        repr(result),
        capsys.readouterr().out,
    ]
    secrets = [c["hash"] for c in map(comparable, identities(source)) if c["hash"]]
    for item in identities_with_configs(source):
        for provider in item.get("credentials", {}).get("oidc", {}).get("config", {}).get("providers", []):
            secrets += [v for k, v in provider.items() if k.startswith("initial_") and v]
    assert secrets
    for text in texts:
        assert not any(secret in text for secret in secrets)
        assert "hashed_password" not in text and "otpauth://" not in text


def identities_with_configs(client: Client) -> list[dict[str, Any]]:
    return [i for p in iter_identities(client, include_credential=["oidc", "totp"]) for i in p.items]


def test_the_index_reads_nine_digit_creation_times() -> None:
    # wire notes §3: a real Kratos on SQLite writes nine fraction digits, which Python 3.10's fromisoformat refused,
    # so such an identity counted as created after any time and a rerun could take it for a row of its batch.
    since = datetime(2026, 12, 7, 4, 25, 19, tzinfo=timezone.utc)
    index = index_module.TargetIndex()
    before = {"id": "a", "schema_id": "default", "traits": {}, "created_at": "2026-12-07T04:25:18.943090646Z"}
    after = {"id": "b", "schema_id": "default", "traits": {"n": 1}, "created_at": "2026-12-07T05:25:19.5+01:00"}
    index.add(before, fingerprint_since=since)
    index.add(after, fingerprint_since=since)
    assert [ids for ids in index.by_fingerprint.values()] == [["b"]]
