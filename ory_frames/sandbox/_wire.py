"""Ory's wire conventions: error envelope, Link headers, limits and Go-flavoured parse errors.

Nothing else in the sandbox knows these details; route modules call the helpers here.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

import orjson
from starlette.responses import Response

# Limits (wire notes §1, §2, §4, §8).
IDENTITIES_DEFAULT_PAGE_SIZE = 250
IDENTITIES_MAX_PAGE_SIZE = 500
LEGACY_MAX_ITEMS = 1000
SESSIONS_DEFAULT_PAGE_SIZE = 250
SESSIONS_MAX_PAGE_SIZE = 1000
OFFSET_DEFAULT_PAGE_SIZE = 250
OFFSET_MAX_PAGE_SIZE = 1000
MAX_IDS_FILTER = 500
BATCH_MAX_ITEMS = 1000
BATCH_MAX_PLAINTEXT = 200
MANAGE_MAX_IDS = 500
MANAGE_WILDCARD_CHUNK = 5000

NIL_UUID = "00000000-0000-0000-0000-000000000000"
SESSIONS_FIRST_CREATED_AT = "2200-12-31 23:59:59"

SUCCESS_CONTENT_TYPE = "application/json; charset=utf-8"
ERROR_CONTENT_TYPE = "application/json"

# Default messages per status (wire notes §13, herodot error_defaults.go).
STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
DEFAULT_MESSAGE = {
    400: "The request was malformed or contained invalid parameters",
    401: "The request could not be authorized",
    403: "The requested action was forbidden",
    404: "The requested resource could not be found",
    405: "The requested method is not allowed",
    409: "The resource could not be created due to a conflict",
    500: "An internal server error occurred, please contact the system administrator",
}
NOT_FOUND_DB = "Unable to locate the resource"
UNIQUE_VIOLATION_DB = "Unable to insert or update resource because a resource with that value exists already"
PAGE_TOKEN_INVALID = "The page token is invalid, do not craft your own page tokens"


class WireError(Exception):
    """An error the sandbox answers with Ory's envelope."""

    def __init__(
        self,
        status: int,
        *,
        reason: str | None = None,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        code: int | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message if message is not None else DEFAULT_MESSAGE.get(status, STATUS_TEXT.get(status, ""))
        self.details = dict(details) if details else None
        self.code = code if code is not None else status
        super().__init__(f"{status} {self.message} {reason or ''}".strip())

    def body(self, request_id: str | None = None, *, error_id: str | None = None) -> dict[str, Any]:
        """The bare herodot error object in Go emit order (id, code, status, request, reason, details, message)."""
        out: dict[str, Any] = {}
        if error_id:
            out["id"] = error_id
        out["code"] = self.code
        status_text = STATUS_TEXT.get(self.code)
        if status_text:
            out["status"] = status_text
        if request_id:
            out["request"] = request_id
        if self.reason:
            out["reason"] = self.reason
        if self.details:
            out["details"] = self.details
        out["message"] = self.message
        return out


class GoDecodeError(WireError):
    """Go's `encoding/json` refused a body; `text` is its error text.

    As raised it is written the way the batch create writes it: HTTP 400 with herodot's default code 500 in the
    envelope (wire notes §4). Create and PUT wrap the decoder's error in a herodot 400 of their own, so their
    routes catch it and raise their own shape (wire notes §5, §6).
    """

    def __init__(self, text: str) -> None:
        super().__init__(400, code=500, message=text)
        self.text = text


def bad_request(reason: str | None = None, *, message: str | None = None) -> WireError:
    """A 400 with the given reason and the default message unless one is given."""
    return WireError(400, reason=reason, message=message)


def not_found(reason: str | None = None, *, message: str | None = NOT_FOUND_DB) -> WireError:
    """A 404; by default the database layer's "Unable to locate the resource"."""
    return WireError(404, reason=reason, message=message)


def conflict_identity() -> WireError:
    """The 409 that create answers for a duplicate identifier (wire notes §5)."""
    return WireError(409, reason="This identity conflicts with another identity that already exists.")


def conflict_unique() -> WireError:
    """The generic sqlcon unique-violation 409 (wire notes §4, §6)."""
    return WireError(409, message=UNIQUE_VIOLATION_DB)


def error_response(err: WireError, request_id: str | None = None) -> Response:
    """Ory's error envelope with `Ory-Error-Id` and the error Content-Type (wire notes §13)."""
    body = orjson.dumps({"error": err.body(request_id)})
    return Response(
        body, status_code=err.status, media_type=None, headers={"content-type": ERROR_CONTENT_TYPE, "ory-error-id": ""}
    )


def json_response(
    payload: Any, status: int = 200, *, headers: Mapping[str, str] | None = None, raw: bytes | None = None
) -> Response:
    """A success body (orjson, or pre-serialised bytes) with `application/json; charset=utf-8`."""
    body = raw if raw is not None else orjson.dumps(payload)
    out = {"content-type": SUCCESS_CONTENT_TYPE}
    if headers:
        out.update(headers)
    return Response(body, status_code=status, media_type=None, headers=out)


# ---- JSON bodies -----------------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 128
"""Deepest nesting of arrays and objects accepted in a body or a patched identity. Go's decoder allows 10000; the
sandbox stops lower because orjson serialises at most 254 levels (docs/guides/security.md)."""
EXCEEDED_MAX_DEPTH = "exceeded max depth"  # the text of Go's encoding/json for nesting past its limit


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads_body(raw: bytes) -> Any:
    """`orjson.loads`, also raising `orjson.JSONDecodeError` for nesting deeper than MAX_JSON_DEPTH.

    Each route turns the decode error into its own 400, so a too-deep body fails exactly like malformed JSON does.
    """
    value = orjson.loads(raw)
    if isinstance(value, (dict, list)) and json_depth(value) > MAX_JSON_DEPTH:
        raise orjson.JSONDecodeError(EXCEEDED_MAX_DEPTH, raw[:64].decode("utf-8", "replace"), 0)
    return value


def go_syntax_error(raw: bytes, *, stream: bool) -> str:
    """Go's `encoding/json` text for a body that is not JSON (a syntax error, not a type error).

    Input that ends before the value does is `unexpected EOF` for a `json.Decoder` (`stream`) and
    `unexpected end of JSON input` for `json.Unmarshal`; a character that cannot start a value is
    `invalid character 'x' looking for beginning of value`.
    """
    text = raw.decode("utf-8", "replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            return "unexpected EOF" if stream else "unexpected end of JSON input"
        return f"invalid character '{text[exc.pos]}' looking for beginning of value"
    except (ValueError, RecursionError):  # numbers too long for Python, nesting too deep: valid JSON to Go
        pass
    first = text.strip()[:1] or " "
    return f"invalid character '{first}' looking for beginning of value"


def go_decode_body(raw: bytes) -> Any:
    """Parse a body as Go's `encoding/json` decoder would, raising its error text as a `GoDecodeError`."""
    if not raw.strip():
        raise GoDecodeError("EOF")
    try:
        return loads_body(raw)
    except orjson.JSONDecodeError as exc:
        if exc.msg == EXCEEDED_MAX_DEPTH:
            raise GoDecodeError(exc.msg) from None
        raise GoDecodeError(go_syntax_error(raw, stream=True)) from None


# ---- Go-compatible parsing --------------------------------------------------------------------------------------

_INT_RE = re.compile(r"^[+-]?[0-9]+$")


def go_atoi(value: str) -> int:
    """`strconv.Atoi`, raising ValueError with Go's error text."""
    if not _INT_RE.match(value):
        raise ValueError(f'strconv.Atoi: parsing "{value}": invalid syntax')
    n = int(value)
    if not -(2**63) <= n < 2**63:
        raise ValueError(f'strconv.Atoi: parsing "{value}": value out of range')
    return n


_HEX_RE = re.compile(r"^[0-9a-fA-F]{32}$")


def parse_uuid(value: str) -> str:
    """Parse like gofrs/uuid `FromString`; returns the canonical form or raises ValueError with Go's text."""
    text = value
    n = len(text)
    if n == 36 + 9 and text.lower().startswith("urn:uuid:"):
        text = text[9:]
    elif n == 38 and text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    elif n not in (32, 36):
        raise ValueError(f'uuid: incorrect UUID length {n} in string "{value}"')
    if len(text) == 36:
        if not (text[8] == text[13] == text[18] == text[23] == "-"):
            raise ValueError(f'uuid: incorrect UUID format in string "{value}"')
        text = text.replace("-", "")
    if not _HEX_RE.match(text):
        raise ValueError(f'uuid: incorrect UUID format in string "{value}"')
    return str(uuid.UUID(hex=text))


def is_uuid(value: str) -> bool:
    """True when gofrs/uuid would parse the value."""
    try:
        parse_uuid(value)
    except ValueError:
        return False
    return True


def uuid_or_400(value: str) -> str:
    """Parse a path UUID; a bad one is a 400 whose message is the uuid error (wire notes §13)."""
    try:
        return parse_uuid(value)
    except ValueError as exc:
        raise bad_request(message=str(exc)) from None


# ---- Link headers -----------------------------------------------------------------------------------------------


def encode_query(params: Iterable[tuple[str, str]]) -> str:
    """Go's `url.Values.Encode`: keys sorted, values kept in order, QueryEscape (space -> '+')."""
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    parts: list[str] = []
    for key in sorted(grouped):
        ek = quote_plus(key, safe="")
        parts.extend(f"{ek}={quote_plus(v, safe='')}" for v in grouped[key])
    return "&".join(parts)


def link_url(path: str, query: Sequence[tuple[str, str]], overrides: Mapping[str, str]) -> str:
    """A relative URL: the request's query with the paging parameters overwritten (wire notes §1)."""
    kept = [(k, v) for k, v in query if k not in overrides]
    kept.extend(overrides.items())
    return f"{path}?{encode_query(kept)}"


def join_links(parts: Iterable[tuple[str, str]]) -> str:
    """`<url>; rel="x"` parts joined with ',' and no space (wire notes §1)."""
    return ",".join(f'<{url}>; rel="{rel}"' for url, rel in parts)


def keyset_link(
    path: str, query: Sequence[tuple[str, str]], *, page_size: int, first_token: str, next_token: str | None
) -> str:
    """Link header of a keyset endpoint: always `first`, `next` only when more rows exist."""
    size = str(page_size)
    parts = [(link_url(path, query, {"page_size": size, "page_token": first_token}), "first")]
    if next_token is not None:
        parts.append((link_url(path, query, {"page_size": size, "page_token": next_token}), "next"))
    return join_links(parts)


def offset_token(offset: int) -> str:
    """The v2 token-paginator token: base64url (no padding) of `{"offset":"n","v":2}` (wire notes §1)."""
    raw = orjson.dumps({"offset": str(offset), "v": 2})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_offset_token(token: str) -> int:
    """Offset from a v2 token; anything unparsable is offset 0 (wire notes §1)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = orjson.loads(raw)
        offset = int(doc["offset"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return 0
    return max(offset, 0)


def offset_link(
    path: str,
    query: Sequence[tuple[str, str]],
    *,
    page: int,
    per_page: int,
    total: int,
    params: tuple[str, ...] = ("page", "page_size", "page_token", "per_page"),
) -> str:
    """Link header of an offset endpoint, with ory/x `HeaderWithFormatter`'s quirks (wire notes §1 quirks table)."""

    def url(p: int, size: int) -> str:
        values = {"page": str(p), "page_size": str(size), "page_token": offset_token(p * size), "per_page": str(size)}
        return link_url(path, query, {k: values[k] for k in params})

    last_page = max((total - 1) // per_page, 0) if per_page > 0 else 0
    parts: list[tuple[str, str]]
    if total == 0:
        parts = [(url(0, per_page), "first"), (url(page + 1, per_page), "next"), (url(page - 1, per_page), "prev")]
    elif total <= per_page:
        parts = [(url(0, total), "first")]
    elif page == 0:
        parts = [(url(1, per_page), "next"), (url(last_page, per_page), "last")]
    elif page >= last_page:
        parts = [(url(0, per_page), "first"), (url(page - 1, per_page), "prev")]
    else:
        parts = [
            (url(0, per_page), "first"),
            (url(page + 1, per_page), "next"),
            (url(page - 1, per_page), "prev"),
            (url(last_page, per_page), "last"),
        ]
    return join_links(parts)


def schema_id_to_url_part(schema_id: str) -> str:
    """base64url without padding, as `schema.IDToURL` does (wire notes §3)."""
    return base64.urlsafe_b64encode(schema_id.encode()).rstrip(b"=").decode()


def url_part_to_schema_id(part: str) -> str | None:
    """Decode a base64url schema id, or None if it is not valid base64url text."""
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
