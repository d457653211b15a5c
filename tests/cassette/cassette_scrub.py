"""Scrubbing of recorded HTTP exchanges: what vcrpy's before_record_* hooks do before a cassette is written.

Every secret is replaced by the fixed marker ``<scrubbed>`` (``%3Cscrubbed%3E`` inside a URL query) so the
JSON bodies stay valid and keep their shape. What counts as a secret comes from ``ory_frames._redact``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from vcr.request import Request

from ory_frames._redact import (
    _TOKEN_PATTERN,
    SECRET_CREDENTIAL_FIELDS,
    SECRET_HEADERS,
    SECRET_QUERY_PARAMS,
    mask_text,
)

SCRUBBED = "<scrubbed>"
SCRUBBED_IN_URL = quote(SCRUBBED, safe="")

# Replay talks to this URL; recordings are rewritten to it, so cassettes do not depend on the sandbox's port.
REPLAY_BASE_URL = "http://127.0.0.1:4434"

# Keys inside `credentials.<type>.config` that hold secrets. `_redact` names the create-body spelling of
# lookup codes (`codes`); Kratos stores and returns them as `recovery_codes` (seeded that way too).
CONFIG_SECRET_KEYS: frozenset[str] = SECRET_CREDENTIAL_FIELDS | {"recovery_codes"}
# Keys that are secret wherever they appear: the recovery code (wire notes §9) and session tokens.
ANYWHERE_SECRET_KEYS: frozenset[str] = frozenset({"recovery_code", "session_token", "tokenized"})
# Response headers kept in a cassette; everything else (dates, cookies, rate-limit state) is dropped.
KEPT_RESPONSE_HEADERS: frozenset[str] = frozenset(
    {"content-type", "link", "x-total-count", "location", "x-request-id", "ory-error-id"}
)
KEPT_REQUEST_HEADERS: frozenset[str] = frozenset({"content-type", "accept"})

_JSON_TYPE = re.compile(r"(?i)\bjson\b")


def _blank(value: Any) -> Any:
    """The value with every non-empty string inside it replaced by the marker (structure kept)."""
    if isinstance(value, str):
        return SCRUBBED if value else value
    if isinstance(value, dict):
        return {key: _blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank(item) for item in value]
    return value


def scrub_url(url: str) -> str:
    """The URL (absolute or a path) with secret query values, such as a recovery link's ``token``, scrubbed."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key.lower() in SECRET_QUERY_PARAMS for key, _ in pairs):
        return url
    query = "&".join(
        f"{quote(key, safe='')}={SCRUBBED_IN_URL if key.lower() in SECRET_QUERY_PARAMS else quote(value, safe='')}"
        for key, value in pairs
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def scrub_text(text: str, secrets: Iterable[str] = (), *, bearer: bool = True) -> str:
    """Text with the given secret strings and Ory-looking tokens (``ory_st_…``) scrubbed.

    With ``bearer`` (headers, non-JSON bodies) ``Bearer``/``Basic`` credentials go too; JSON string values
    skip that rule, which would also eat ordinary words following "basic".
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, SCRUBBED)
    text = _TOKEN_PATTERN.sub(SCRUBBED, text)
    return mask_text(text) if bearer else text


def _scrub_string(text: str, secrets: Iterable[str]) -> str:
    """A JSON string value: URLs lose their secret query values, then text-level scrubbing applies."""
    if text.startswith(("http://", "https://", "/")) and "?" in text:
        text = scrub_url(text)
    return scrub_text(text, secrets, bearer=False)


def scrub_json(value: Any, secrets: Iterable[str] = (), *, inside_config: bool = False) -> Any:
    """A copy of a JSON value with credential secrets, recovery codes, tokens and CSRF values scrubbed."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if (inside_config and key in CONFIG_SECRET_KEYS) or key in ANYWHERE_SECRET_KEYS:
                out[key] = _blank(item)
            else:
                out[key] = scrub_json(item, secrets, inside_config=inside_config or key == "config")
        attributes = out.get("attributes")
        # A login flow's hidden csrf_token input (wire notes §10) carries a per-flow secret.
        if isinstance(attributes, dict) and attributes.get("name") == "csrf_token" and "value" in attributes:
            out["attributes"] = {**attributes, "value": _blank(attributes["value"])}
        return out
    if isinstance(value, list):
        return [scrub_json(item, secrets, inside_config=inside_config) for item in value]
    if isinstance(value, str):
        return _scrub_string(value, secrets)
    return value


def scrub_body(body: bytes | str | None, content_type: str | None, secrets: Iterable[str] = ()) -> bytes | None:
    """A request or response body with its secrets scrubbed; JSON stays valid JSON."""
    if body is None:
        return None
    raw = body.encode() if isinstance(body, str) else body
    if not raw:
        return raw
    secrets = tuple(secrets)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    if content_type is None or _JSON_TYPE.search(content_type) or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            return json.dumps(scrub_json(data, secrets), ensure_ascii=False, separators=(",", ":")).encode()
    return scrub_text(text, secrets).encode()


def rebase_url(url: str, base_url: str = REPLAY_BASE_URL) -> str:
    """The URL moved onto ``base_url``'s scheme and host (path and query kept)."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if not parts.netloc:
        return url
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def _header(headers: dict[str, Any], name: str) -> str | None:
    """A header value from vcrpy's dict (values may be lists), looked up case-insensitively."""
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def request_hook(secrets: Iterable[str], base_url: str = REPLAY_BASE_URL) -> Callable[[Request], Request]:
    """A ``before_record_request`` hook: no credentials in headers, URI on ``base_url``, bodies scrubbed."""
    secrets = tuple(s for s in secrets if s)

    def hook(request: Request) -> Request:
        content_type = _header(dict(request.headers), "content-type")
        request.headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_REQUEST_HEADERS}
        request.uri = scrub_text(scrub_url(rebase_url(request.uri, base_url)), secrets)
        request.body = scrub_body(request.body, content_type, secrets)
        return request

    return hook


def response_hook(
    secrets: Iterable[str], base_url: str = REPLAY_BASE_URL
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A ``before_record_response`` hook: only harmless headers kept, body and header values scrubbed."""
    secrets = tuple(s for s in secrets if s)

    def hook(response: dict[str, Any]) -> dict[str, Any]:
        headers: dict[str, list[str]] = {}
        for name, values in response.get("headers", {}).items():
            lower = name.lower()
            if lower not in KEPT_RESPONSE_HEADERS or lower in SECRET_HEADERS:
                continue
            listed = values if isinstance(values, list) else [values]
            if lower == "location":
                listed = [rebase_url(str(v), base_url) for v in listed]
            headers[lower] = [scrub_text(scrub_url(str(v)), secrets) for v in listed]
        body = response.get("body", {}).get("string")
        content_type = headers.get("content-type", [None])[0]
        scrubbed = scrub_body(body, content_type, secrets)
        return {**response, "headers": headers, "body": {"string": scrubbed if scrubbed is not None else b""}}

    return hook
