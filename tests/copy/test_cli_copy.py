"""`ory-frames copy`: keys from the environment only, dry run, exit codes, and SIGKILL at random points then resume."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from copy_support import comparable, differences, identities
from drift_support import sandbox_running

from ory_frames import Client, iter_identities, sandbox
from ory_frames.cli import build_parser, main


def _count(client: Client) -> int:
    return sum(len(page) for page in iter_identities(client))


@pytest.fixture
def env(source_url: str, target_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"ORY_SOURCE_URL": source_url, "ORY_SDK_URL": target_url}
    for name in ("ORY_API_KEY", "ORY_SOURCE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_no_option_takes_an_api_key() -> None:
    parser = build_parser()
    copy = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "copy")[1]  # type: ignore[union-attr]
    flags = {flag for action in copy._actions for flag in action.option_strings}
    assert not {f for f in flags if "key" in f or "token" in f}
    assert {"--from-url", "--url", "--schema-map", "--report", "--state", "--dry-run"} <= flags


def test_copy_help_imports_neither_pandas_nor_pyarrow() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ory_frames.cli", "copy", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "ORY_SOURCE_URL" in done.stdout
    modules = {line.rsplit("|", 1)[1].strip().partition(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "ory_frames" in modules and not modules & {"pandas", "pyarrow", "jsonschema", "starlette"}


def test_copy_then_again_exit_zero_and_write_the_report(
    env: dict[str, str], tmp_path: Path, target: Client, source: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.csv"
    assert main(["copy", "--report", str(report), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "created 240" in out and "estimate:" in out
    frame = pd.read_csv(report)
    assert len(frame) == 240 and set(frame["status"]) == {"created"}
    assert main(["copy", "--report", str(report), "--no-progress"]) == 0
    assert "created 0, matched 240" in capsys.readouterr().out
    assert _count(target) == 240


def test_dry_run_prints_masked_requests_and_the_time_and_sends_nothing(
    env: dict[str, str], target: Client, source: Client, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["copy", "--dry-run", "--tier", "developer", "--no-progress", "--state", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing is sent" in out and "PATCH /admin/identities" in out
    assert '"hashed_password": "***"' in out
    assert "target: PATCH /admin/identities: 1 (kratos-admin-low: 5/s, 80/min" in out
    hashes = [c["hash"] for c in map(comparable, identities(source)) if c["hash"]]
    assert not any(h in out for h in hashes)
    assert _count(target) == 0 and not (tmp_path / "s").exists()
    # counts, the estimate and three one-line samples: no email address, name or username of the source
    assert "would: " in out and "estimate:" in out and "3 samples, personal data masked" in out
    assert len(out.splitlines()) < 20, out
    people = identities(source)
    emails = [str(i["traits"]["email"]) for i in people if i["traits"].get("email")]
    names = [i["traits"].get("username") for i in people]
    names += [part for i in people for part in (i["traits"].get("name") or {}).values()]
    names = [n for n in names if isinstance(n, str) and len(n) > 1]
    assert emails and not any(e in out for e in emails), out
    assert not any(n in out for n in names), out
    assert "***@" in out


def test_dry_run_shows_personal_data_only_when_asked(
    env: dict[str, str], target: Client, source: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy", "--dry-run", "--show-personal-data", "--no-progress"]) == 0
    out = capsys.readouterr().out
    shown = json.loads(out[out.index("{") : out.index("estimate:")])["identities"]
    assert len(shown) == 3 and all(item["create"]["traits"] for item in shown)
    assert any(str(item["create"]["traits"].get("email", "")) in out for item in shown)
    assert '"hashed_password": "***"' in out
    assert main(["copy", "--show-personal-data", "--no-progress"]) == 2  # a copy prints no identity
    assert _count(target) == 0


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("ada@example.org", "a***@example.org"),
        ("Ada", "A***"),
        ("", ""),
        ("@handle", "@***"),  # no local part: not an address
        ({"schema_id": "default", "state": "active", "traits": {"age": 36}}, None),  # Ory's words and numbers stay
    ],
)
def test_mask(value: object, masked: object) -> None:
    from ory_frames.cli._copy import mask

    assert mask(value) == (value if masked is None else masked)


def test_unknown_schema_in_the_map_is_a_usage_error(
    env: dict[str, str], target: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy", "--schema-map", "default=nope", "--no-progress"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert main(["copy", "--schema-map", "nonsense"]) == 2
    assert _count(target) == 0


def test_failed_rows_exit_three(env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "r.csv"
    code = main(["copy", "--schema-id", "username", "--schema-map", "username=default", "--report", str(report)])
    assert code == 3
    assert "failed HTTP 400" in capsys.readouterr().out


def test_no_source_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ORY_SOURCE_URL", raising=False)
    assert main(["copy"]) == 2
    assert "ORY_SOURCE_URL" in capsys.readouterr().err


# -- SIGKILL at random points ----------------------------------------------------------------------------------------
KILL_SOURCE_SIZE = 3000
KILLS = 5  # kill attempts; the test needs two kills at least (eight attempts took 50 s on 2 cores under load)


@pytest.fixture
def slow_pair() -> Iterator[tuple[str, str]]:
    """A 3000-identity source and an empty target, both 40 ms away, so a kill lands inside the copy."""
    with (
        sandbox_running(seed_identities=KILL_SOURCE_SIZE, seed=21, latency_ms=40) as src,
        sandbox.running(latency_ms=40) as dst,
    ):
        yield src, dst


@pytest.mark.timeout(600)
def test_sigkill_at_random_points_then_resume_gives_the_source_exactly(
    slow_pair: tuple[str, str], tmp_path: Path
) -> None:
    src_url, dst_url = slow_pair
    env = {k: v for k, v in os.environ.items() if k not in ("ORY_API_KEY", "ORY_SOURCE_API_KEY")}
    env.update(ORY_SOURCE_URL=src_url, ORY_SDK_URL=dst_url)
    report = tmp_path / "report.csv"
    command = [sys.executable, "-m", "ory_frames.cli", "copy", "--report", str(report), "--no-progress"]
    rng = random.Random(5)
    state = tmp_path / "report.csv.state.json"
    kills, progress = 0, []
    for attempt in range(KILLS):
        with open(tmp_path / f"log{attempt}.txt", "w", encoding="utf-8") as log:
            before = state.stat().st_mtime_ns if state.exists() else 0
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            # Once the run has started (it writes the state after reading the target), kill it at a random moment.
            deadline = time.monotonic() + 120
            while process.poll() is None and time.monotonic() < deadline:
                if state.exists() and state.stat().st_mtime_ns != before:
                    break
                time.sleep(0.02)
            # a unit of 1000 takes about a second at 40 ms: early kills land in the first unit, later ones further on
            time.sleep(rng.uniform(0.0, 0.5 * (attempt + 1)))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait()
        saved = json.loads(state.read_text()) if state.exists() else {}
        progress.append(saved.get("counts", {}))
        if saved.get("finished"):
            break  # that run finished before its kill; the run below starts over and matches everything
    finished_before = bool(saved.get("finished"))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    logs = [done.stdout, done.stderr]
    assert kills >= 2, progress  # at least one kill after some rows were recorded
    frame = pd.read_csv(report, dtype=str)
    assert len(frame) == KILL_SOURCE_SIZE and frame["source_id"].is_unique and frame["target_id"].is_unique
    assert set(frame["status"]) == ({"matched"} if finished_before else {"created"})
    with Client(src_url) as source, Client(dst_url) as target:
        assert _count(target) == KILL_SOURCE_SIZE
        mapping = dict(zip(frame["source_id"], frame["target_id"], strict=True))
        assert differences(source, target, mapping) == []
        hashes = [c["hash"] for c in map(comparable, identities(source)) if c["hash"]]
    texts = [report.read_text(), (tmp_path / "report.csv.state.json").read_text(), *logs]
    texts += [p.read_text() for p in tmp_path.glob("log*.txt")]
    assert not any(h in text for h in hashes for text in texts)
    print(f"{kills} SIGKILL(s); rows recorded after each run: {progress}; final run resumed: {not finished_before}")


def test_an_unknown_tier_or_no_target_is_a_usage_error(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy", "--tier", "platinum", "--dry-run"]) == 2
    assert "unknown tier 'platinum'" in capsys.readouterr().err
    monkeypatch.delenv("ORY_SDK_URL")
    assert main(["copy", "--dry-run"]) == 2
    assert "ORY_SDK_URL" in capsys.readouterr().err
