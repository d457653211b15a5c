"""`ory-frames diff OLD NEW`: two exports of one sandbox, with edits, creates and deletes between them.

The done-when of issue 20 point 2: the diff reports exactly the 100 edits, 50 creates and 50 deletes made.
The default suite runs it on 2 000 identities (in one bucket) and, with the bucket size made small, over
many buckets; ``test_diff_reports_exactly_the_changes_made_at_20_000`` runs it on 20 000 identities when
``ORY_FRAMES_DIFF_20K=1`` is set (about a minute, most of it seeding; it passed in 63 s on 2 loaded cores).
``benchmarks/diff.py`` checks the same counts at 100 000 and 1 000 000.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ory_frames import Client, export_identities, sandbox
from ory_frames.cli import main
from ory_frames.snapshots import _buckets

EDITS, CREATES, DELETES = 100, 50, 50


def _change_project(client: Client, ids: list[str]) -> tuple[set[str], set[str], set[str]]:
    """100 metadata edits, 50 deletes (other identities) and 50 creates; the ids of each."""
    edited, deleted = ids[:EDITS], ids[EDITS : EDITS + DELETES]
    for k, identity_id in enumerate(edited):
        client.patch_identity(identity_id, [{"op": "add", "path": "/metadata_public", "value": {"edited": k}}])
    for identity_id in deleted:
        client.delete_identity(identity_id)
    created = [
        client.create_identity({"schema_id": "username", "traits": {"username": f"diff_new_{k}"}}).id
        for k in range(CREATES)
    ]
    return set(edited), set(deleted), {str(i) for i in created}


def _snapshots(tmp_path: Path, size: int) -> tuple[Path, Path, tuple[set[str], set[str], set[str]]]:
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    with sandbox.running(seed_identities=size, seed=5) as url, Client(url) as client:
        export_identities(client, old)
        ids = pq.read_table(old, columns=["id"]).column("id").to_pylist()
        made = _change_project(client, ids[::-1])  # the last ids: spread over the id space like any others
        export_identities(client, new)
    return old, new, made


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Any]]:
    yield _snapshots(tmp_path_factory.mktemp("diff"), 2_000)


def _check(old: Path, new: Path, made: Any, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited, deleted, created = made
    assert main(["diff", str(old), str(new), "--out", str(out), "--ignore", "updated_at"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:4] == [
        f"added:   {CREATES}",
        f"removed: {DELETES}",
        f"changed: {EDITS}",
        f"  metadata_public: {EDITS}",
    ]
    assert "ignored: updated_at" in printed
    rows = pq.read_table(out, columns=["id", "change", "columns", "new.metadata_public"]).to_pylist()
    by_change: dict[str, set[str]] = {"added": set(), "removed": set(), "changed": set()}
    for row in rows:
        by_change[row["change"]].add(row["id"])
    assert by_change == {"added": created, "removed": deleted, "changed": edited}
    changed = [row for row in rows if row["change"] == "changed"]
    assert all(row["columns"] == ["metadata_public"] for row in changed)
    assert sorted(json.loads(row["new.metadata_public"])["edited"] for row in changed) == list(range(EDITS))
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)


def test_diff_reports_exactly_the_changes_made(
    snapshots: tuple[Path, Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, made = snapshots
    _check(old, new, made, tmp_path / "diff.parquet", capsys)


def test_diff_over_many_buckets_reports_the_same(
    snapshots: tuple[Path, Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    # 2 000 identities in buckets of 100: the exports are spread over 20 temporary files per side.
    monkeypatch.setattr(_buckets, "ROWS_PER_BUCKET", 100)
    old, new, made = snapshots
    _check(old, new, made, tmp_path / "diff.parquet", capsys)


def test_diff_reports_exactly_the_changes_made_at_20_000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, made = _snapshots(tmp_path, 20_000)
    _check(old, new, made, tmp_path / "diff.parquet", capsys)


def test_diff_of_an_export_with_itself_is_empty(
    snapshots: tuple[Path, Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _, _ = snapshots
    assert main(["diff", str(old), str(old), "--out", str(tmp_path / "d.parquet")]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == ["added:   0", "removed: 0", "changed: 0"]
    assert pq.read_table(tmp_path / "d.parquet").num_rows == 0


def test_diff_errors_name_flags(
    snapshots: tuple[Path, Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, _ = snapshots
    out = tmp_path / "d.parquet"
    out.write_bytes(b"")
    assert main(["diff", str(old), str(new), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"ory-frames diff: --out {out} exists; pass --overwrite to replace it"
    assert main(["diff", str(old), str(new), "--ignore", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "ory-frames diff: --ignore nope: no such column in OLD or NEW"
    assert main(["diff", str(tmp_path / "missing.parquet"), str(new)]) == 2
    assert "OLD" in capsys.readouterr().err
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    assert main(["diff", str(bad), str(new)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ory-frames diff: OLD") and err.count("\n") == 1
