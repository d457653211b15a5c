"""Real-data oddities, with their literal values: Go's zero time, empty enums, offsets, fractions, legacy fields.

Each frame holding them survives ``to_json()``, ``to_parquet()`` and ``describe()``, and exports of
them read back equal from Parquet, CSV and JSON Lines, every timestamp in one RFC 3339 UTC form.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from ory_frames import (
    ApiError,
    Client,
    UnexpectedResponseError,
    export_identities,
    export_sessions,
    identities_frame,
    read_identities,
    read_sessions,
    sessions_frame,
)

BASE = "https://oddities.projects.oryapis.com"
KEY = "ory_pat_OddSecretKey0123456789abcdef"
ZERO = "0001-01-01T00:00:00Z"

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "birthday": {"type": "string", "format": "date-time"},
            },
        }
    },
}


def _identities() -> list[dict[str, Any]]:
    """Identities as real answers hold them (wire notes §3), each key present, null or missing on purpose."""
    return [
        {
            "id": "8a0c5b4e-6a1f-4b7a-9c3d-000000000001",
            "schema_id": "default",
            "state": "active",
            "state_changed_at": ZERO,
            "traits": {"email": "zero@example.com", "birthday": ZERO},
            "verifiable_addresses": [
                {
                    "id": "8a0c5b4e-6a1f-4b7a-9c3d-0000000000a1",
                    "value": "zero@example.com",
                    "verified": False,
                    "via": "",
                    "status": "",
                    "verified_at": ZERO,
                    "expires_at": "2020-03-05T11:02:18.999999999Z",
                    "created_at": "2023-12-20T07:20:43.512549Z",
                    "updated_at": "2023-12-20T09:20:43+02:00",
                }
            ],
            "recovery_addresses": [
                {
                    "id": "8a0c5b4e-6a1f-4b7a-9c3d-0000000000b1",
                    "value": "zero@example.com",
                    "via": "email",
                    "created_at": ZERO,
                    "updated_at": "2023-12-20T07:37:51.488354+00:00",
                }
            ],
            "metadata_public": None,
            "created_at": "2023-12-20T07:20:43.512549Z",
            "updated_at": "2023-12-20T09:37:51.488354123+02:00",
            "organization_id": None,
        },
        {
            "id": "8a0c5b4e-6a1f-4b7a-9c3d-000000000002",
            "schema_id": "default",
            "state": "inactive",
            "state_changed_at": "2024-02-29T23:59:59+02:00",
            "traits": {"email": "offset@example.com"},
            "metadata_public": {"plan": "pro", "seats": 3},
            "metadata_admin": {},
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00.123456789Z",
        },
        {
            "id": "8a0c5b4e-6a1f-4b7a-9c3d-000000000003",
            "schema_id": "default",
            "state": "active",
            "state_changed_at": None,
            "traits": {"email": "plain@example.com", "birthday": "1990-05-17T00:00:00Z"},
            "verifiable_addresses": [],
            "metadata_public": {"tags": ["a", "b"], "nested": {"x": None}},
            "metadata_admin": None,
            "created_at": "2023-06-01T12:00:00.5-07:00",
            "updated_at": "2023-06-01T19:00:00.500000Z",
            "organization_id": "5b6b5c22-5ffc-4b1e-9f6f-1e2d3c4b5a69",
        },
    ]


def _sessions() -> list[dict[str, Any]]:
    """Sessions as real answers hold them (wire notes §8): zero completion times, empty ``aal``, offsets."""
    identity = {k: v for k, v in _identities()[0].items() if k != "credentials"}
    return [
        {
            "id": "7b1d6c5f-7b2a-4c8b-8d4e-000000000001",
            "active": True,
            "expires_at": "2024-01-20T09:20:43+02:00",
            "authenticated_at": "2023-12-20T07:20:43Z",
            "issued_at": "2023-12-20T07:20:43.512549123Z",
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [
                {"method": "password", "aal": "", "completed_at": ZERO},
                {"method": "code_recovery", "aal": "aal1", "completed_at": "2023-12-20T07:37:51.488354+00:00"},
            ],
            "identity": identity,
            "devices": [
                {
                    "id": "7b1d6c5f-7b2a-4c8b-8d4e-0000000000d1",
                    "ip_address": "203.0.113.7",
                    "user_agent": "",
                    "location": "",
                }
            ],
        },
        {
            "id": "7b1d6c5f-7b2a-4c8b-8d4e-000000000002",
            "active": False,
            "expires_at": ZERO,
            "authenticated_at": ZERO,
            "issued_at": "2023-12-21T10:00:00+02:00",
            "authenticator_assurance_level": "aal2",
            "authentication_methods": [],
            "identity": dict(identity, id="8a0c5b4e-6a1f-4b7a-9c3d-000000000003", state_changed_at=None),
            "devices": [],
        },
    ]


def _handler(identities: list[dict[str, Any]], sessions: list[dict[str, Any]]) -> Callable[..., httpx.Response]:
    """A one-page Ory answering the schema, identity and session lists (no Link ``next``: the last page)."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/schemas":
            return httpx.Response(200, json=[{"id": "default", "schema": SCHEMA}])
        if path == "/admin/identities":
            return httpx.Response(200, json=identities)
        if path == "/admin/sessions":
            return httpx.Response(200, json=sessions)
        return httpx.Response(
            404, json={"error": {"code": 404, "message": "The requested resource could not be found"}}
        )

    return handle


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(BASE, api_key=KEY, transport=httpx.MockTransport(_handler(_identities(), _sessions()))) as c:
        yield c


def _text(ts: Any) -> str:
    d = pd.Timestamp(ts).tz_convert("UTC")
    return f"{d.year:04d}-{d:%m-%dT%H:%M:%S}.{d.microsecond:06d}Z"


def canonical(value: Any) -> Any:
    """A frame or read-back value in JSON terms: timestamps as RFC 3339 UTC text, missing as None."""
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return _text(value)
    if isinstance(value, np.ndarray):
        return [canonical(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{c: canonical(v) for c, v in zip(df.columns, row, strict=True)} for row in df.itertuples(index=False)]


def csv_cell(expected: Any, cell: str) -> Any:
    """A CSV cell read as the JSON type of its expected value (nested values and JSON columns are JSON text)."""
    if cell == "" and expected in (None, ""):
        return expected
    if isinstance(expected, bool):
        return {"true": True, "false": False}[cell]
    if isinstance(expected, int):
        return int(cell)
    if isinstance(expected, (list, dict)):
        return json.loads(cell)
    return cell


def assert_round_trip(frame: pd.DataFrame, path: Path) -> None:
    expected = rows(frame)
    if path.suffix == ".parquet":
        got = rows(pd.read_parquet(path))
        for exp, row in zip(expected, got, strict=True):
            # Parquet keeps JSON columns as their text.
            assert {
                k: json.loads(v) if isinstance(v, str) and isinstance(exp[k], dict) else v for k, v in row.items()
            } == exp
    elif path.suffix == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert list(table.columns) == list(frame.columns)
        got = [
            {c: csv_cell(exp[c], cell) for c, cell in zip(table.columns, row, strict=True)}
            for exp, row in zip(expected, table.itertuples(index=False), strict=True)
        ]
        assert got == expected
    else:
        lines = path.read_text().splitlines()
        assert [json.loads(line) for line in lines] == expected


# --- Go's zero time --------------------------------------------------------------------------------


def test_zero_time_is_nat_at_every_depth():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    assert df["state_changed_at"].isna().tolist() == [True, False, True]
    assert df["traits.birthday"].isna().tolist() == [True, True, False]
    address = df.loc[0, "verifiable_addresses"][0]
    assert address["verified_at"] is None
    assert df.loc[0, "recovery_addresses"][0]["created_at"] is None
    sessions = sessions_frame(_sessions(), schemas={"default": SCHEMA})
    assert sessions.loc[0, "authentication_methods"][0]["completed_at"] is None
    assert sessions.loc[0, "authentication_methods"][1]["completed_at"] == datetime(
        2023, 12, 20, 7, 37, 51, 488354, tzinfo=timezone.utc
    )
    assert sessions["expires_at"].isna().tolist() == [False, True]
    assert sessions["authenticated_at"].isna().tolist() == [False, True]
    assert sessions["identity.state"].tolist() == ["active", "active"]


def test_keep_zero_time_keeps_the_year_one():
    year_one = pd.Timestamp(ZERO)
    df = identities_frame(_identities(), schemas={"default": SCHEMA}, keep_zero_time=True)
    assert df.loc[0, "state_changed_at"] == year_one
    assert df.loc[0, "traits.birthday"] == year_one
    assert df.loc[0, "verifiable_addresses"][0]["verified_at"] == year_one
    sessions = sessions_frame(_sessions(), keep_zero_time=True)
    assert sessions.loc[0, "authentication_methods"][0]["completed_at"] == year_one
    assert sessions.loc[1, "expires_at"] == year_one


def test_kept_zero_time_round_trips_through_json_and_parquet(tmp_path):
    df = identities_frame(_identities(), schemas={"default": SCHEMA}, keep_zero_time=True)
    year_one = pd.Timestamp(ZERO)
    back = pd.read_json(io.StringIO(df.to_json(orient="records", date_format="iso", date_unit="us")), orient="records")
    assert pd.Timestamp(back.loc[0, "state_changed_at"]) == year_one
    assert pd.Timestamp(back.loc[0, "verifiable_addresses"][0]["verified_at"]) == year_one
    df.to_parquet(tmp_path / "kept.parquet")
    # dtype_backend="pyarrow": pandas cannot parse the names it wrote for Arrow list dtypes (docs/how-to/export.md)
    back = pd.read_parquet(tmp_path / "kept.parquet", dtype_backend="pyarrow")
    assert back.loc[0, "traits.birthday"] == year_one


def test_read_functions_take_keep_zero_time(client):
    assert read_identities(client)["state_changed_at"].isna().tolist() == [True, False, True]
    kept = read_identities(client, keep_zero_time=True)
    assert kept.loc[0, "state_changed_at"] == pd.Timestamp(ZERO)
    assert read_sessions(client)["expires_at"].isna().tolist() == [False, True]
    assert read_sessions(client, keep_zero_time=True).loc[1, "expires_at"] == pd.Timestamp(ZERO)


# --- offsets, fractions, empty enums, legacy fields ------------------------------------------------


def test_offsets_and_fractions_read_as_utc_microseconds():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    assert [_text(t) for t in df["updated_at"]] == [
        "2023-12-20T07:37:51.488354Z",  # "2023-12-20T09:37:51.488354123+02:00": nine digits, +02:00
        "2024-01-01T00:00:00.123456Z",  # "2024-01-01T00:00:00.123456789Z"
        "2023-06-01T19:00:00.500000Z",
    ]
    assert _text(df.loc[1, "state_changed_at"]) == "2024-02-29T21:59:59.000000Z"  # second precision, +02:00
    assert _text(df.loc[2, "created_at"]) == "2023-06-01T19:00:00.500000Z"  # "2023-06-01T12:00:00.5-07:00"
    assert _text(df.loc[0, "verifiable_addresses"][0]["updated_at"]) == "2023-12-20T07:20:43.000000Z"


def test_empty_enum_strings_are_kept_as_sent():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    address = df.loc[0, "verifiable_addresses"][0]
    assert (address["via"], address["status"]) == ("", "")
    # via "" is no email address: the summary falls back to the recovery email, unverified status unknown
    assert (df.loc[0, "email"], df.loc[0, "emails"]) == ("zero@example.com", [])
    assert pd.isna(df.loc[0, "email_verified"])
    sessions = sessions_frame(_sessions())
    assert sessions.loc[0, "authentication_methods"][0]["aal"] == ""
    assert sessions.loc[0, "devices"][0]["location"] == ""


def test_legacy_address_expires_at_is_kept():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    assert df.loc[0, "verifiable_addresses"][0]["expires_at"] == datetime(
        2020, 3, 5, 11, 2, 18, 999999, tzinfo=timezone.utc
    )


def test_missing_and_null_keys_read_alike():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    assert df["organization_id"].isna().tolist() == [True, True, False]
    assert df["metadata_public"].tolist()[0] is None
    assert df.loc[1, "metadata_admin"] == {}
    assert df.loc[1, "verifiable_addresses"] is pd.NA  # a missing list cell of an Arrow-backed column


# --- frames survive pandas' own exports ------------------------------------------------------------


@pytest.mark.parametrize("keep", [False, True])
def test_frames_survive_to_json_to_parquet_and_describe(keep, tmp_path):
    frames = [
        identities_frame(_identities(), schemas={"default": SCHEMA}, keep_zero_time=keep),
        sessions_frame(_sessions(), schemas={"default": SCHEMA}, keep_zero_time=keep),
    ]
    for i, df in enumerate(frames):
        described = df.describe()
        assert not described.empty
        df.to_parquet(tmp_path / f"{i}.parquet")
        df.to_csv(tmp_path / f"{i}.csv", index=False)
        assert len(pd.read_csv(tmp_path / f"{i}.csv")) == len(df)
        # ISO text, pandas' announced default: its epoch form goes through nanoseconds and overflows before 1677.
        text = df.to_json(orient="records", date_format="iso", date_unit="us")
        assert ("0001-01-01T00:00:00.000000Z" in text) is keep
        assert len(json.loads(text)) == len(df)
    mean = frames[0]["state_changed_at"].mean()
    assert mean.year == 2024 if not keep else mean.year < 2000


def test_describe_reports_real_means_by_default():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    described = df.describe(include=["datetimetz"])
    assert described.loc["mean", "state_changed_at"] == pd.Timestamp("2024-02-29T21:59:59Z")
    assert described.loc["min", "created_at"].year == 2023


# --- exports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_identity_exports_round_trip(client, tmp_path, fmt):
    frame = read_identities(client)
    path = tmp_path / f"identities.{fmt}"
    result = export_identities(client, path)
    assert result.rows == 3
    assert_round_trip(frame, path)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_session_exports_round_trip(client, tmp_path, fmt):
    frame = read_sessions(client)
    path = tmp_path / f"sessions.{fmt}"
    assert export_sessions(client, path).rows == 2
    assert_round_trip(frame, path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_exports_write_one_rfc3339_utc_form(client, tmp_path, fmt):
    path = tmp_path / f"identities.{fmt}"
    export_identities(client, path)
    text = path.read_text()
    assert "2023-12-20T07:20:43.512549Z" in text  # top-level created_at
    assert "2023-12-20T07:37:51.488354Z" in text  # nested recovery address updated_at
    assert "2020-03-05T11:02:18.999999Z" in text  # legacy expires_at, nine digits cut to six
    assert "2024-02-29T21:59:59.000000Z" in text  # second precision with +02:00
    assert "+00:00" not in text and "+02:00" not in text and "2023-12-20 07:20:43" not in text
    assert "0001-01-01" not in text
    sessions = tmp_path / f"sessions.{fmt}"
    export_sessions(client, sessions)
    text = sessions.read_text()
    assert "2023-12-20T07:37:51.488354Z" in text  # authentication_methods[].completed_at
    assert "2024-01-20T07:20:43.000000Z" in text and "+00:00" not in text and "0001-01-01" not in text


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_exports_keep_zero_time_on_request(client, tmp_path, fmt):
    path = tmp_path / f"identities.{fmt}"
    export_identities(client, path, keep_zero_time=True)
    if fmt == "parquet":
        back = pd.read_parquet(path)
        assert back.loc[0, "state_changed_at"] == pd.Timestamp(ZERO)
        assert back.loc[0, "verifiable_addresses"][0]["verified_at"] == pd.Timestamp(ZERO).to_pydatetime()
    else:
        assert "0001-01-01T00:00:00.000000Z" in path.read_text()
    assert_round_trip(read_identities(client, keep_zero_time=True), path)


# --- errors ----------------------------------------------------------------------------------------


def test_error_envelope_keeps_every_field_without_the_key():
    flow = "https://oddities.projects.oryapis.com/self-service/settings/browser?flow=5c2b3d1e"
    body = {
        "error": {
            "id": "browser_location_change_required",
            "code": 422,
            "status": "Unprocessable Entity",
            "request": "b4b1e0f3-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "reason": f"In order to complete this flow please redirect the browser to: {flow}",
            "details": {"redirect_browser_to": flow, "seen_key": KEY},
            "message": "browser location change required",
            "debug": f"authorization Bearer {KEY}",
        },
        "redirect_browser_to": flow,
    }

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=body, headers={"x-request-id": "b4b1e0f3-1c2d-4e5f-8a9b-0c1d2e3f4a5b"})

    with (
        Client(BASE, api_key=KEY, transport=httpx.MockTransport(handle), retries=0) as c,
        pytest.raises(ApiError) as info,
    ):
        c.get_identity("8a0c5b4e-6a1f-4b7a-9c3d-000000000001")
    err = info.value
    assert err.status == 422 and err.code == 422
    assert err.redirect_browser_to == flow
    assert err.error_id == "browser_location_change_required"
    assert err.request_id == "b4b1e0f3-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert err.status_text == "Unprocessable Entity"
    assert err.message == "browser location change required"
    assert err.reason == body["error"]["reason"]
    assert err.details == {"redirect_browser_to": flow, "seen_key": "***"}
    assert err.debug == "authorization Bearer ***"
    assert err.envelope["redirect_browser_to"] == flow
    assert set(err.envelope["error"]) == set(body["error"])
    every = [str(err), repr(err), json.dumps(err.envelope), str(err.details), str(err.debug), str(vars(err))]
    assert all(KEY not in text for text in every)


def test_model_errors_are_grammatical():
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "8a0c5b4e-6a1f-4b7a-9c3d-000000000001"})  # no schema_id

    with (
        Client(BASE, api_key=KEY, transport=httpx.MockTransport(handle), retries=0) as c,
        pytest.raises(UnexpectedResponseError) as info,
    ):
        c.get_identity("8a0c5b4e-6a1f-4b7a-9c3d-000000000001")
    assert "the answer is not an Identity (" in str(info.value)
    assert "not a Identity" not in str(info.value)


def test_frames_to_parquet_in_memory_round_trip():
    df = identities_frame(_identities(), schemas={"default": SCHEMA})
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    # Nested columns are Arrow-backed: pandas reads them back with the pyarrow backend (pandas-dev/pandas#53011).
    back = pd.read_parquet(io.BytesIO(buffer.getvalue()), dtype_backend="pyarrow")
    assert back["state_changed_at"].isna().tolist() == [True, False, True]
    assert [_text(t) for t in back["created_at"]] == [_text(t) for t in df["created_at"]]
    assert canonical(back["verifiable_addresses"].tolist()) == canonical(df["verifiable_addresses"].tolist())
    assert [None if pd.isna(t) else json.loads(t) for t in back["metadata_public"]] == df["metadata_public"].tolist()


def test_redirect_inside_details_only_and_bare_envelope():
    flow = "https://oddities.projects.oryapis.com/self-service/login/browser?aal=aal2"
    body = {"code": 403, "message": "aal2 required", "details": {"redirect_browser_to": flow}, "status": "Forbidden"}

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=body)

    with (
        Client(BASE, api_key=KEY, transport=httpx.MockTransport(handle), retries=0) as c,
        pytest.raises(ApiError) as info,
    ):
        c.get_identity("8a0c5b4e-6a1f-4b7a-9c3d-000000000001")
    assert info.value.redirect_browser_to == flow
    assert info.value.status_text == "Forbidden" and info.value.debug is None
    assert info.value.envelope == body


def test_empty_aal_and_state_are_unset_not_problems():
    records = _sessions()
    records[0]["authenticator_assurance_level"] = ""
    records[1]["identity"] = dict(records[1]["identity"], state="")
    df = sessions_frame(records, schemas={"default": SCHEMA})  # warnings are errors here: none is raised
    assert pd.isna(df.loc[0, "authenticator_assurance_level"]) and df.loc[1, "authenticator_assurance_level"] == "aal2"
    assert pd.isna(df.loc[1, "identity.state"])
    assert df.attrs["ory_frames"]["problems"] == {}
