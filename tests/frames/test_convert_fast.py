"""The bulk identity path (convert._identity_columns) gives exactly what the value-by-value path gives."""

from __future__ import annotations

import copy
from typing import Any

import pyarrow as pa
import pytest

from ory_frames._schema import trait_columns
from ory_frames.convert._records import IdentityConverter

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "name": {"type": "object", "properties": {"first": {"type": "string"}, "last": {"type": "string"}}},
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


def _converter() -> IdentityConverter:
    return IdentityConverter(trait_columns({"default": SCHEMA}), include_credential=["password"])


def _records(make: Any) -> list[dict[str, Any]]:
    records = [make.identity(n, with_secrets=n % 2 == 0) for n in range(6)]
    records[0]["traits"].update(age=41, score=2, vip=True, tags=["a", "b"], born="2021-08-17T11:15:59.5+02:00")
    records[1]["traits"].update(extra={"k": [1, 2]}, score=1.5, tags=[])
    records[2]["traits"] = None
    records[3].update(verifiable_addresses=None, recovery_addresses=[], external_id="", state="inactive")
    records[4]["verifiable_addresses"] += [
        {"id": "s", "value": "+4915112345678", "verified": True, "via": "sms"},
        {"id": "e2", "value": "second@example.com", "verified": None, "via": "email"},
        {"id": "n", "value": None, "verified": True, "via": "email"},
    ]
    records[5]["verifiable_addresses"] = []  # email then comes from the recovery address
    records[5]["metadata_admin"] = {"note": "x"}
    return records


def test_bulk_path_matches_value_by_value_path(make: Any) -> None:
    conv = _converter()
    records = _records(make)
    fast = conv._convert_fast(copy.deepcopy(records))
    assert fast is not None
    slow = conv._convert_fallback(records)
    for name in conv.schema.names:
        assert fast.column(name).equals(slow.column(name)), name
    row = fast.to_pylist()
    assert row[5]["email"] == "user5@example.com" and row[5]["email_verified"] is None
    assert row[4]["phone"] == "+4915112345678" and row[4]["verified_address_count"] == 2
    assert row[3]["external_id"] is None and row[3]["emails"] == []


def test_empty_page_takes_bulk_path() -> None:
    conv = _converter()
    batch = conv._convert_fast([])
    assert batch is not None and batch.num_rows == 0 and batch.schema == conv.schema


ODD = [
    # values the bulk path must not coerce silently; the value-by-value path nulls and reports them
    ({"age": 3.5}, "traits.age"),
    ({"age": True}, "traits.age"),
    ({"age": 30.0}, None),  # an integer in JSON Schema; read as 30 by the slow path
    ({"score": True}, "traits.score"),
    ({"tags": "ab"}, "traits.tags"),
    ({"tags": [1]}, "traits.tags"),
    ({"email": 12}, "traits.email"),
    ({"name": "Ann"}, None),  # a scalar where an object belongs: its sub-columns are null, as before
    ({"born": "yesterday"}, "traits.born"),
]


@pytest.mark.parametrize(("traits", "column"), ODD)
def test_odd_values_leave_the_bulk_path(make: Any, traits: dict[str, Any], column: str | None) -> None:
    conv = _converter()
    record = make.identity(0, traits=traits)
    assert conv._convert_fast([record]) is None
    conv.convert([record])
    assert conv.problems.as_dict() == ({column: 1} if column else {})


@pytest.mark.parametrize(
    "change",
    [
        {"state": 5},  # not a string (a new state string is kept on the bulk path)
        {"created_at": "not a time"},
        {"verifiable_addresses": ""},  # pa.array would read "" as an empty list
        {"verifiable_addresses": [{"value": 5}]},
    ],
)
def test_odd_identity_fields_leave_the_bulk_path(make: Any, change: dict[str, Any]) -> None:
    record = {**make.identity(0), **change}
    conv = _converter()
    assert conv._convert_fast([record]) is None
    assert conv.convert([record]).num_rows == 1


def test_nanosecond_timestamps_stay_on_bulk_path(make: Any) -> None:
    # wire notes §3: Go's RFC3339Nano may send 9 fraction digits
    record = make.identity(0, state_changed_at="2021-08-17T11:15:59.123456789Z")
    batch = _converter()._convert_fast([record])
    assert batch is not None
    assert batch.column("state_changed_at")[0].as_py().microsecond == 123456
    assert batch.schema.field("state_changed_at").type == pa.timestamp("us", tz="UTC")


def test_nanosecond_timestamps_inside_addresses_stay_on_bulk_path(make: Any) -> None:
    # A Kratos on SQLite sends 9 fraction digits in an address's verified_at (a real v1.3.1 did): that
    # page went value by value, about three times slower, until nested timestamps were cut too.
    records = [make.identity(n) for n in range(3)]
    records[0]["verifiable_addresses"][0].update(verified=True, verified_at="2026-12-07T04:25:18.943090646Z")
    records[1]["verifiable_addresses"][0]["value"] = "a.1234567@example.com"  # not a timestamp: left alone
    conv = _converter()
    fast = conv._convert_fast(copy.deepcopy(records))
    assert fast is not None
    slow = conv._convert_fallback(records)
    for name in conv.schema.names:
        assert fast.column(name).equals(slow.column(name)), name
    addresses = fast.column("verifiable_addresses").to_pylist()
    assert addresses[0][0]["verified_at"].microsecond == 943090
    assert addresses[1][0]["value"] == "a.1234567@example.com"


def test_pages_converted_together_equal_one_conversion(make: Any) -> None:
    conv = _converter()
    pages = [_records(make), [make.identity(n) for n in range(6, 9)], []]
    table = conv.convert_pages(copy.deepcopy(pages))
    assert table.num_rows == 9 and table.column("id").num_chunks == 1  # one bulk conversion
    expected = conv.convert([r for page in pages for r in page])
    assert table.equals(pa.Table.from_batches([expected])) and table.schema == conv.schema


def test_only_the_odd_page_of_a_group_goes_value_by_value(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    conv = _converter()
    odd = [make.identity(10, traits={"age": 3.5}), make.identity(11)]
    pages = [[make.identity(0), make.identity(1)], odd, [make.identity(20)]]
    slow_pages: list[int] = []
    slow = conv._convert_fallback

    def counting(records: list[dict[str, Any]]) -> pa.RecordBatch:
        slow_pages.append(len(records))
        return slow(records)

    monkeypatch.setattr(conv, "_convert_fallback", counting)
    table = conv.convert_pages(copy.deepcopy(pages))
    assert slow_pages == [2]  # the odd page alone
    assert conv.problems.as_dict() == {"traits.age": 1}
    expected = _converter().convert([r for page in pages for r in page])
    assert table.combine_chunks().equals(pa.Table.from_batches([expected]))
    assert table.column("traits.age").to_pylist() == [None, None, None, None, None]
