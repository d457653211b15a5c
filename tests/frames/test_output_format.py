"""One rule picks an export's format, for the API and the command line: explicit format, else the extension."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ory_frames import Client, InvalidInputError, export_identities, export_sessions
from ory_frames.export import output_format


@pytest.mark.parametrize(
    ("path", "fmt", "partition_by", "expected"),
    [
        ("ids.parquet", None, None, "parquet"),
        ("ids.pq", None, None, "parquet"),
        ("ids.csv", None, None, "csv"),
        ("IDS.CSV", None, None, "csv"),  # extensions are compared in lower case
        ("ids.jsonl", None, None, "jsonl"),
        ("ids.ndjson", None, None, "jsonl"),
        ("ids", None, None, "parquet"),  # no extension
        ("ids.json", None, None, "parquet"),  # JSON is not JSON Lines: an extension naming no format
        ("ids.csv.gz", None, None, "parquet"),  # exports are not compressed: .gz names no format
        ("out/by_schema", None, "schema_id", "parquet"),  # a partitioned dataset is a Parquet folder
        ("out/by_schema/", None, ["schema_id"], "parquet"),
        ("ids", "csv", None, "csv"),  # an explicit format wins over no extension...
        ("ids.txt", "jsonl", None, "jsonl"),  # ... or one that names no format
        ("ids.csv", "csv", None, "csv"),
        ("s3://bucket/team/ids.csv", None, None, "csv"),
        ("file:///tmp/ids.jsonl", None, None, "jsonl"),
        ("gs://bucket/ids.parquet?generation=1", None, None, "parquet"),  # the query is not the extension
        (Path("ids.ndjson"), None, None, "jsonl"),
    ],
)
def test_the_format_of_a_path(path: Any, fmt: str | None, partition_by: Any, expected: str) -> None:
    assert output_format(path, fmt, partition_by) == expected


@pytest.mark.parametrize(
    ("path", "fmt", "partition_by", "message"),
    [
        ("ids.csv", "parquet", None, "the extension '.csv' of 'ids.csv' names the csv format"),
        ("ids.parquet", "jsonl", None, "names the parquet format, but the format asked for is jsonl"),
        ("s3://bucket/ids.ndjson", "csv", None, "names the jsonl format"),
        ("ids.parquet", "xlsx", None, "format must be one of ['csv', 'jsonl', 'parquet']"),
        ("by_schema", "csv", "schema_id", "partition_by writes a Parquet dataset, not csv"),
        ("by_schema.csv", None, "schema_id", "partition_by writes a Parquet dataset, not csv"),
    ],
)
def test_a_contradiction_is_refused(path: str, fmt: str | None, partition_by: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        output_format(path, fmt, partition_by)


def test_a_contradiction_is_refused_before_any_request(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    client = Client("http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    with pytest.raises(InvalidInputError, match="names the csv format"):
        export_identities(client, tmp_path / "ids.csv", format="parquet")
    with pytest.raises(InvalidInputError, match="names the jsonl format"):
        export_sessions(client, tmp_path / "s.jsonl", format="csv")
    assert sent == [] and list(tmp_path.iterdir()) == []


def test_the_extension_decides_without_a_format(client: Any, tmp_path: Path) -> None:
    # Before, export_identities(client, "x.csv") wrote Parquet bytes under the .csv name.
    csv = export_identities(client, tmp_path / "ids.csv", page_size=50)
    assert pd.read_csv(csv.path)["id"].nunique() == csv.rows > 0
    lines = export_sessions(client, tmp_path / "s.ndjson").path
    assert all(json.loads(line)["id"] for line in Path(lines).read_text().splitlines())
    plain = export_identities(client, tmp_path / "ids", page_size=50)
    assert pq.read_table(plain.path).num_rows == csv.rows
