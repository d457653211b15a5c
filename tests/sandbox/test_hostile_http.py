"""Hostile input over real HTTP: all 21 operations answer Ory-style 4xx, never a 5xx, a hang or a dropped connection.

Hypothesis drives each operation on a loopback sandbox with junk ids (path traversal, NUL, invalid UTF-8, huge
values), junk query parameters and junk bodies (deep nesting, huge numbers, NUL bytes, invalid UTF-8, wrong types).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from drift_support import running
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEY = "hostile-input-key"
# Examples per operation: more where a body can be corrupted. About 750 requests, under a minute on a busy 2-core box.
BODY_EXAMPLES, OTHER_EXAMPLES = 60, 20


@dataclass(frozen=True)
class Op:
    """One IdentityApi operation: method, path template, its query parameters and the kind of body it reads."""

    name: str
    method: str
    path: str
    query: tuple[str, ...] = ()
    body: str | None = None


_PAGING = ("page", "per_page", "page_size", "page_token")
_IDENTITY_FILTERS = ("organization_id", "include_credential", "consistency")
OPS = (
    Op(
        "list_identities",
        "GET",
        "/admin/identities",
        (*_PAGING, "ids", "credentials_identifier", "preview_credentials_identifier_similar", *_IDENTITY_FILTERS),
    ),
    Op("batch_patch_identities", "PATCH", "/admin/identities", body="batch"),
    Op("create_identity", "POST", "/admin/identities", body="identity"),
    Op("get_identity_by_external_id", "GET", "/admin/identities/by/external/{external}", ("include_credential",)),
    Op("delete_identity", "DELETE", "/admin/identities/{identity}"),
    Op("get_identity", "GET", "/admin/identities/{identity}", ("include_credential",)),
    Op("patch_identity", "PATCH", "/admin/identities/{identity}", body="patch"),
    Op("update_identity", "PUT", "/admin/identities/{identity}", body="identity"),
    Op("delete_identity_credentials", "DELETE", "/admin/identities/{identity}/credentials/{type}", ("identifier",)),
    Op("delete_identity_sessions", "DELETE", "/admin/identities/{identity}/sessions"),
    Op("list_identity_sessions", "GET", "/admin/identities/{identity}/sessions", ("active", *_PAGING)),
    Op("create_recovery_code_for_identity", "POST", "/admin/recovery/code", body="recovery"),
    Op("create_recovery_link_for_identity", "POST", "/admin/recovery/link", body="recovery"),
    Op("list_sessions", "GET", "/admin/sessions", ("active", "expand", "page_size", "page_token")),
    Op("manage_sessions", "POST", "/admin/sessions", body="manage"),
    Op("disable_session", "DELETE", "/admin/sessions/{session}"),
    Op("get_session", "GET", "/admin/sessions/{session}", ("expand",)),
    Op("extend_session", "PATCH", "/admin/sessions/{session}/extend"),
    Op("create_test_login_flow", "POST", "/admin/test-login-flows", body="flow"),
    Op("list_identity_schemas", "GET", "/schemas", _PAGING),
    Op("get_identity_schema", "GET", "/schemas/{schema}"),
)
BODY_FIELDS = {
    "identity": (
        "schema_id",
        "traits",
        "state",
        "metadata_public",
        "metadata_admin",
        "external_id",
        "credentials",
        "verifiable_addresses",
        "recovery_addresses",
        "organization_id",
    ),
    "recovery": ("identity_id", "expires_in", "flow_type", "return_to"),
    "manage": ("action", "identities", "sessions"),
    "flow": ("provider_id", "return_to", "identity_schema_id"),
}

# ---- strategies ---------------------------------------------------------------------------------------------------

SPECIAL_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "..",
    "../../../etc/passwd",
    "..\\..\\windows",
    "%",
    "%00",
    "%ff",
    "null",
    "true",
    "{}",
    "[]",
    "-1",
    "0",
    "1e999",
    "NaN",
    "99999999999999999999999999999999",
    "-9223372036854775809",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffffx",
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "\ufeff",
    "\U0001f600",
    "ü" * 300,
)
plain_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
big_text = st.integers(min_value=1_000, max_value=15_000).map(lambda n: "x" * n)  # 4 of them fit httpx's 64 KiB URL
hostile_text = st.one_of(st.sampled_from(SPECIAL_TEXT), plain_text, big_text, st.integers().map(str))
# Escapes a client would never produce: invalid UTF-8, NUL, encoded dot segments and slashes.
RAW_SEGMENTS = ("%ff%fe", "%00", "%2e%2e", "%2e%2e%2f%2e%2e%2fadmin", "..%2f..%2f", "%c0%ae%c0%ae", "a%2fb", "%25")
RAW_QUERY_TAILS = ("", "&page_size=%ff", "&%ff%fe=1", "&ids=%00", "&page_token=%c0%80", "&=", "&&&", "&page=%2d1")


def deep(depth: int, leaf: Any = 1) -> Any:
    """`leaf` inside lists nested `depth` deep."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=8,
)
# What a corrupted field gets: each kind of trouble equally often. Nesting past orjson's own limit (1024) is in
# RAW_BODIES; here it stays below what the test's own json.dumps can write.
hostile_value = st.one_of(
    st.integers(min_value=100, max_value=600).map(deep),
    st.integers(min_value=100, max_value=600).map(lambda n: deep(n, {"k": "v"})),
    st.integers(min_value=2**63, max_value=2**200) | st.integers(min_value=-(2**200), max_value=-(2**63)),
    st.sampled_from(["\x00", "a\x00b", "\x00" * 100]),
    big_text,
    json_value,
)
RAW_BODIES = (
    b"",
    b"\x00",
    b"\xff\xfe\xfd",
    b'{"traits": "\xff"}',
    b"[" * 5000,
    b"{" * 3000,
    b'{"a":' * 300 + b"1" + b"}" * 300,
    b"1" * 5000,
    b"1e999999",
    b"-",
    b'"\\ud800"',
    b'{"schema_id": "default", "traits": {"email": "a@b.c"}} trailing',
    b"null",
)


PATCH_PATHS = (
    "/traits/email",
    "/traits/name",
    "/traits/newsletter",
    "/metadata_public",
    "/metadata_admin",
    "/metadata_public/x",
    "/state",
    "/external_id",
    "/schema_id",
    "/verifiable_addresses/0/verified",
    "/credentials/password",
    "/",
)


def valid_body(draw: st.DrawFn, kind: str, known: dict[str, list[str]]) -> Any:
    """A body the operation accepts, so that corrupting one part of it reaches the code behind the decoder."""
    if kind == "identity":
        email = f"{draw(st.uuids())}@example.org"
        return {"schema_id": "default", "traits": {"email": email, "name": {"first": "Ada"}}}
    if kind == "recovery":
        return {"identity_id": draw(st.sampled_from(known["identity"])), "expires_in": "1h"}
    if kind == "manage":
        return {"action": "disable", "sessions": [draw(st.sampled_from(known["session"]))]}
    if kind == "flow":
        return {"provider_id": "google"}
    if kind == "patch":
        op = draw(st.sampled_from(["add", "replace"]))
        return [{"op": op, "path": draw(st.sampled_from(PATCH_PATHS)), "value": draw(json_value)}]
    return {"identities": [{"create": valid_body(draw, "identity", known)} for _ in range(draw(st.integers(1, 3)))]}


def corrupt(draw: st.DrawFn, body: Any, kind: str) -> Any:
    """Replace one or two parts of a valid body with trouble: wrong types, huge numbers, NUL, deep nesting."""
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        value = draw(hostile_value)
        if kind == "patch":
            body[0][draw(st.sampled_from(["op", "path", "value", "value", "from"]) | plain_text)] = value
        elif kind == "batch":
            items = body["identities"]
            index = draw(st.integers(0, len(items) - 1))
            kept = items[index] if isinstance(items[index], dict) else {}
            items[index] = draw(st.sampled_from([value, {"create": value}, {**kept, "patch_id": value}]))
        elif kind == "identity":
            where = draw(st.sampled_from(["metadata_public", "metadata_admin", "traits", "other"]))
            if where == "traits" and isinstance(body["traits"], dict):
                body["traits"][draw(st.sampled_from(["email", "name", "age", "newsletter"]) | plain_text)] = value
            elif where == "traits":  # an earlier round already replaced the traits with a non-object
                body["traits"] = value
            elif where == "other":
                body[draw(st.sampled_from(BODY_FIELDS["identity"]) | plain_text)] = value
            else:
                body[where] = value
        else:
            body[draw(st.sampled_from(BODY_FIELDS[kind]) | plain_text)] = value
    return body


def body_bytes(kind: str, known: dict[str, list[str]]) -> st.SearchStrategy[bytes]:
    """Raw junk, any JSON value, or a valid body with parts corrupted, serialised as JSON (big integers and all)."""

    @st.composite
    def corrupted(draw: st.DrawFn) -> bytes:
        body = corrupt(draw, valid_body(draw, kind, known), kind)
        return json.dumps(body, ensure_ascii=False).encode()

    raw = st.sampled_from(range(len(RAW_BODIES))).map(RAW_BODIES.__getitem__)  # indices keep failure reports short
    anything = json_value.map(lambda value: json.dumps(value, ensure_ascii=False).encode())
    return st.one_of(raw, st.binary(max_size=64), anything, corrupted(), corrupted(), corrupted(), corrupted())


# ---- the server ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[httpx.Client, dict[str, list[str]]]]:
    with (
        running(seed_identities=15, seed=5, api_key=KEY) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http,
    ):
        identities = http.get("/admin/identities").json()
        known = {
            "identity": [i["id"] for i in identities],
            "external": [i["external_id"] for i in identities if i.get("external_id")] or ["none"],
            "session": [s["id"] for s in http.get("/admin/sessions").json()] or ["none"],
            "schema": [s["id"] for s in http.get("/schemas").json()],
            "type": ["password", "oidc", "totp", "lookup_secret", "webauthn", "code", "passkey", "saml"],
        }
        yield http, known


def segment(draw: st.DrawFn, known: list[str]) -> str:
    """A path segment: a real id or name, hostile text (percent-encoded), or a raw hostile escape."""
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice == 0:
        return quote(draw(st.sampled_from(known)), safe="")
    if choice == 1:
        return draw(st.sampled_from(RAW_SEGMENTS))
    return quote(draw(hostile_text), safe="")


def check_answer(response: httpx.Response, what: str) -> None:
    """Not a 5xx; an error is Ory's envelope with a code and a message (wire notes §13)."""
    assert response.status_code < 500, f"{what} -> {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json"), what
        error = response.json()["error"]
        assert isinstance(error["code"], int) and error["message"], what


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_hostile_requests_get_ory_style_answers(op: Op, server: tuple[httpx.Client, dict[str, list[str]]]) -> None:
    http, known = server

    @settings(
        max_examples=BODY_EXAMPLES if op.body else OTHER_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path = op.path
        for slot, values in known.items():
            if "{" + slot + "}" in path:
                path = path.replace("{" + slot + "}", segment(data.draw, values))
        params = data.draw(st.lists(st.tuples(st.sampled_from((*op.query, "junk")), hostile_text), max_size=4))
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        query += data.draw(st.sampled_from(RAW_QUERY_TAILS)) if data.draw(st.booleans()) else ""
        url = path + ("?" + query.lstrip("&") if query else "")
        headers = {}
        content: bytes | None = None
        if op.body is not None or data.draw(st.integers(min_value=0, max_value=4)) == 0:
            content = data.draw(body_bytes(op.body or "identity", known))
            headers["content-type"] = data.draw(
                st.sampled_from(
                    ["application/json", "application/json; charset=utf-8", "text/plain", "multipart/form-data", ""]
                )
            )
        response = http.request(op.method, url, content=content, headers=headers)
        check_answer(response, f"{op.method} {url[:300]} body={content[:200] if content else None!r}")

    run()
