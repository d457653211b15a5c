"""Success and error responses of the Identity API decoded: JSON bodies, models, pages, and each error as its ApiError.

Every failure is translated here once, from Ory's error envelope (wire notes §13), never by
matching message text; a body the API never sends is an :class:`~ory_frames.UnexpectedResponseError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import ValidationError

from ory_frames._errors import ApiError, RateLimitError, UnexpectedResponseError, error_class_for
from ory_frames._models import OryModel
from ory_frames._paginators import Page, Paginator
from ory_frames._redact import mask_text, mask_url
from ory_frames._retry import parse_reset

__all__ = ["api_error", "decode_json", "decode_model", "decode_object", "decode_page"]

_ModelT = TypeVar("_ModelT", bound=OryModel)


def decode_json(response: httpx.Response) -> Any:
    """The parsed body of a success response; bad JSON is an UnexpectedResponseError."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(
            f"{where}: {response.status_code} answer is not valid JSON ({len(response.content)} bytes): {exc}"
        ) from exc


def decode_object(response: httpx.Response) -> dict[str, Any]:
    """The parsed body of a success response, which must be a JSON object."""
    data = decode_json(response)
    if not isinstance(data, dict):
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data


def decode_model(cls: type[_ModelT], response: httpx.Response) -> _ModelT:
    """The body of a success response as a model; a body that does not fit is an UnexpectedResponseError."""
    data = decode_object(response)
    try:
        return cls.from_json(data)
    except ValidationError as exc:
        where = f"{response.request.method} {mask_url(response.request.url)}"
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise UnexpectedResponseError(f"{where}: the answer is not {_with_article(cls.__name__)} ({problems})") from exc


def api_error(response: httpx.Response, method: str, url: str, secrets: Sequence[str]) -> ApiError:
    """Translate an error response once: Ory's envelope (or its bare and legacy variants) -> ApiError.

    Envelope (wire notes §13): ``{"error": {id, code, status, request, reason, details, message}}``
    (``debug`` too where not stripped); a browser-location answer (422) adds a top-level
    ``redirect_browser_to``; batch items and some proxies send the inner object bare; OAuth-style
    bodies use ``{"error": "<code>", "error_description": "..."}``. Every field is kept on the
    exception, each string masked of ``secrets``. Message text is never interpreted.
    """
    status = response.status_code
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    envelope: dict[str, Any] = {}
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            envelope = inner
        elif isinstance(inner, str):
            envelope = {"reason": inner, "message": body.get("error_description") or body.get("message")}
        elif any(k in body for k in ("code", "message", "reason", "status")):
            envelope = body
    message = envelope.get("message")
    if not isinstance(message, str) or not message:
        message = _fallback_message(response, parsed=body is not None, secrets=secrets)
    code = envelope.get("code")
    details = _masked(envelope.get("details"), secrets)
    reason = envelope.get("reason")
    redirect = body.get("redirect_browser_to") if isinstance(body, dict) else None
    if not redirect and isinstance(details, dict):  # some flows send it only inside the details
        redirect = details.get("redirect_browser_to")
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code if isinstance(code, int) else None,
        "message": mask_text(message, secrets),
        "reason": mask_text(reason, secrets) if isinstance(reason, str) and reason else None,
        "request_id": _text(envelope.get("request")) or response.headers.get("x-request-id") or None,
        "error_id": response.headers.get("ory-error-id") or _text(envelope.get("id")) or None,
        "details": details if isinstance(details, dict) else None,
        "method": method,
        "url": url,
        "status_text": _masked(_text(envelope.get("status")), secrets),
        "debug": _masked(_text(envelope.get("debug")), secrets),
        "redirect_browser_to": _masked(_text(redirect), secrets),
        "envelope": _masked(body, secrets) if isinstance(body, dict) else None,
    }
    cls = error_class_for(status)
    if issubclass(cls, RateLimitError):
        return cls(reset_after=parse_reset(response.headers), **kwargs)
    return cls(**kwargs)


def _fallback_message(response: httpx.Response, *, parsed: bool, secrets: Sequence[str]) -> str:
    """A message for an error body that is not Ory's envelope: status text plus a body excerpt."""
    text = response.reason_phrase or "error"
    if not parsed:
        snippet = " ".join(response.text[:200].split())
        if snippet:
            ctype = response.headers.get("content-type", "no content type").split(";")[0]
            text += f" (non-JSON {ctype} body: {mask_text(snippet, secrets)!r})"
    return text


def decode_page(response: httpx.Response, paginator: Paginator) -> Page:
    """The Page of a list answer, built once: the paginator reads its paging facts, the headers the rest.

    The paginator sees the array before its items are walked, so an oversized page is refused
    without a pass over it.
    """
    items = decode_json(response)
    if items is None and paginator.null_is_empty:
        # Go encodes an empty nil slice as null: Kratos v1.3.1 answers `GET /schemas` past the last page
        # so (schema/handler.go `getAll`); master sends []. Either is an empty page there.
        items = []
    if not isinstance(items, list):
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(f"{where}: expected a JSON array of objects")
    paginator.update_state(response, items)
    malformed = _first_malformed(items)
    if malformed is not None:
        # Every identity, session and schema Ory lists is an object with a string id, and an identity's
        # traits are an object (wire notes §§3, 8, 11). A row without them cannot be matched back to
        # Ory later (write-back would take it for a new identity), so the page is refused rather than read.
        where = f"{response.request.method} {mask_url(response.request.url)}"
        raise UnexpectedResponseError(f"{where}: item {malformed[0]} {malformed[1]}")
    total = response.headers.get("x-total-count")
    return Page(
        items=items,
        next_token=paginator.next_token,
        page_size=paginator.page_size,
        request_id=response.headers.get("x-request-id"),
        total_count=int(total) if total and total.strip().isdigit() else None,
        ratelimit=ratelimit_headers(response.headers),
        nbytes=len(response.content),
        content=response.content,
    )


def ratelimit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers, keys lower-cased (wire notes §14)."""
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}


def _with_article(noun: str) -> str:
    """The noun after "an" when it starts with a vowel sound (an Identity, an IdentityPatchResponse), else "a"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _masked(value: Any, secrets: Sequence[str]) -> Any:
    """A JSON value with every string in it (keys aside) masked of ``secrets`` and token-looking text."""
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    return value


def _text(value: Any) -> str | None:
    """A non-empty string value, else None."""
    return value if isinstance(value, str) and value else None


def _first_malformed(items: list[Any]) -> tuple[int, str] | None:
    """The index of the first item that is not an object with a string ``id`` and object ``traits``, and why."""
    for index, item in enumerate(items):
        if type(item) is not dict:
            return index, f"is a JSON {type(item).__name__}, not an object"
        if type(item.get("id")) is not str:
            return index, "has no string 'id'"
        traits = item.get("traits")
        if traits is not None and type(traits) is not dict:
            return index, f"has 'traits' of JSON type {type(traits).__name__}, not an object"
    return None
