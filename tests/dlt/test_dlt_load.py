"""`ory-frames load` into DuckDB, twice, with edits, creates, deletes and a new trait in between.

The done-when of the dlt source: after the second run the identities table, its live rows (``deleted_at``
null), equals a fresh ``read_identities`` (ids, traits, state, metadata); the deleted identities are marked
(``deleted_at`` set, every other column emptied); the new trait is a column.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd
import pytest

from ory_frames import Client, read_identities, sandbox
from ory_frames.cli import main
from ory_frames.cli._load import RESOURCE_NAMES

pytestmark = pytest.mark.sandbox_only("adds a schema while the sandbox runs (PUT /__sandbox/schemas/{id})")

NEW_TRAIT = {"type": "string", "title": "Nickname"}


@pytest.fixture
def url() -> Iterator[str]:
    with sandbox.running(seed_identities=150, seed=7) as base:
        yield base


def load(url: str, tmp_path: Path) -> int:
    return main(
        [
            "load",
            "--url",
            url,
            "--duckdb-file",
            str(tmp_path / "ory_frames.duckdb"),
            "--pipelines-dir",
            str(tmp_path / "pipelines"),
            "--no-progress",
        ]
    )


def change_everything(url: str) -> tuple[list[str], list[str]]:
    """Edit two identities, delete two, add a trait to `default`, create three (one using it): (deleted, created)."""
    with httpx.Client(base_url=url) as http:
        return _change_everything(http, url)


def _change_everything(http: httpx.Client, url: str) -> tuple[list[str], list[str]]:
    listed = http.get("/admin/identities", params={"page_size": 20}).json()
    defaults = [i for i in listed if i["schema_id"] == "default"]
    for identity in defaults[:2]:  # edits: a trait, the state, metadata
        patch = [
            {"op": "replace", "path": "/state", "value": "inactive"},
            {"op": "add", "path": "/metadata_public", "value": {"plan": "gold", "seats": 3}},
            {"op": "replace", "path": "/traits/email", "value": f"edited-{identity['id'][:8]}@example.org"},
        ]
        assert http.patch(f"/admin/identities/{identity['id']}", json=patch).status_code == 200
    deleted = [i["id"] for i in defaults[2:4]]
    for identity_id in deleted:
        assert http.delete(f"/admin/identities/{identity_id}").status_code == 204
    schema = copy.deepcopy(http.get("/schemas/default").json())
    schema["properties"]["traits"]["properties"]["nickname"] = NEW_TRAIT
    assert sandbox.add_schema(url, "default", schema) is False  # replaced, as a project's config changes
    created = []
    for n in range(3):
        traits: dict[str, Any] = {"email": f"new-{n}@example.org"}
        if n == 0:
            traits["nickname"] = "Newbie"
        answer = http.post("/admin/identities", json={"schema_id": "default", "traits": traits})
        assert answer.status_code == 201, answer.text
        created.append(answer.json()["id"])
    return deleted, created


def cell(value: Any) -> Any:
    """A cell as plain Python, with every kind of missing value as None."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def test_two_loads_leave_what_a_fresh_read_holds(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(url, tmp_path) == 0
    first = capsys.readouterr().out
    assert "identities: 150 rows" in first and "identity_schemas: 4 rows" in first
    deleted, created = change_everything(url)
    assert load(url, tmp_path) == 0
    with Client(url) as client:
        fresh = read_identities(client).set_index("id").sort_index()

    with duckdb.connect(str(tmp_path / "ory_frames.duckdb"), read_only=True) as db:
        loaded = db.sql("SELECT * FROM ory.identities").df()
    live = loaded[loaded["deleted_at"].isna()].set_index("id").sort_index()
    assert list(live.index) == list(fresh.index)
    assert set(created) <= set(live.index)

    traits = [c for c in fresh.columns if c.startswith("traits.")]
    assert "traits.nickname" in traits
    for column in traits:
        mine = column.replace(".", "__")
        assert mine in live.columns, column
        assert [cell(v) for v in live[mine]] == [cell(v) for v in fresh[column]], column
    assert [str(s) for s in live["state"]] == [str(s) for s in fresh["state"]]
    for column in ("metadata_public", "metadata_admin"):
        assert [None if v is None else json.loads(v) for v in map(cell, live[column])] == [
            cell(v) for v in fresh[column]
        ], column
    assert live.loc[created[0], "traits__nickname"] == "Newbie"

    marked = loaded[loaded["deleted_at"].notna()].set_index("id")
    assert sorted(marked.index) == sorted(deleted)
    emptied = marked.drop(columns=["deleted_at"])
    assert emptied.isna().all().all()  # a deletion in Ory empties the row: its traits and metadata are gone


def test_a_dataset_named_like_its_duckdb_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["load", "--url", "http://127.0.0.1:9", "--duckdb-file", str(tmp_path / "ory.duckdb"), "--dataset", "ory"]
    assert main(argv) == 2
    assert "--dataset ory" in capsys.readouterr().err


def test_an_unknown_destination_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["load", "--url", "http://127.0.0.1:9", "--destination", "nowhere", "--pipelines-dir", str(tmp_path)]
    assert main(argv) == 2
    assert "--destination nowhere" in capsys.readouterr().err


def test_the_cli_names_the_resources_the_source_has() -> None:
    from ory_frames.dlt import RESOURCES

    assert RESOURCE_NAMES == RESOURCES


def test_a_missing_extra_is_named_on_first_use() -> None:
    script = (
        "import sys\nsys.modules['dlt'] = None\nimport ory_frames.dlt\n"
        "try:\n    ory_frames.dlt.ory_source\nexcept ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert "pip install 'ory-frames[dlt]'" in done.stdout


def test_credentials_come_from_dlts_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlt

    from ory_frames.dlt import ory_source

    with sandbox.running(seed_identities=4, api_key="k3y") as base:
        monkeypatch.setenv("SOURCES__ORY__URL", base)
        monkeypatch.setenv("SOURCES__ORY__API_KEY", "k3y")
        monkeypatch.delenv("ORY_SDK_URL", raising=False)
        monkeypatch.delenv("ORY_API_KEY", raising=False)
        pipeline = dlt.pipeline(
            "creds",
            destination=dlt.destinations.duckdb(str(tmp_path / "creds.duckdb")),
            dataset_name="ory",
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        pipeline.run(ory_source().with_resources("identities"))
    trace = pipeline.last_trace
    assert trace is not None and trace.last_normalize_info is not None
    assert trace.last_normalize_info.row_counts["identities"] == 4


def test_without_a_url_the_flags_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    monkeypatch.delenv("SOURCES__ORY__URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/config.toml here
    assert main(["load", "--pipelines-dir", str(tmp_path)]) == 2
    assert "give --url, set ORY_SDK_URL, or sources.ory.url" in capsys.readouterr().err


def test_a_server_that_cannot_be_reached_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["load", "--url", "http://127.0.0.1:9", "--pipelines-dir", str(tmp_path / "p")]
    argv += ["--duckdb-file", str(tmp_path / "x.duckdb"), "--resource", "identity_schemas", "--no-progress"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("ory-frames load: ") and len(err.strip().splitlines()) == 1
