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
    df[["id", "metadata_public"]].to_parquet(buffer)
    back = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert isinstance(back["metadata_public"].dtype, type(df["metadata_public"].dtype))
    assert back["metadata_public"].tolist() == df["metadata_public"].tolist()
    table = pa.Table.from_pandas(df)
    assert table.column("metadata_public").to_pylist()[:3] == ["{}", '{"n":1}', '{"n":"one"}']


def test_the_whole_frame_goes_to_parquet_and_back_with_the_pyarrow_backend():
    # pandas cannot parse the dtype names of Arrow list columns it wrote itself (pandas-dev/pandas#53011),
    # so a frame with its nested columns is read back with dtype_backend="pyarrow"; JSON comes back as text.
    df = _frame()
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    back = pd.read_parquet(io.BytesIO(buffer.getvalue()), dtype_backend="pyarrow")
    assert [None if pd.isna(t) else json.loads(t) for t in back["metadata_public"]] == df["metadata_public"].tolist()
    assert back["verifiable_addresses"].tolist() == df["verifiable_addresses"].tolist()


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


def test_cells_are_parsed_when_looked_at_and_edits_reach_arrow():
    df = _frame()
    column = df["metadata_public"]
    # Nothing parsed yet: Arrow gets the text as read, unchanged.
    assert pa.array(column.array).to_pylist()[1] == '{"n":1}'
    column.loc[1]["n"] = 2  # a dict looked at, then edited in place
    assert df.loc[1, "metadata_public"] == {"n": 2}
    texts = pa.Table.from_pandas(df[["metadata_public"]]).column("metadata_public").to_pylist()
    assert texts == ["{}", '{"n":2}', '{"n":"one"}', '[1,"x",null]', None]


def test_a_copy_parses_its_own_values():
    df = _frame()
    copy = df.copy()
    copy.loc[2, "metadata_public"]["n"] = "two"
    assert df.loc[2, "metadata_public"] == {"n": "one"}
    assert copy.loc[2, "metadata_public"] == {"n": "two"}


def test_reindex_sort_concat_and_equality_keep_values():
    df = _frame()
    again = _frame()
    assert (df["metadata_public"] == again["metadata_public"]).tolist() == [True, True, True, True, False]
    grown = df.set_index("id").reindex(["e", "zz", "b"])["metadata_public"]
    assert grown.tolist() == [None, None, {"n": 1}] and grown.isna().tolist() == [True, True, False]
    assert df.sort_values("id", ascending=False)["metadata_public"].tolist()[3] == {"n": 1}
    looked_at = df.loc[1, "metadata_public"]
    both = pd.concat([df, again], ignore_index=True)
    assert both.loc[1, "metadata_public"] is looked_at  # a parsed cell is kept, not parsed again
    assert both["metadata_public"].tolist() == df["metadata_public"].tolist() * 2
    assert df["metadata_public"].iloc[-1] is None and df["metadata_public"].iloc[-2] == [1, "x", None]
