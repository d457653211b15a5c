"""Machinery of the differential test: run one scripted request sequence on two servers and compare.

A ``Step`` is one request. Ids a server makes (identities, sessions) are captured under the step's name,
so that a later step refers to "the identity created in step X" with ``<<X>>`` in its path, query or
body and each server gets its own id. Answers are normalised before they are compared: captured ids
become their step names, other UUIDs, timestamps, tokens, codes and the server's own base URLs become
placeholders, and page tokens are decoded where they carry ids. ``compare`` then lists every
difference as ``(key, sandbox value, kratos value)``, the key being ``step:what`` (``status``,
``link``, ``x-total-count`` or a JSON path into the body).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

UNSET: Any = object()
NOBODY = "00000000-0000-4000-8000-000000000001"  # a well-formed id no server has given out
_REF = re.compile(r"<<([\w.-]+)>>")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_SESSION_TIME = re.compile(r"created_at=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")
_ZERO_TIME = "0001-01-01T00:00:00Z"
_LOOPBACK_PORT = re.compile(r"^127\.0\.0\.1:\d+$")
# Values that differ by nature: secrets and codes each server draws itself.
_SECRET_KEYS = {"recovery_code", "session_token", "csrf_token"}
# Passwords given in plain text are hashed by each server's own hasher (bcrypt at cost 4 in the test
# configuration of Kratos, cheap PBKDF2 in the sandbox: docs/reference/sandbox-differences.md).
_OWN_HASH = re.compile(r"^(\$2a\$04\$|\$pbkdf2-sha256\$i=1000,)")


@dataclass(frozen=True)
class Step:
    """One request of the sequence (``method`` ``LOGIN`` logs ``identity`` in and compares nothing)."""

    name: str
    method: str
    path: str = ""
    params: list[tuple[str, str]] | None = None
    json: Any = UNSET
    content: bytes | None = None
    headers: dict[str, str] | None = None
    public: bool = False  # Kratos serves /schemas on its public port (its admin port redirects there)
    capture: str | None = None  # "id": body.id; "batch": identities[i].identity as "<name>.<i>"
    walk: bool = False  # follow rel="next" links and compare page by page
    unordered: bool = False  # a list whose order is the servers' random ids: compared as a sorted list
    identity: str = ""  # LOGIN: the symbol of the identity
    identifier: str = ""  # LOGIN: its password identifier
    password: str = ""  # LOGIN: its password


@dataclass
class Answer:
    """One normalised answer (or one page of a walk)."""

    status: int
    link: str | None
    total: str | None
    body: Any


@dataclass
class Target:
    """One server: where its admin and public routes are, and how a user logs in there."""

    name: str
    admin_url: str
    public_url: str
    login: Callable[[str, str, str], str]  # (identity id, identifier, password) -> session id
    aliases: dict[str, str] = field(default_factory=dict)  # text -> placeholder, replaced first
    ids: dict[str, str] = field(default_factory=dict)  # symbol -> real id

    def symbols(self) -> dict[str, str]:
        return {real: sym for sym, real in self.ids.items()}


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        # A symbol one server never gave out (its request failed) stands for an id nobody has.
        return _REF.sub(lambda m: ids.get(m.group(1), NOBODY), value)
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    return value


class Normaliser:
    """Turns one server's answer into what both servers should agree on."""

    def __init__(self, target: Target) -> None:
        self.symbols = target.symbols()
        self.aliases = target.aliases
        self.bases = sorted({target.public_url.rstrip("/"), target.admin_url.rstrip("/")}, key=len, reverse=True)

    def text(self, value: str) -> str:
        if value == _ZERO_TIME:
            return "<zero-time>"
        for alias, placeholder in self.aliases.items():
            value = value.replace(alias, placeholder)
        for base in self.bases:
            value = value.replace(base, "<base>")
        value = _UUID.sub(lambda m: "<" + self.symbols.get(m.group(0).lower(), "uuid") + ">", value)
        value = _SESSION_TIME.sub("created_at=<time>", value)
        value = re.sub(r"([?&]token=)[^&]+", r"\1<token>", value)
        return _TIME.sub("<time>", value)

    def body(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.body(v, key) for v in value]
        if isinstance(value, str):
            if key in _SECRET_KEYS:
                return "<secret>"
            if key == "hashed_password" and _OWN_HASH.match(value):
                return "<own-hash>"
            if key == "ip_address" and _LOOPBACK_PORT.match(value):
                return "127.0.0.1:<port>"
            return self.text(value)
        return value

    def link(self, header: str | None) -> str | None:
        if header is None:
            return None
        parts = []
        for part in header.split(","):
            url, _, rel = part.partition(";")
            url = url.strip().strip("<>")
            path, _, query = url.partition("?")
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
            pairs = [(k, self._token(v) if k == "page_token" else v) for k, v in pairs]
            parts.append(f"<{path}?{urllib.parse.urlencode(pairs)}>;{rel}")
        return self.text(",".join(parts))

    def _token(self, token: str) -> str:
        """A session page token decoded (it holds an id and a time); others are compared as they are."""
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
        except ValueError:
            return token
        if raw.startswith(("id=", "created_at=")):
            return "session-token(" + self.text("/".join(sorted(raw.split("/")))) + ")"
        return token


def _request(http: httpx.Client, target: Target, step: Step, url: str | None = None) -> httpx.Response:
    ids = target.ids
    base = target.public_url if step.public else target.admin_url
    kwargs: dict[str, Any] = {"headers": step.headers or {}}
    if url is None:
        url = base.rstrip("/") + _substitute(step.path, ids)
        if step.params is not None:
            kwargs["params"] = [(k, _substitute(v, ids)) for k, v in step.params]
    else:
        url = base.rstrip("/") + url
    if step.json is not UNSET:
        kwargs["json"] = _substitute(step.json, ids)
    elif step.content is not None:
        kwargs["content"] = step.content
    return http.request(step.method, url, **kwargs)


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"<text>": response.text.strip()}


def _capture(target: Target, step: Step, body: Any) -> None:
    if step.capture == "id" and isinstance(body, dict) and "id" in body:
        target.ids[step.name] = body["id"]
    elif step.capture == "batch" and isinstance(body, dict):
        for i, item in enumerate(body.get("identities") or []):
            if isinstance(item, dict) and item.get("identity"):
                target.ids[f"{step.name}.{i}"] = item["identity"]


def run(http: httpx.Client, target: Target, step: Step) -> list[Answer]:
    """Send one step to one server: its normalised answer, or every page of a walk."""
    if step.method == "LOGIN":
        identity_id = target.ids[step.identity]
        target.ids[step.name] = target.login(identity_id, step.identifier, step.password)
        return []
    answers: list[Answer] = []
    response = _request(http, target, step)
    while True:
        body = _json(response)
        _capture(target, step, body)
        norm = Normaliser(target)
        if step.walk and isinstance(body, list) and body:
            _check_keyset_token(response, body)
        link = response.headers.get("link")
        if step.walk:
            link = _strip_keyset_token(link)
        answers.append(
            Answer(response.status_code, norm.link(link), response.headers.get("x-total-count"), norm.body(body))
        )
        following = _next_url(response.headers.get("link")) if step.walk else None
        if following is None or len(answers) > 50:
            return answers
        response = _request(http, target, step, following)


def _next_url(header: str | None) -> str | None:
    for part in (header or "").split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None


def _check_keyset_token(response: httpx.Response, body: list[Any]) -> None:
    """On an identity keyset page, the next token must be the last identity's id (wire notes §1)."""
    following = _next_url(response.headers.get("link"))
    if following is None or "/admin/identities" not in following:
        return
    token = dict(urllib.parse.parse_qsl(following.partition("?")[2])).get("page_token")
    if token is None:  # legacy paging (page, per_page)
        return
    assert token == body[-1]["id"], f"next page token {token} is not the page's last id {body[-1]['id']}"


def _strip_keyset_token(header: str | None) -> str | None:
    """Identity keyset tokens are the last id of a page, whose order is each server's random ids."""
    if header is None or "/admin/identities?" not in header:
        return header
    return re.sub(r"page_token=[0-9a-f-]{36}", "page_token=<last-id>", header)


def _paths(a: Any, b: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            yield from _paths(a.get(key, "<absent>"), b.get(key, "<absent>"), f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _paths(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def _canonical(body: Any) -> Any:
    if isinstance(body, list):
        return sorted(body, key=lambda item: json.dumps(item, sort_keys=True))
    return body


def compare(step: Step, sandbox: list[Answer], kratos: list[Answer]) -> list[tuple[str, Any, Any]]:
    """Every difference between the two servers' answers to one step, keyed ``step:what``."""
    if len(sandbox) != len(kratos):
        return [(f"{step.name}:pages", len(sandbox), len(kratos))]
    found: list[tuple[str, Any, Any]] = []
    pooled_a: list[Any] = []
    pooled_b: list[Any] = []
    for page, (a, b) in enumerate(zip(sandbox, kratos, strict=True)):
        where = f"{step.name}{f'#{page}' if page else ''}"
        if a.status != b.status:
            found.append((f"{where}:status", a.status, b.status))
            continue
        if a.link != b.link:
            found.append((f"{where}:link", a.link, b.link))
        if a.total != b.total:
            found.append((f"{where}:x-total-count", a.total, b.total))
        if step.walk and isinstance(a.body, list) and isinstance(b.body, list):
            if len(a.body) != len(b.body):
                found.append((f"{where}:length", len(a.body), len(b.body)))
            pooled_a += a.body
            pooled_b += b.body
            continue
        body_a, body_b = (_canonical(a.body), _canonical(b.body)) if step.unordered else (a.body, b.body)
        found.extend((f"{where}:{p}", x, y) for p, x, y in _paths(body_a, body_b, "$"))
    if pooled_a or pooled_b:
        found.extend((f"{step.name}:{p}", x, y) for p, x, y in _paths(_canonical(pooled_a), _canonical(pooled_b), "$*"))
    return found
