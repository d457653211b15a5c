"""Drift mode: the sandbox's JSON answers gain fields and enum values a client has never seen, as Ory adds them.

Ory ships continuously (a `region` on identities, new credential types, new address channels, `aal3`, new
error ids), and a client must read such answers without breaking. :class:`DriftMiddleware` wraps the app and
rewrites each JSON answer on its way out, deterministically for a seed and an object id:

- identities: a ``region`` (as Ory Network sends) and an unknown top-level field (:data:`IDENTITY_KEY`);
  an unknown ``state`` (:data:`DRIFT_STATE`) for half of the inactive ones; for
  about a third, a credential of an unknown type (identifiers and a config) and an address of an unknown
  ``via`` in both address lists; an unknown key inside every address;
- sessions: ``aal3`` on about a quarter (with an authentication method of an unknown kind), an unknown key
  (an object) on every session and inside every device; the embedded identity drifts as above;
- errors: the envelope's ``id`` (wire notes §13) becomes an id no client knows, where it has none.

The store is never touched: stored documents stay as they were, and without drift every answer is byte for byte
what it was. Writes echo drift back in a form the sandbox itself emitted, so the request side is mapped back to
what is stored: :data:`DRIFT_STATE` in a body or a JSON Patch value is ``inactive`` (the state it stands for), and
the unknown credential type, the unknown address channel and the unknown address key are dropped from bodies
(a newer Ory would keep them; an older sandbox store has no place for them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

__all__ = [
    "ADDRESS_KEY",
    "CREDENTIAL_TYPE",
    "DEVICE_KEY",
    "DRIFT_STATE",
    "ERROR_IDS",
    "IDENTITY_KEY",
    "METHOD",
    "REGIONS",
    "SESSION_KEY",
    "VIA",
    "DriftMiddleware",
    "drift_answer",
    "undrift_request",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Values and keys no Ory version has sent so far (as of this sandbox); a client must keep them as they come.
DRIFT_STATE = "suspended"  # stands for a stored `inactive`
CREDENTIAL_TYPE = "device_binding"
VIA = "whatsapp"
METHOD = "device_binding"
IDENTITY_KEY = "lifecycle"
ADDRESS_KEY = "trust_level"
DEVICE_KEY = "platform"
SESSION_KEY = "risk"
REGIONS = ("eu-central", "us-east", "asia-northeast")
ERROR_IDS = ("identity_region_locked", "session_risk_too_high", "quota_exceeded")
_PLATFORMS = ("ios", "android", "web", "desktop")
_TRUST = ("high", "medium", "low")
_STAGES = ("onboarding", "engaged", "dormant")

_IDENTITY_PATH = re.compile(r"^/admin/identities(/by/external/.+|/[^/]+)?$")
_SESSION_ONE = re.compile(r"^/admin/sessions/[^/]+(/extend)?$")
_SESSION_LISTS = re.compile(r"^/admin/(sessions|identities/[^/]+/sessions)$")
_IDENTITY_WRITE = re.compile(r"^/admin/identities(/[^/]+)?$")


def _unit(seed: int, kind: str, key: Any) -> float:
    """A number in [0, 1) fixed by the seed, the kind of drift and the object's id."""
    digest = hashlib.blake2b(f"{seed}\x00{kind}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _pick(seed: int, kind: str, key: Any, options: tuple[str, ...]) -> str:
    return options[int(_unit(seed, kind, key) * len(options))]


def _drift_addresses(seed: int, ident: dict[str, Any], add_unknown_via: bool) -> None:
    """An unknown key inside every address; with ``add_unknown_via``, one address of :data:`VIA` per list."""
    iid = ident.get("id")
    for key in ("verifiable_addresses", "recovery_addresses"):
        items = ident.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict):
                item[ADDRESS_KEY] = _pick(seed, "trust", item.get("id"), _TRUST)
        if add_unknown_via and items:
            number = int(_unit(seed, "phone", iid) * 10**9)
            first = items[0] if isinstance(items[0], dict) else {}
            extra: dict[str, Any] = {"id": _derived_uuid(seed, key, iid), "value": f"+4915{number:09d}", "via": VIA}
            if key == "verifiable_addresses":
                extra.update(verified=False, status="pending")
            extra.update({k: first[k] for k in ("created_at", "updated_at") if k in first})
            extra[ADDRESS_KEY] = "low"
            items.append(extra)


def _derived_uuid(seed: int, kind: str, key: Any) -> str:
    raw = hashlib.blake2b(f"{seed}\x00{kind}\x00{key}".encode(), digest_size=16).hexdigest()
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-8{raw[17:20]}-{raw[20:32]}"


def drift_identity(seed: int, ident: dict[str, Any]) -> dict[str, Any]:
    """The identity JSON with this seed's drift (in place; also returned)."""
    iid = ident.get("id")
    ident.setdefault("region", _pick(seed, "region", iid, REGIONS))
    ident[IDENTITY_KEY] = {"stage": _pick(seed, "stage", iid, _STAGES), "score": round(_unit(seed, "lc", iid), 3)}
    if ident.get("state") == "inactive" and _unit(seed, "state", iid) < 0.5:
        ident["state"] = DRIFT_STATE
    chosen = _unit(seed, "extras", iid) < 0.35
    creds = ident.get("credentials")
    if chosen and isinstance(creds, dict) and CREDENTIAL_TYPE not in creds:
        stamp = ident.get("created_at")
        creds[CREDENTIAL_TYPE] = {
            "type": CREDENTIAL_TYPE,
            "identifiers": [f"device:{_derived_uuid(seed, 'device', iid)}"],
            "config": {"attestation": "packed", "devices": 1},
            "version": 0,
            **({"created_at": stamp, "updated_at": stamp} if stamp else {}),
        }
    _drift_addresses(seed, ident, chosen)
    return ident


def drift_session(seed: int, session: dict[str, Any]) -> dict[str, Any]:
    """The session JSON with this seed's drift (in place; also returned); its identity drifts too."""
    sid = session.get("id")
    if _unit(seed, "aal", sid) < 0.25:
        session["authenticator_assurance_level"] = "aal3"
        methods = session.get("authentication_methods")
        if isinstance(methods, list):
            completed = session.get("authenticated_at")
            methods.append({"method": METHOD, "aal": "aal3", **({"completed_at": completed} if completed else {})})
    session[SESSION_KEY] = {"level": _pick(seed, "risk", sid, _TRUST), "score": round(_unit(seed, "score", sid), 3)}
    for device in session.get("devices") or ():
        if isinstance(device, dict):
            device[DEVICE_KEY] = _pick(seed, "platform", device.get("id"), _PLATFORMS)
    ident = session.get("identity")
    if isinstance(ident, dict):
        drift_identity(seed, ident)
    return session


def drift_answer(seed: int, method: str, path: str, status: int, body: Any) -> Any:
    """The JSON body of one answer with drift added, or ``body`` itself when nothing drifts there."""
    if status >= 400:
        inner = body.get("error") if isinstance(body, dict) else None
        if isinstance(inner, dict) and not inner.get("id"):
            # keep herodot's field order (wire notes §13): the id comes first
            body["error"] = {"id": _pick(seed, "error", f"{status}{path}", ERROR_IDS), **inner}
        return body
    if _IDENTITY_PATH.match(path) and not (method == "PATCH" and path == "/admin/identities"):
        items = body if isinstance(body, list) else [body]
        for item in items:
            if isinstance(item, dict):
                drift_identity(seed, item)
    elif _SESSION_ONE.match(path) or _SESSION_LISTS.match(path):
        items = body if isinstance(body, list) else [body]
        for item in items:
            if isinstance(item, dict) and "id" in item:
                drift_session(seed, item)
    return body


def _undrift_identity_body(body: Any) -> None:
    """A create or update body: the drift state stands for inactive; drift-only credentials and addresses go."""
    if not isinstance(body, dict):
        return
    if body.get("state") == DRIFT_STATE:
        body["state"] = "inactive"
    body.pop(IDENTITY_KEY, None)  # a create body is decoded strictly (wire notes §5): an echo would be refused
    creds = body.get("credentials")
    if isinstance(creds, dict):
        creds.pop(CREDENTIAL_TYPE, None)
    for key in ("verifiable_addresses", "recovery_addresses"):
        items = body.get(key)
        if isinstance(items, list):
            body[key] = [_plain_address(a) for a in items if not (isinstance(a, dict) and a.get("via") == VIA)]


def _plain_address(address: Any) -> Any:
    if isinstance(address, dict) and ADDRESS_KEY in address:
        return {k: v for k, v in address.items() if k != ADDRESS_KEY}
    return address


def undrift_request(method: str, path: str, body: Any) -> Any:
    """A write's JSON body mapped back to what the store holds (see the module docstring)."""
    if not _IDENTITY_WRITE.match(path):
        return body
    if method == "PATCH" and path != "/admin/identities" and isinstance(body, list):
        for op in body:
            if isinstance(op, dict) and op.get("path") == "/state" and op.get("value") == DRIFT_STATE:
                op["value"] = "inactive"
    elif method == "PATCH" and isinstance(body, dict) and isinstance(body.get("identities"), list):
        for item in body["identities"]:
            if isinstance(item, dict):
                _undrift_identity_body(item.get("create"))
    elif method in ("POST", "PUT"):
        _undrift_identity_body(body)
    return body


class DriftMiddleware:
    """Pure ASGI wrapper: drift on every JSON answer, and writes mapped back before the routes see them."""

    def __init__(self, app: ASGIApp, *, seed: int = 0) -> None:
        self.app = app
        self.seed = seed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method in ("POST", "PUT", "PATCH") and _IDENTITY_WRITE.match(path):
            receive = await self._mapped_request(method, path, receive)
        start: Message = {}

        async def drifting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or not start:
                await send(message)
                return
            if message.get("more_body"):  # the routes answer in one piece; a stream passes through as it is
                await send(start)
                start = {}
                await send(message)
                return
            body = self._drifted(method, path, start, message.get("body", b""))
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            start = {}
            await send({**message, "body": body})

        await self.app(scope, receive, drifting_send)

    def _drifted(self, method: str, path: str, start: Message, body: bytes) -> bytes:
        ctype = dict(start.get("headers", [])).get(b"content-type", b"")
        if not body or not ctype.startswith(b"application/json"):
            return body
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        return orjson.dumps(drift_answer(self.seed, method, path, int(start["status"]), parsed))

    async def _mapped_request(self, method: str, path: str, receive: Receive) -> Receive:
        """Read the whole body, map it back (when it is JSON) and replay it to the app."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = mapped = b"".join(chunks)
        try:
            before = orjson.loads(raw)
            after = undrift_request(method, path, orjson.loads(raw))
        except orjson.JSONDecodeError:
            pass  # the route answers malformed JSON with its own 400
        else:
            if after != before:  # re-encoded only when something was mapped back
                mapped = orjson.dumps(after)
        return _replay([{"type": "http.request", "body": mapped, "more_body": False}], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
