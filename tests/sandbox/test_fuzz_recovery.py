"""Admin recovery bodies and expiries as Kratos decodes them (wire notes §9); found by the Schemathesis run."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sandbox_helpers import assert_error, assert_success, make_identity

from ory_frames.sandbox import _go
from ory_frames.sandbox import _wire as w

pytestmark = pytest.mark.conformance  # pins Kratos' exact error texts (drift adds an error id)

BAD_400 = "The request was malformed or contained invalid parameters"
JSON = {"content-type": "application/json"}
CODE, LINK = "/admin/recovery/code", "/admin/recovery/link"
ONLY_JSON = "[application/json] are supported."
UNPARSABLE = 'Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): '


@pytest.fixture
def person(app: Any) -> dict[str, Any]:
    doc = make_identity("fuzz@example.com")
    app.state.store.insert_identities([doc])
    return doc


# ---- expires_in: Go's time.ParseDuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("1h", 3_600_000_000_000),
        ("1m30s", 90_000_000_000),
        ("500ms", 500_000_000),
        ("1.5h", 5_400_000_000_000),
        ("+1h", 3_600_000_000_000),
        ("-1h", -3_600_000_000_000),
        (".5s", 500_000_000),
        ("1.s", 1_000_000_000),
        ("0", 0),
        ("-0", 0),
        ("1µs", 1_000),  # U+00B5 micro sign
        ("1μs", 1_000),  # U+03BC Greek mu
        ("2562047h", 2_562_047 * 3_600_000_000_000),
        ("9223372036854775807ns", 2**63 - 1),
        ("-9223372036854775808ns", -(2**63)),
        ("2562047h47m16.854775807s", 2**63 - 1),
    ],
)
def test_go_duration_parses_what_go_parses(text: str, nanos: int) -> None:
    assert _go.parse_go_duration(text) == nanos


@pytest.mark.parametrize(
    "text",
    ["", "1d", "1H", "h", ".s", "1", "-", "1h-1m", "2562048h", "99999999999h", "9223372036854775808ns", "3000000h"],
)
def test_go_duration_refuses_what_go_refuses(text: str) -> None:
    # time.ParseDuration: int64 nanoseconds, so anything above 2562047h47m16.854775807s overflows
    assert _go.parse_go_duration(text) is None


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "0s"),
        (-3_600_000_000_000, "-1h0m0s"),
        (90_000_000_000, "1m30s"),
        (-1_500_000_000, "-1.5s"),
        (-500_000_000, "-500ms"),
        (-1_000, "-1µs"),
        (-1, "-1ns"),
        (-1_500, "-1.5µs"),
    ],
)
def test_go_duration_string(nanos: int, text: str) -> None:
    assert _go.go_duration_string(nanos) == text


@pytest.mark.parametrize("path", [CODE, LINK])
@pytest.mark.parametrize("value", ["99999999999h", "3000000h", "2562048h"])
def test_recovery_expiry_beyond_go_durations_is_a_400(
    client: Any, person: dict[str, Any], path: str, value: str
) -> None:
    # selfservice/strategy/code/strategy_recovery_admin.go and selfservice/strategy/link/strategy_recovery.go:
    # time.ParseDuration fails, so the reason names the value as sent.
    resp = client.post(path, json={"identity_id": person["id"], "expires_in": value})
    assert_error(resp, 400, reason=UNPARSABLE + value, message=BAD_400)


def test_recovery_expiry_at_the_limit_is_accepted(client: Any, person: dict[str, Any]) -> None:
    body = assert_success(client.post(CODE, json={"identity_id": person["id"], "expires_in": "2562047h"}), 201)
    assert body["expires_at"][:4] > "2300"


def test_link_repeats_the_expiry_as_sent_in_its_future_time_error(client: Any, person: dict[str, Any]) -> None:
    # The link handler formats p.ExpiresIn (the text), the code handler the parsed time.Duration.
    resp = client.post(LINK, json={"identity_id": person["id"], "expires_in": "-60m"})
    assert_error(resp, 400, reason='Value from "expires_in" must be result to a future time: -60m')
    resp = client.post(CODE, json={"identity_id": person["id"], "expires_in": "-60m"})
    assert_error(resp, 400, reason='Value from "expires_in" must result to a future time: -1h0m0s')
    resp = client.post(CODE, json={"identity_id": person["id"], "expires_in": "0"})
    assert_error(resp, 400, reason='Value from "expires_in" must result to a future time: 0s')


# ---- the recovery bodies: oryx/decoderx/http.go with HTTPJSONDecoder --------------------------------------------


def _decode_reason(text: str) -> str:
    return "Unable to decode JSON payload: " + text


@pytest.mark.parametrize(
    ("path", "go_type"),
    [(CODE, "code.createRecoveryCodeForIdentityBody"), (LINK, "link.createRecoveryLinkForIdentityBody")],
)
def test_recovery_bodies_go_cannot_decode(client: Any, person: dict[str, Any], path: str, go_type: str) -> None:
    struct = go_type.split(".")[1]
    cases: list[tuple[Any, str]] = [
        ({"identity_id": person["id"], "expires_in": {}}, f"{struct}.expires_in of type string"),
        ({"identity_id": person["id"], "expires_in": 5}, f"{struct}.expires_in of type string"),
        ({"identity_id": 5}, f"{struct}.identity_id of type uuid.UUID"),
        ({"identity_id": [person["id"]]}, f"{struct}.identity_id of type uuid.UUID"),
    ]
    for body, tail in cases:
        kind = (
            "object" if body.get("expires_in") == {} else "array" if isinstance(body["identity_id"], list) else "number"
        )
        reason = _decode_reason(f"json: cannot unmarshal {kind} into Go struct field {tail}")
        assert_error(client.post(path, json=body), 400, reason=reason, message=BAD_400)
    reason = _decode_reason(f"json: cannot unmarshal array into Go value of type {go_type}")
    assert_error(client.post(path, json=[person["id"]]), 400, reason=reason)
    reason = _decode_reason('uuid: incorrect UUID length 3 in string "abc"')
    assert_error(client.post(path, json={"identity_id": "abc"}), 400, reason=reason)
    # the uuid's own error stops Go's decoder at once; a type error found earlier is only remembered
    assert_error(client.post(path, json={"expires_in": {}, "identity_id": "abc"}), 400, reason=reason)
    # of two type errors, the first in the body is reported
    body = {"expires_in": [], "identity_id": 1}
    reason = _decode_reason(f"json: cannot unmarshal array into Go struct field {struct}.expires_in of type string")
    assert_error(client.post(path, json=body), 400, reason=reason)
    body = {"identity_id": 1, "expires_in": []}
    reason = _decode_reason(
        f"json: cannot unmarshal number into Go struct field {struct}.identity_id of type uuid.UUID"
    )
    assert_error(client.post(path, json=body), 400, reason=reason)
    reason = _decode_reason("invalid character 'x' looking for beginning of value")
    assert_error(client.post(path, content=b"xyz", headers=JSON), 400, reason=reason)


@pytest.mark.parametrize("path", [CODE, LINK])
def test_recovery_needs_a_json_content_type_and_a_body(client: Any, person: dict[str, Any], path: str) -> None:
    body = f'{{"identity_id": "{person["id"]}"}}'.encode()
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/json-patch+json"):
        resp = client.post(path, content=body, headers={"content-type": ctype})
        reason = f'HTTP POST Request used unknown HTTP Header "Content-Type: {ctype}", only {ONLY_JSON}'
        assert_error(resp, 400, reason=reason, message=BAD_400)
    resp = client.post(path, content=body)  # no Content-Type at all
    assert_error(
        resp,
        400,
        reason='HTTP POST Request used unknown HTTP Header "Content-Type: ", only [application/json] are supported.',
    )
    resp = client.post(path, content=b"", headers=JSON)
    assert_error(
        resp, 400, reason='Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.'
    )
    ok = client.post(path, content=body, headers={"content-type": "Application/JSON; charset=utf-8"})
    assert ok.status_code in (200, 201), ok.text


def test_recovery_code_flow_type(client: Any, person: dict[str, Any]) -> None:
    # code/strategy_recovery_admin.go: FlowType is a *flow.Type; only "api" and "browser" are valid, null is browser
    ident = person["id"]
    for value, shown in (("", '""'), ("x", '"x"'), ("API", '"API"'), ('a"b', '"a\\"b"')):
        resp = client.post(CODE, json={"identity_id": ident, "flow_type": value})
        assert_error(resp, 400, reason=f'Value from "flow_type" is not valid: {shown}', message=BAD_400)
    resp = client.post(CODE, json={"identity_id": ident, "flow_type": 1})
    reason = _decode_reason(
        "json: cannot unmarshal number into Go struct field createRecoveryCodeForIdentityBody.flow_type "
        "of type flow.Type"
    )
    assert_error(resp, 400, reason=reason)
    assert_success(client.post(CODE, json={"identity_id": ident, "flow_type": None}), 201)
    assert_success(client.post(CODE, json={"identity_id": ident, "flow_type": "api"}), 201)
    # Go matches field names without regard to case and ignores unknown ones
    assert_success(client.post(CODE, json={"Identity_ID": ident, "FLOW_TYPE": "api", "other": 1}), 201)


def test_recovery_checks_the_body_before_the_identity(client: Any) -> None:
    # a missing or null identity_id is the nil UUID, which no identity has
    err = assert_error(client.post(CODE, json={}), 404, reason="could not find identity")
    assert err["message"] == w.NOT_FOUND_DB
    assert_error(client.post(CODE, content=b"null", headers=JSON), 404, reason="could not find identity")
    assert_error(client.post(LINK, json={"identity_id": None}), 400, reason="The requested identity id does not exist.")
    unknown = str(uuid.uuid4())
    resp = client.post(CODE, json={"identity_id": unknown, "flow_type": ""})
    assert_error(resp, 400, reason='Value from "flow_type" is not valid: ""')
    resp = client.post(LINK, json={"identity_id": unknown, "expires_in": "soon"})
    assert_error(resp, 400, reason=UNPARSABLE + "soon")
