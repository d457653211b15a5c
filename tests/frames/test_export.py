"""Reads and exports end to end against the sandbox: filters, formats, atomicity, resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from ory_frames import (
    Client,
    InvalidInputError,
    export_identities,
    export_sessions,
    iter_identities,
    read_identities,
    read_identity_sessions,
    read_sessions,
)
from ory_frames.export._files import PARTIAL_SUFFIX, STATE_SUFFIX

SEEDED = 120


class FailAfter(httpx.BaseTransport):
    """Passes ``GET /admin/identities`` requests through until ``pages`` have gone, then raises."""

    def __init__(self, pages: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.left = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/admin/identities"):
            if self.left <= 0:
                raise RuntimeError("simulated crash")
            self.left -= 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def everyone(sandbox_url: str) -> pd.DataFrame:
    """Every identity, with credential identifiers (include_credential expands `credentials`)."""
    with Client(sandbox_url) as client:
        return read_identities(client, include_credential=["password"])


def test_read_identities_every_identity_once(client: Any, everyone: pd.DataFrame) -> None:
    df = read_identities(client, page_size=7)
    assert len(df) == SEEDED
    assert df["id"].is_unique
    assert set(df["id"]) == set(everyone["id"])
    assert df["id"].tolist() == sorted(df["id"])  # wire notes §1: keyset order is id ascending
    assert len(df.attrs["ory_frames"]["schemas"]) >= 1
    assert any(c.startswith("traits.") for c in df.columns)


def test_read_identities_secrets_only_when_asked(client: Any, everyone: pd.DataFrame) -> None:
    plain = read_identities(client)
    assert not any(c.startswith("credentials.") for c in plain.columns)
    assert "credentials.password.config" in everyone.columns
    hashed = [c.get("hashed_password") for c in everyone["credentials.password.config"] if isinstance(c, dict)]
    assert hashed, "the sandbox seeds password hashes"
    text = repr(plain.to_dict("records"))
    assert not any(h and h in text for h in hashed)


def test_filter_ids(client: Any, everyone: pd.DataFrame) -> None:
    wanted = sorted(everyone["id"].tolist()[::17])
    df = read_identities(client, ids=wanted)
    assert df["id"].tolist() == wanted


def test_filter_credentials_identifier(client: Any, everyone: pd.DataFrame) -> None:
    row = everyone[everyone["credential_identifiers"].list.len().fillna(0) > 0].iloc[0]
    identifier = row["credential_identifiers"][0]
    df = read_identities(client, credentials_identifier=identifier)
    assert df["id"].tolist() == [row["id"]]
    assert identifier in df.loc[0, "credential_identifiers"]  # wire notes §2: credentials included


def test_filter_preview_similar(client: Any, everyone: pd.DataFrame) -> None:
    identifier = next(v[0] for v in everyone["credential_identifiers"] if v)
    prefix = identifier[:2]
    expected = {
        i
        for i, ids in zip(everyone["id"], everyone["credential_identifiers"], strict=True)
        if any(x.startswith(prefix) for x in ids or [])
    }
    df = read_identities(client, preview_credentials_identifier_similar=prefix)
    assert set(df["id"]) == expected and df["id"].is_unique


@pytest.mark.newer_kratos("organization_id on identities came later")
def test_filter_organization(client: Any, everyone: pd.DataFrame) -> None:
    orgs = everyone["organization_id"].dropna()
    assert not orgs.empty, "the seeded sandbox should hold organization members"
    org = orgs.iloc[0]
    df = read_identities(client, organization_id=org)
    assert set(df["id"]) == set(everyone.loc[everyone["organization_id"] == org, "id"])


def test_read_sessions_and_identity_sessions(client: Any, everyone: pd.DataFrame) -> None:
    all_sessions = read_sessions(client, expand=["identity", "devices"], page_size=50)
    assert all_sessions["id"].is_unique and len(all_sessions) > 0
    assert set(all_sessions["identity_id"]) <= set(everyone["id"])
    assert any(c.startswith("identity.traits.") for c in all_sessions.columns)
    # wire notes §8: with the identity expanded, `active` is also false for an inactive identity,
    # which the `active` filter does not look at; without expansion the filter and the flag agree
    active = read_sessions(client, active=True, expand=())
    inactive = read_sessions(client, active=False, expand=())
    assert len(active) + len(inactive) == len(all_sessions)
    assert active["active"].all() and not inactive["active"].any()
    owner = all_sessions["identity_id"].iloc[0]
    mine = read_identity_sessions(client, owner)
    assert set(mine["id"]) == set(all_sessions.loc[all_sessions["identity_id"] == owner, "id"])
    assert (mine["identity_id"] == owner).all()


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_formats(client: Any, tmp_path: Path, fmt: str, everyone: pd.DataFrame) -> None:
    path = tmp_path / f"ids.{fmt}"
    result = export_identities(client, path, format=fmt, page_size=25, batch_rows=30)  # type: ignore[arg-type]
    assert result.rows == SEEDED and result.pages == 5 and not result.resumed
    assert result.bytes == path.stat().st_size
    if fmt == "parquet":
        ids = pq.read_table(path).column("id").to_pylist()
    elif fmt == "csv":
        ids = pd.read_csv(path)["id"].tolist()
        assert pd.read_csv(path).columns.tolist()[:3] == ["id", "external_id", "schema_id"]
    else:
        ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert ids == sorted(everyone["id"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no leftovers


def test_export_has_no_secrets(client: Any, tmp_path: Path, everyone: pd.DataFrame) -> None:
    path = tmp_path / "ids.parquet"
    export_identities(client, path)
    hashed = [c["hashed_password"] for c in everyone["credentials.password.config"] if c and "hashed_password" in c]
    raw = path.read_bytes()
    assert hashed and not any(h.encode() in raw for h in hashed)
    assert not any(n.startswith("credentials.") for n in pq.read_schema(path).names)


def test_export_partitioned_dataset(client: Any, tmp_path: Path, everyone: pd.DataFrame) -> None:
    path = tmp_path / "by_schema"
    result = export_identities(client, path, partition_by="schema_id", page_size=50, batch_rows=50)
    table = pads.dataset(path, format="parquet", partitioning="hive").to_table()
    assert result.rows == SEEDED == table.num_rows
    assert sorted(table.column("id").to_pylist()) == sorted(everyone["id"])
    assert {p.name for p in path.iterdir()} == {f"schema_id={s}" for s in everyone["schema_id"].unique()}


def test_export_refuses_to_clobber(client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        export_identities(client, path)
    assert path.read_bytes() == b"precious"
    export_identities(client, path, overwrite=True)
    assert pq.read_table(path).num_rows == SEEDED


def test_export_to_file_uri(client: Any, tmp_path: Path) -> None:
    result = export_identities(client, (tmp_path / "u.parquet").as_uri())
    assert pq.read_table(tmp_path / "u.parquet").num_rows == SEEDED == result.rows


def test_export_sessions(client: Any, tmp_path: Path) -> None:
    result = export_sessions(client, tmp_path / "s.parquet", expand="identity", page_size=40, batch_rows=40)
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == result.rows > 0
    assert len(set(table.column("id").to_pylist())) == table.num_rows
    assert "identity.schema_id" in table.column_names


def test_resume_after_an_exception(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    reference = tmp_path / "reference.parquet"
    export_identities(client, reference, page_size=10, batch_rows=10)
    path = tmp_path / "ids.parquet"
    broken = Client(sandbox_url, transport=FailAfter(4), retries=0)
    with broken, pytest.raises(Exception, match="simulated crash"):
        export_identities(broken, path, page_size=10, batch_rows=10)
    assert not path.exists()
    state = json.loads(Path(str(path) + STATE_SUFFIX).read_text())
    assert 0 < state["rows"] < SEEDED and state["cursors"][0]["token"] and not state["cursors"][0]["done"]
    result = export_identities(client, path, page_size=10, batch_rows=10, resume=True)
    assert result.resumed and result.rows == SEEDED
    assert pq.read_table(path).equals(pq.read_table(reference))
    assert not Path(str(path) + STATE_SUFFIX).exists() and not Path(str(path) + PARTIAL_SUFFIX).exists()


def test_resume_refuses_other_parameters(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    with Client(sandbox_url, transport=FailAfter(2), retries=0) as broken, pytest.raises(Exception, match="crash"):
        export_identities(broken, path, page_size=10, batch_rows=10)
    with pytest.raises(InvalidInputError):
        export_identities(client, path, page_size=20, batch_rows=10, resume=True)


_CHILD = """
import os, signal, sys
import httpx
from ory_frames import Client, export_identities

url, path, pages = sys.argv[1], sys.argv[2], int(sys.argv[3])

class KillAfter(httpx.BaseTransport):
    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.seen = 0
    def handle_request(self, request):
        if request.url.path.endswith("/admin/identities"):
            self.seen += 1
            if self.seen > pages:
                os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.handle_request(request)

# buffer_bytes=1: the fetcher runs at most three requests ahead, so when the 7th goes, parts are flushed
export_identities(Client(url, transport=KillAfter(), retries=0), path, page_size=10, buffer_bytes=1, batch_rows=10)
"""


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_resume_after_sigkill(sandbox_url: str, client: Any, tmp_path: Path, fmt: str) -> None:
    reference = tmp_path / f"reference.{fmt}"
    export_identities(client, reference, format=fmt, page_size=10, batch_rows=10)  # type: ignore[arg-type]
    path = tmp_path / f"ids.{fmt}"
    child = _CHILD.replace("batch_rows=10)", f"batch_rows=10, format={fmt!r})")
    proc = subprocess.run([sys.executable, "-c", child, sandbox_url, str(path), "6"], timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    assert json.loads(Path(str(path) + STATE_SUFFIX).read_text())["rows"] > 0
    result = export_identities(client, path, format=fmt, page_size=10, batch_rows=10, resume=True)  # type: ignore[arg-type]
    assert result.resumed and result.rows == SEEDED
    assert (
        path.read_bytes() == reference.read_bytes()
        if fmt == "csv"
        else pq.read_table(path).equals(pq.read_table(reference))
    )


def test_empty_export_still_has_the_full_schema(client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    result = export_identities(client, path, credentials_identifier="nobody@nowhere.invalid")
    schema = pq.read_schema(path)
    assert result.rows == 0 == pq.read_table(path).num_rows
    assert schema.field("state").type == pa.dictionary(pa.int8(), pa.string())
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert any(n.startswith("traits.") for n in schema.names)


def test_sessions_expand_identity_and_devices_by_default(client: Any, everyone: pd.DataFrame, tmp_path: Path) -> None:
    # wire notes §8: without expand, `identity` and `devices` are null in GET /admin/sessions
    df = read_sessions(client)
    assert len(df) > 0 and df["identity_id"].notna().all()
    assert set(df["identity_id"]) <= set(everyone["id"])
    assert "identity.state" in df.columns and df["devices"].notna().all()
    assert df.attrs["ory_frames"]["filters"]["expand"] == ["identity", "devices"]
    exported = export_sessions(client, tmp_path / "s.parquet")
    table = pq.read_table(tmp_path / "s.parquet")
    assert exported.rows == len(df) and table.column("identity_id").null_count == 0
    assert "identity.schema_id" in table.column_names


@pytest.mark.parametrize("expand", [(), None])
def test_sessions_without_expand_have_null_identity_id(client: Any, expand: Any) -> None:
    df = read_sessions(client, expand=expand)
    assert len(df) > 0 and df["identity_id"].isna().all() and df["devices"].isna().all()
    assert not any(c.startswith("identity.") for c in df.columns)


def test_sandbox_pages_take_the_bulk_path(client: Any) -> None:
    from ory_frames._read import fetch_schemas
    from ory_frames._schema import trait_columns
    from ory_frames.convert._records import IdentityConverter

    conv = IdentityConverter(trait_columns(fetch_schemas(client)))
    for page in iter_identities(client, page_size=50):
        fast = conv._convert_fast(page.items)
        assert fast is not None
        assert fast.equals(conv._convert_fallback(page.items))


def test_export_leaves_the_garbage_collector_as_it_was(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    import gc

    export_identities(client, tmp_path / "ok.parquet", page_size=50, batch_rows=50)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with Client(sandbox_url, transport=FailAfter(2), retries=0) as broken, pytest.raises(Exception, match="crash"):
        export_identities(broken, tmp_path / "x.parquet", page_size=10)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        export_identities(client, tmp_path / "off.parquet", page_size=50)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_resume_rebuilds_the_parquet_file_from_earlier_parts(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    with Client(sandbox_url, transport=FailAfter(5), retries=0) as broken, pytest.raises(Exception, match="crash"):
        export_identities(broken, path, page_size=10, batch_rows=20)
    partial = Path(str(path) + PARTIAL_SUFFIX)
    assert len(list(partial.glob("part-*.arrow"))) == 2 and not (partial / "combined.parquet").exists()
    result = export_identities(client, path, page_size=10, batch_rows=20, resume=True)
    assert result.resumed and result.rows == SEEDED
    table = pq.read_table(path)
    assert table.column("id").to_pylist() == sorted(table.column("id").to_pylist())
    assert len(set(table.column("id").to_pylist())) == SEEDED
    assert pq.ParquetFile(path).metadata.num_row_groups == SEEDED // 20


def test_an_interrupted_export_keeps_pages_older_than_flush_seconds(
    sandbox_url: str, client: Any, tmp_path: Path
) -> None:
    # batch_rows is never reached: only the time bound flushes. With the default bound (10 s) nothing is kept of
    # pages read a moment ago; with 0 s every page is flushed as it arrives, so the rows read before the crash stay.
    for flush_seconds, kept in ((10.0, False), (0.0, True)):
        path = tmp_path / f"ids-{flush_seconds}.parquet"
        with Client(sandbox_url, transport=FailAfter(4), retries=0) as broken, pytest.raises(Exception, match="crash"):
            export_identities(broken, path, page_size=10, flush_seconds=flush_seconds)
        state = json.loads(Path(str(path) + STATE_SUFFIX).read_text())
        assert (state["rows"] > 0) is kept, state
    assert state["parts"] == state["pages"] and state["rows"] == 10 * state["pages"]
    result = export_identities(client, path, page_size=10, resume=True)
    assert result.resumed and result.rows == SEEDED
    assert len(set(pq.read_table(path).column("id").to_pylist())) == SEEDED  # none lost, none repeated


def test_flush_seconds_must_not_be_negative(client: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="flush_seconds"):
        export_identities(client, tmp_path / "x.parquet", flush_seconds=-1)


def test_starting_over_an_interrupted_export_says_resume_would_continue_it(
    sandbox_url: str, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ids.parquet"
    with Client(sandbox_url, transport=FailAfter(4), retries=0) as broken, pytest.raises(Exception, match="crash"):
        export_identities(broken, path, page_size=10, batch_rows=10)
    with caplog.at_level("WARNING", logger="ory_frames.export"):
        export_identities(client, path, page_size=20)  # other parameters: another export, discarded silently
    assert not caplog.records
    with Client(sandbox_url, transport=FailAfter(4), retries=0) as broken, pytest.raises(Exception, match="crash"):
        export_identities(broken, path, page_size=10, batch_rows=10, overwrite=True)
    with caplog.at_level("WARNING", logger="ory_frames.export"):
        result = export_identities(client, path, page_size=10, overwrite=True)  # the Python API still starts over
    assert not result.resumed and result.rows == SEEDED
    (record,) = caplog.records
    assert "discarded and started over" in record.getMessage() and "resume=True" in record.getMessage()
