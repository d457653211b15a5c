"""`ory-frames export identities OUT --shards N`: several keyset cursors from the shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import drift_support
import pyarrow.parquet as pq
import pytest

from ory_frames.cli import main
from ory_frames.cli._export import MAX_SHARDS
from ory_frames.pages._shards import MAX_SHARDS as API_MAX_SHARDS


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with drift_support.running(seed_identities=300, seed=5) as base:
        yield base


def test_shards_export_the_same_rows(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, four = tmp_path / "one.parquet", tmp_path / "four.parquet"
    assert main(["export", "identities", str(one), "--url", url, "--page-size", "40"]) == 0
    assert main(["export", "identities", str(four), "--url", url, "--page-size", "40", "--shards", "4"]) == 0
    out = capsys.readouterr().out
    assert "300 identities" in out and "by 4 cursors" in out
    assert pq.read_table(four).sort_by("id").equals(pq.read_table(one).sort_by("id"))


def test_a_filter_that_names_identities_is_noted(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["export", "identities", str(tmp_path / "x.parquet"), "--url", url, "--shards", "3"]
    assert main([*args, "--credentials-identifier", "nobody@example.invalid"]) == 0
    captured = capsys.readouterr()
    assert "cursors" not in captured.out and "note: the credentials_identifier filter" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["identities", "--shards", "0"], "0 is not a positive integer"),
        (["identities", "--shards", f"{MAX_SHARDS + 1}"], f"is more than {MAX_SHARDS} cursors"),
        (["sessions", "--shards", "2"], "--shards splits identities only"),
    ],
)
def test_bad_shards_are_usage_errors(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    what, *rest = args
    assert main(["export", what, str(tmp_path / "x.parquet"), "--url", url, *rest]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_the_command_line_allows_as_many_cursors_as_the_api() -> None:
    assert MAX_SHARDS == API_MAX_SHARDS
