"""JSON columns of a frame: parsed values for pandas, JSON text for Arrow and Parquet, everyday pandas operations."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa

from ory_frames import identities_frame


def _frame() -> pd.DataFrame:
    records = [
        {"id": "a", "schema_id": "default", "state": "active", "traits": {}, "metadata_public": {}},
        {"id": "b", "schema_id": "default", "state": "active", "traits": {}, "metadata_public": {"n": 1}},
        {"id": "c", "schema_id": "default", "state": "active", "traits": {}, "metadata_public": {"n": "one"}},
        {"id": "d", "schema_id": "default", "state": "active", "traits": {}, "metadata_public": [1, "x", None]},
        {"id": "e", "schema_id": "default", "state": "active", "traits": {}, "metadata_public": None},
    ]
    return identities_frame(records)


def test_values_are_parsed_json():
    df = _frame()
    assert df["metadata_public"].tolist() == [{}, {"n": 1}, {"n": "one"}, [1, "x", None], None]
    assert df.loc[3, "metadata_public"] == [1, "x", None]
    assert df["metadata_public"].isna().tolist() == [False, False, False, False, True]


def test_any_json_shape_goes_to_parquet_and_back():
    df = _frame()
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    back = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert back["metadata_public"].tolist() == df["metadata_public"].tolist()
    table = pa.Table.from_pandas(df)
    assert table.column("metadata_public").to_pylist()[:3] == ["{}", '{"n":1}', '{"n":"one"}']


def test_to_json_and_describe():
    df = _frame()
    rows = json.loads(df.to_json(orient="records", date_format="iso"))
    assert [r["metadata_public"] for r in rows] == [{}, {"n": 1}, {"n": "one"}, [1, "x", None], None]
    assert not df.describe().empty


def test_everyday_operations():
    df = _frame()
    copy = df.copy()
    copy.at[0, "metadata_public"] = {"plan": "pro"}
    copy.at[4, "metadata_public"] = [1, 2]
    assert copy["metadata_public"].tolist()[0] == {"plan": "pro"}
    assert copy.loc[4, "metadata_public"] == [1, 2]
    assert df.loc[0, "metadata_public"] == {}  # the copy did not share values
    assert df.iloc[[3, 1]]["metadata_public"].tolist() == [[1, "x", None], {"n": 1}]
    both = pd.concat([df, df], ignore_index=True)
    assert len(both) == 10 and both.loc[6, "metadata_public"] == {"n": 1}
    assert (df["metadata_public"] == copy["metadata_public"]).tolist() == [False, True, True, True, False]
    assert df[df["id"].isin(["b", "c"])]["metadata_public"].tolist() == [{"n": 1}, {"n": "one"}]
