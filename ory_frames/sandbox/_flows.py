"""Recovery codes and links, and test login flows (wire notes §9, §10), plus the sandbox's flow-completion hook."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import _wire as w
from ._context import FLOW_LIFESPAN_SECONDS, RECOVERY_LIFESPAN_SECONDS, Context, ctx
from ._credential_import import strict_decode_error
from ._go import go_duration_string, go_kind, go_quote, parse_go_duration


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


_JSON_ONLY = "[application/json]"


def _recovery_body(request: Request, raw: bytes, go_type: str, fields: dict[str, str]) -> dict[str, Any]:
    """Decode a recovery body as oryx/decoderx/http.go does with `HTTPJSONDecoder` (wire notes §9).

    A non-empty JSON body is required; Go's lenient decoder then fills a struct: keys match in any case,
    unknown keys are ignored, `null` leaves a field unset. `fields` maps each field to its Go type: a value of
    another JSON kind is remembered as the first error and decoding goes on, while a string that is not a UUID
    stops it at once (gofrs/uuid's own error). Every failure is a 400 "Unable to decode JSON payload: …".
    """
    if not raw:
        raise w.bad_request('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.')
    given = request.headers.get("content-type", "")
    if given.split(";")[0].strip().lower() != "application/json":
        raise w.bad_request(
            f'HTTP {request.method} Request used unknown HTTP Header "Content-Type: {given}", only {_JSON_ONLY} are '
            "supported."
        )
    try:
        body = w.go_decode_body(raw)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise strict_decode_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type {go_type}")
        first: str | None = None
        out: dict[str, Any] = {}
        struct = go_type.split(".")[-1]
        for key, value in body.items():  # in the body's order, as Go's decoder reads it
            name = key if key in fields else key.lower()
            field_type = fields.get(name)
            if field_type is None or value is None:
                continue
            if isinstance(value, str):
                if field_type == "uuid.UUID":
                    try:
                        value = w.parse_uuid(value)
                    except ValueError as exc:
                        raise strict_decode_error(str(exc)) from None
                out[name] = value
            elif first is None:
                kind = go_kind(value)
                first = f"json: cannot unmarshal {kind} into Go struct field {struct}.{name} of type {field_type}"
        if first is not None:
            raise strict_decode_error(first)
    except w.GoDecodeError as exc:
        raise w.bad_request(f"Unable to decode JSON payload: {exc.text}") from None
    return out


def _expires_in(body: dict[str, Any], default_seconds: int) -> tuple[int, str]:
    """Nanoseconds from `expires_in` (Go's time.ParseDuration), and the text as sent (wire notes §9)."""
    raw = str(body.get("expires_in", ""))
    if not raw:
        return default_seconds * 1_000_000_000, raw
    nanos = parse_go_duration(raw)
    if nanos is None:
        raise w.bad_request(f'Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): {raw}')
    return nanos, raw


_CODE_FIELDS = {"identity_id": "uuid.UUID", "expires_in": "string", "flow_type": "flow.Type"}
_LINK_FIELDS = {"identity_id": "uuid.UUID", "expires_in": "string"}


async def create_recovery_code(request: Request) -> Response:
    """POST /admin/recovery/code: 201 with a 6-digit code (wire notes §9).

    Order of selfservice/strategy/code/strategy_recovery_admin.go: decode, expiry, flow type, then the identity.
    """
    c = ctx(request)
    body = _recovery_body(request, await request.body(), "code.createRecoveryCodeForIdentityBody", _CODE_FIELDS)
    nanos, _ = _expires_in(body, RECOVERY_LIFESPAN_SECONDS)
    if nanos <= 0:
        raise w.bad_request(f'Value from "expires_in" must result to a future time: {go_duration_string(nanos)}')
    flow_type = body.get("flow_type", "browser")
    if flow_type not in ("browser", "api"):
        raise w.bad_request(f'Value from "flow_type" is not valid: {go_quote(flow_type)}')
    ident = body.get("identity_id", w.NIL_UUID)
    if c.store.identity_view(ident, "list") is None:
        raise w.WireError(404, reason="could not find identity", message=w.NOT_FOUND_DB)
    flow = uuid.uuid4()
    answer = {
        "recovery_link": f"{c.public_url}/ui/recovery?flow={flow}",
        "recovery_code": f"{secrets.randbelow(10**6):06d}",
        "expires_at": _iso(c.now() + timedelta(microseconds=nanos // 1000)),
    }
    c.store.recoveries.append({"method": "code", "identity_id": ident, "flow_type": flow_type, **answer})
    return w.json_response(answer, 201)


async def create_recovery_link(request: Request) -> Response:
    """POST /admin/recovery/link: 200; an unknown identity is a 400 here (wire notes §9).

    selfservice/strategy/link/strategy_recovery.go: decode, expiry (its error repeats the text as sent), identity.
    """
    c = ctx(request)
    body = _recovery_body(request, await request.body(), "link.createRecoveryLinkForIdentityBody", _LINK_FIELDS)
    nanos, raw = _expires_in(body, RECOVERY_LIFESPAN_SECONDS)
    if nanos <= 0:
        raise w.bad_request(f'Value from "expires_in" must be result to a future time: {raw}')
    ident = body.get("identity_id", w.NIL_UUID)
    if c.store.identity_view(ident, "list") is None:
        raise w.bad_request("The requested identity id does not exist.")
    token = secrets.token_urlsafe(24)
    answer = {
        "recovery_link": f"{c.public_url}/self-service/recovery?flow={uuid.uuid4()}&token={token}",
        "expires_at": _iso(c.now() + timedelta(microseconds=nanos // 1000)),
    }
    c.store.recoveries.append({"method": "link", "identity_id": ident, **answer})
    return w.json_response(answer)


def _login_flow(c: Context, provider: str, request: Request) -> dict[str, Any]:
    now = c.now()
    flow_id = str(uuid.uuid4())
    action = f"{c.public_url}/self-service/login?flow={flow_id}"
    nodes = [
        {
            "type": "input",
            "group": "default",
            "attributes": {
                "name": "csrf_token",
                "type": "hidden",
                "value": secrets.token_urlsafe(32),
                "required": True,
                "disabled": False,
                "node_type": "input",
            },
            "messages": [],
            "meta": {},
        },
        {
            "type": "input",
            "group": "oidc",
            "attributes": {
                "name": "provider",
                "type": "submit",
                "value": provider,
                "disabled": False,
                "node_type": "input",
            },
            "messages": [],
            "meta": {
                "label": {
                    "id": 1010002,
                    "text": f"Sign in with {provider}",
                    "type": "info",
                    "context": {"provider": provider, "provider_id": provider},
                }
            },
        },
    ]
    return {
        "id": flow_id,
        "organization_id": None,
        "type": "browser",
        "expires_at": _iso(now + timedelta(seconds=FLOW_LIFESPAN_SECONDS)),
        "issued_at": _iso(now),
        "request_url": f"{c.public_url}/self-service/login/browser?refresh=true",
        "ui": {"action": action, "method": "POST", "nodes": nodes},
        "created_at": _iso(now),
        "updated_at": _iso(now),
        "refresh": True,
        "requested_aal": "aal1",
        "state": "choose_method",
        "test_context": {"provider_id": provider},
    }


async def create_test_login_flow(request: Request) -> Response:
    """POST /admin/test-login-flows: 201 loginFlow for a configured OIDC provider (wire notes §10)."""
    c = ctx(request)
    try:
        body = w.loads_body(await request.body())
    except orjson.JSONDecodeError:
        raise w.bad_request("could not parse request body") from None
    if not isinstance(body, dict):
        raise w.bad_request("could not parse request body")
    provider = body.get("provider_id")
    if not provider or not isinstance(provider, str):
        raise w.bad_request("provider_id is required")
    if len(provider) > 255:
        raise w.bad_request("provider_id must be at most 255 characters")
    if provider not in c.oidc_providers:
        raise w.WireError(404, reason=f'OpenID Connect provider "{provider}" is not configured')
    flow = _login_flow(c, provider, request)
    c.store.test_login_flows[flow["id"]] = flow
    return w.json_response(flow, 201)


async def sandbox_get_test_login_flow(request: Request) -> Response:
    """GET /__sandbox/test-login-flows/{id}: re-read a stored test login flow (sandbox only)."""
    flow = ctx(request).store.test_login_flows.get(request.path_params["id"])
    if flow is None:
        raise w.not_found()
    return w.json_response(flow)


async def sandbox_list_recoveries(request: Request) -> Response:
    """GET /__sandbox/recoveries[?identity_id=]: the recovery codes and links issued so far (sandbox only)."""
    wanted = request.query_params.get("identity_id")
    found = [r for r in ctx(request).store.recoveries if wanted is None or r["identity_id"] == wanted]
    return w.json_response(found)


def _mapped_traits(claims: dict[str, Any]) -> dict[str, Any]:
    """What a typical Jsonnet mapper makes of OIDC claims: email and name into the default schema's traits."""
    traits: dict[str, Any] = {}
    if "email" in claims:
        traits["email"] = claims["email"]
    name: dict[str, Any] = {}
    if claims.get("given_name"):
        name["first"] = claims["given_name"]
    if claims.get("family_name"):
        name["last"] = claims["family_name"]
    if not name and isinstance(claims.get("name"), str):
        first, _, last = claims["name"].partition(" ")
        name = {k: v for k, v in (("first", first), ("last", last)) if v}
    if name:
        traits["name"] = name
    return traits


async def sandbox_complete_test_login_flow(request: Request) -> Response:
    """POST /__sandbox/test-login-flows/{id}/complete: fill `test_context.debug_payload` from claims."""
    c = ctx(request)
    flow = c.store.test_login_flows.get(request.path_params["id"])
    if flow is None:
        raise w.not_found()
    try:
        claims = w.loads_body(await request.body())
    except orjson.JSONDecodeError:
        raise w.bad_request("could not parse request body") from None
    if not isinstance(claims, dict):
        raise w.bad_request("could not parse request body")
    traits = _mapped_traits(claims)
    schema = c.schemas.require("default")
    problems = schema.problems(traits)
    payload: dict[str, Any] = {
        "id_token_claims": claims,
        "userinfo": claims,
        "jsonnet_mapper_url": "base64://sandbox-default-mapper",
        "jsonnet_input": {"claims": claims},
        "jsonnet_output": {"identity": {"traits": traits}},
        "jsonnet_stderr": "",
        "schema_validation_errors": [{"path": p.instance, "message": p.message} for p in problems],
    }
    if problems:
        payload["error"] = {"step": "schema_validation", "reason": str(problems[0]), "message": "validation failed"}
    flow["test_context"] = {"provider_id": flow["test_context"]["provider_id"], "debug_payload": payload}
    flow["updated_at"] = _iso(c.now())
    return w.json_response(flow)
