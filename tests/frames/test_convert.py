"""Identity and session JSON -> Arrow -> pandas (ory_frames.convert._records, ory_frames.frames without I/O)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ory_frames import ConversionWarning, InvalidInputError, identities_frame, sessions_frame
from ory_frames._schema import trait_columns
from ory_frames.convert._records import IdentityConverter, SessionConverter

TYPED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "age": {"type": "integer"},
                "score": {"type": "number"},
                "vip": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "born": {"type": "string", "format": "date-time"},
                "extra": {"oneOf": [{"type": "string"}, {"type": "object"}]},
            },
        }
    },
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]


def convert_traits(traits: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    conv = IdentityConverter(trait_columns({"t": TYPED_SCHEMA}))
    batch = conv.convert([{"id": "x", "schema_id": "t", "state": "active", "traits": traits}])
    row = batch.to_pylist()[0]
    return {k: v for k, v in row.items() if k.startswith("traits.")}, conv.problems.as_dict()


TRAIT_VALUES = [
    # (traits, column, expected value, problem columns)
    ({"age": 30}, "traits.age", 30, {}),
    ({"age": 30.0}, "traits.age", 30, {}),  # 30.0 is an integer in JSON Schema
    ({"age": 3.5}, "traits.age", None, {"traits.age": 1}),
    ({"age": "30"}, "traits.age", None, {"traits.age": 1}),
    ({"age": True}, "traits.age", None, {"traits.age": 1}),  # bool is not an integer in JSON
    ({"score": 2}, "traits.score", 2.0, {}),
    ({"vip": "yes"}, "traits.vip", None, {"traits.vip": 1}),
    ({"email": ["a@x.io"]}, "traits.email", None, {"traits.email": 1}),
    ({"tags": ["a", "b"]}, "traits.tags", ["a", "b"], {}),
    ({"tags": ["a", 1]}, "traits.tags", None, {"traits.tags": 1}),
    ({"tags": "a"}, "traits.tags", None, {"traits.tags": 1}),
    # wire notes §3: timestamps may carry offsets and nanosecond fractions
    ({"born": "2021-08-17T11:15:59.232051+02:00"}, "traits.born", utc(2021, 8, 17, 9, 15, 59, 232051), {}),
    ({"born": "2021-08-17T11:15:59.123456789Z"}, "traits.born", utc(2021, 8, 17, 11, 15, 59, 123456), {}),
    ({"born": "yesterday"}, "traits.born", None, {"traits.born": 1}),
    ({"extra": {"k": [1, 2]}}, "traits.extra", '{"k":[1,2]}', {}),
    ({"extra": "s"}, "traits.extra", '"s"', {}),
    ({"unknown": 1, "email": "a@x.io"}, "traits.email", "a@x.io", {}),
]


@pytest.mark.parametrize(("traits", "column", "expected", "problems"), TRAIT_VALUES)
def test_trait_values(traits: dict[str, Any], column: str, expected: Any, problems: dict[str, int]) -> None:
    row, found = convert_traits(traits)
    assert row[column] == expected
    assert found == problems


TIMESTAMPS = [
    ("2013-10-07T08:23:19Z", utc(2013, 10, 7, 8, 23, 19)),
    ("2013-10-07T08:23:19.5Z", utc(2013, 10, 7, 8, 23, 19, 500000)),
    # wire notes §3: "state_changed_at": "2021-08-17T11:15:59.232051+02:00"
    ("2021-08-17T11:15:59.232051+02:00", utc(2021, 8, 17, 9, 15, 59, 232051)),
    ("2021-08-17T11:15:59-05:30", utc(2021, 8, 17, 16, 45, 59)),
    ("2021-08-17T11:15:59.999999999+00:00", utc(2021, 8, 17, 11, 15, 59, 999999)),  # Go RFC3339Nano
    # wire notes §8: authentication method completed_at may be Go's zero time: read as null by default
    ("0001-01-01T00:00:00Z", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS)
def test_timestamps(text: str | None, expected: datetime | None) -> None:
    conv = IdentityConverter({})
    batch = conv.convert([{"id": "x", "state": "active", "created_at": text, "state_changed_at": text}])
    assert batch.column("created_at").to_pylist() == [expected]
    assert batch.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert conv.problems.total == 0


def test_keep_zero_time_keeps_go_zero_time() -> None:
    conv = IdentityConverter({}, keep_zero_time=True)
    batch = conv.convert([{"id": "x", "state": "active", "created_at": "0001-01-01T00:00:00Z"}])
    assert batch.column("created_at").to_pylist() == [utc(1, 1, 1)]


def test_bad_timestamp_among_good_ones_nulls_only_itself() -> None:
    conv = IdentityConverter({})
    recs = [{"id": "a", "created_at": "2013-10-07T08:23:19.123456789Z"}, {"id": "b", "created_at": "not a time"}]
    assert conv.convert(recs).column("created_at").to_pylist() == [utc(2013, 10, 7, 8, 23, 19, 123456), None]
    assert conv.problems.as_dict() == {"created_at": 1}
    assert conv.problems.samples[0].row == "b"


def test_identity_row_and_summaries(make: Any) -> None:
    ident = make.identity(0, with_secrets=True)
    ident["verifiable_addresses"].append(
        {"id": make.uid(99), "value": "+4915112345678", "verified": False, "via": "sms", "status": "sent"}
    )
    conv = IdentityConverter(trait_columns({"default": make.email_name_schema}))
    row = conv.convert([ident]).to_pylist()[0]
    assert row["traits.name.first"] == "First0"
    assert row["state"] == "active"
    assert row["email"] == "user0@example.com" and row["email_verified"] is True
    assert row["emails"] == row["verified_emails"] == ["user0@example.com"]
    assert row["phone"] == "+4915112345678" and row["phone_verified"] is False
    assert row["verified_address_count"] == 1
    assert row["credential_types"] == ["password", "oidc", "totp", "lookup_secret"]
    assert row["credential_identifiers"] == ["user0@example.com", "google:0", make.uid(0), make.uid(0)]
    assert row["metadata_public"] == '{"plan":"pro","n":0}'
    assert row["verifiable_addresses"][0]["created_at"] == utc(2013, 10, 7, 8, 23, 19)
    assert row["updated_at"] == utc(2013, 10, 7, 6, 23, 19, 123456)


def test_list_without_credentials_gives_null_credential_columns(make: Any) -> None:
    # wire notes §3: the list endpoint sends no `credentials` key by default
    row = IdentityConverter({}).convert([make.identity(1)]).to_pylist()[0]
    assert row["credential_types"] is None and row["credential_identifiers"] is None


def _all_text(table: pa.Table) -> str:
    return repr(table.to_pylist())


def test_secrets_never_in_any_column_or_parquet_file(make: Any) -> None:
    records = [make.identity(n, with_secrets=True) for n in range(4)]
    conv = IdentityConverter(trait_columns({"default": make.email_name_schema}))
    table = pa.Table.from_batches([conv.convert(records)])
    assert not any(name.startswith("credentials.") for name in table.column_names)
    text = _all_text(table)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    raw = buf.getvalue()
    df = identities_frame(records)
    for secret in make.secrets:
        assert secret not in text
        assert secret.encode() not in raw
        assert secret not in repr(df.to_dict("records"))


def test_config_only_for_types_asked_by_name(make: Any) -> None:
    records = [make.identity(0, with_secrets=True)]
    df = identities_frame(records, include_credential=["password"])
    assert "credentials.password.config" in df.columns
    assert df.loc[0, "credentials.password.config"] == {
        "hashed_password": records[0]["credentials"]["password"]["config"]["hashed_password"]
    }
    assert [c for c in df.columns if c.startswith("credentials.")] == ["credentials.password.config"]
    text = repr(df.drop(columns="credentials.password.config").to_dict("records"))
    assert all(s not in text for s in make.secrets)
    assert all(s not in repr(df.to_dict("records")) for s in make.secrets[1:])


def test_identities_frame_dtypes(make: Any) -> None:
    records = [make.identity(n) for n in range(3)]
    records[1]["state"] = "inactive"
    records[2]["traits"]["age"] = 41
    schema = {
        "type": "object",
        "properties": {
            "traits": {"type": "object", "properties": {"email": {"type": "string"}, "age": {"type": "integer"}}}
        },
    }
    # The schema leaves out the records' `name`: it is kept in extra_fields, with one warning.
    with pytest.warns(ConversionWarning, match=r"'traits\.name' \(3 records\)"):
        df = identities_frame(records, schemas={"default": schema})
    assert df.loc[0, "extra_fields"] == {"traits": {"name": records[0]["traits"]["name"]}}
    assert isinstance(df["id"].dtype, pd.StringDtype)
    assert isinstance(df["traits.email"].dtype, pd.StringDtype)
    assert df["traits.age"].dtype == pd.Int64Dtype()
    assert df["traits.age"].isna().tolist() == [True, True, False]
    assert isinstance(df["state"].dtype, pd.CategoricalDtype)
    assert list(df["state"].cat.categories) == ["active", "inactive"]
    assert df["email_verified"].dtype == pd.BooleanDtype()
    assert df["verified_address_count"].dtype == pd.Int64Dtype()
    assert isinstance(df["created_at"].dtype, pd.DatetimeTZDtype) and str(df["created_at"].dt.tz) == "UTC"
    assert df.loc[0, "metadata_public"] == {"plan": "pro", "n": 0}  # parsed JSON
    assert df.loc[0, "metadata_admin"] is None
    assert df.loc[0, "emails"] == ["user0@example.com"]  # a Python list
    attrs = df.attrs["ory_frames"]
    assert attrs["kind"] == "identities" and attrs["schemas"] == {"default": schema}
    assert attrs["trait_columns"]["traits.age"]["pointer"] == "/traits/age"


def test_union_of_schemas_in_one_frame(make: Any) -> None:
    a = make.identity(0, schema_id="default")
    b = make.identity(1, schema_id="username", traits={"username": "bob", "age": 7})
    schemas = {
        "default": make.email_name_schema,
        "username": {
            "type": "object",
            "properties": {
                "traits": {"type": "object", "properties": {"username": {"type": "string"}, "age": {"type": "integer"}}}
            },
        },
    }
    df = identities_frame([a, b], schemas=schemas)
    assert {"traits.email", "traits.name.first", "traits.username", "traits.age"} <= set(df.columns)
    assert df["traits.username"].tolist()[1] == "bob" and pd.isna(df["traits.username"].tolist()[0])
    assert df["traits.age"].tolist()[1] == 7


def test_frame_warns_and_counts_wrong_trait_types(make: Any) -> None:
    record = make.identity(0, traits={"email": 12})
    with pytest.warns(ConversionWarning, match="traits.email"):
        df = identities_frame([record], schemas={"default": make.email_name_schema})
    assert pd.isna(df.loc[0, "traits.email"])
    assert df.attrs["ory_frames"]["problems"] == {"traits.email": 1}


def test_unknown_fields_and_odd_shapes_never_crash(make: Any) -> None:
    # The converter reads anything; only the frame functions insist on an id (see the next test).
    odd = [
        {"id": "a", "new_top_level": {"x": 1}, "traits": None, "state": "suspended"},
        {"id": "b", "traits": "not an object", "verifiable_addresses": "nope", "credentials": []},
        {"id": "c", "verifiable_addresses": [{"value": 5, "verified": "yes"}], "recovery_addresses": [None]},
        {},
    ]
    conv = IdentityConverter(trait_columns({"default": make.email_name_schema}))
    batch = conv.convert(odd)
    assert batch.num_rows == 4
    assert batch.column("state")[0].as_py() == "suspended"  # a state Ory added since: a new category, kept
    assert batch.column("extra_fields")[0].as_py() == '{"new_top_level":{"x":1}}'
    assert batch.column("verifiable_addresses")[2].as_py() is None
    assert conv.problems.as_dict()


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([{"traits": {}}], "row 0, column 'id': an identity needs a string id"),
        ([{"id": 7}], "row 0, column 'id': an identity needs a string id, got 7"),
        ([{"id": "a", "traits": "x"}], "row 0, column 'traits': traits must be a JSON object, not str"),
        ([{"id": "a"}, "nope"], "row 1: an identity must be a JSON object, not str"),
    ],
)
def test_identities_frame_refuses_records_it_could_not_match_back(make: Any, records: list[Any], expected: str) -> None:
    # A row without its id would look like a new identity to write-back (wire notes §3: ids always present).
    with pytest.raises(InvalidInputError) as info:
        identities_frame(records, schemas={"default": make.email_name_schema})
    assert expected in str(info.value)


def test_sessions_frame_refuses_a_session_without_id() -> None:
    with pytest.raises(InvalidInputError, match="row 1, column 'id': a session needs a string id"):
        sessions_frame([{"id": "s1"}, {"active": True}])


def test_empty_records_give_typed_empty_frame(make: Any) -> None:
    df = identities_frame([], schemas={"default": make.email_name_schema})
    assert len(df) == 0 and "traits.name.first" in df.columns
    assert isinstance(df["state"].dtype, pd.CategoricalDtype)


def test_sessions_frame_with_identity(make: Any) -> None:
    ident = make.identity(3)
    records = [make.session(1, identity=ident), make.session(2, identity=None, devices=False)]
    df = sessions_frame(records, schemas={"default": make.email_name_schema})
    assert df.loc[0, "identity_id"] == ident["id"] and pd.isna(df.loc[1, "identity_id"])
    assert df.loc[0, "identity.traits.email"] == "user3@example.com"
    assert df.loc[0, "methods"] == ["password", "totp"]
    assert df.loc[0, "device_count"] == 2 and pd.isna(df.loc[1, "device_count"])
    assert df.loc[0, "last_ip"] == "10.0.0.1"
    assert df.loc[1, "devices"] is pd.NA  # not expanded: null (wire notes §8)
    assert df.loc[0, "authentication_methods"][0]["completed_at"] is None  # Go's zero time (wire notes §8)
    assert df.loc[0, "authenticated_at"] == pd.Timestamp("2013-10-07T07:23:19.5Z")
    assert list(df["authenticator_assurance_level"].cat.categories) == ["aal0", "aal1", "aal2", "aal3"]
    assert df["active"].dtype == pd.BooleanDtype()
    assert df.loc[0, "identity.state"] == "active"


def test_sessions_without_identity_have_no_identity_columns(make: Any) -> None:
    df = sessions_frame([make.session(1)])
    assert not any(c.startswith("identity.") for c in df.columns)


def test_session_converter_fills_identity_id_when_given(make: Any) -> None:
    batch = SessionConverter().convert([make.session(1)], identity_id="abc")
    assert batch.column("identity_id").to_pylist() == ["abc"]
