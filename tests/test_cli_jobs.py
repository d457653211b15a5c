"""`ory-frames demo` and `ory-frames export`: the main job from the shell, against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ory_frames import sandbox
from ory_frames.cli import main


def test_demo_exports_identities_and_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--identities", "300"]) == 0
    identities = pq.read_table(tmp_path / "identities.parquet")
    sessions = pq.read_table(tmp_path / "sessions.parquet")
    assert identities.num_rows == 300
    assert len(set(identities.column("id").to_pylist())) == 300
    assert sessions.num_rows > 0
    out = capsys.readouterr().out
    assert "identities:" in out and "300 rows" in out and "by schema:" in out


@pytest.fixture(scope="module")
def url() -> object:
    with sandbox.running(seed_identities=120, seed=3) as base:
        yield base


@pytest.mark.parametrize(("name", "fmt"), [("ids.parquet", "parquet"), ("ids.csv", "csv"), ("ids.jsonl", "jsonl")])
def test_export_identities_format_from_extension(url: str, tmp_path: Path, name: str, fmt: str) -> None:
    out = tmp_path / name
    assert main(["export", "identities", str(out), "--url", url]) == 0
    text = out.read_bytes()
    if fmt == "parquet":
        assert pq.read_table(out).num_rows == 120
    elif fmt == "csv":
        assert text.count(b"\n") == 121  # header + one line per identity
    else:
        assert text.count(b"\n") == 120


def test_export_refuses_to_clobber_then_overwrites(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sessions.parquet"
    assert main(["export", "sessions", str(out), "--url", url, "--active", "true"]) == 0
    assert main(["export", "sessions", str(out), "--url", url]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["export", "sessions", str(out), "--url", url, "--overwrite"]) == 0
    assert pq.read_table(out).num_rows > 0


def test_export_without_url_is_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    assert main(["export", "identities", str(tmp_path / "x.parquet")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ORY_SDK_URL" in err


def test_export_sessions_carries_identity_ids_by_default(url: str, tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    assert main(["export", "sessions", str(out), "--url", url]) == 0
    assert pq.read_table(out).column("identity_id").null_count == 0
    bare = tmp_path / "bare.parquet"
    assert main(["export", "sessions", str(bare), "--url", url, "--expand", "none"]) == 0
    assert pq.read_table(bare).column("identity_id").null_count == pq.read_table(bare).num_rows
