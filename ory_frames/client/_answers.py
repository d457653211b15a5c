"""Answers of the Identity API decoded: JSON bodies, models, and each error as its ApiError (list pages: pages/).

Every failure is translated here once, from Ory's error envelope (wire notes §13), never by
matching message text; a body the API never sends is an :class:`~ory_frames.UnexpectedResponseError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import ValidationError

from ory_frames._errors import ApiError, RateLimitError, UnexpectedResponseError, error_class_for
from ory_frames._redact import mask_text, mask_url
from ory_frames.client._models import OryModel
from ory_frames.client._retry import parse_reset

__all__ = ["api_error", "decode_json", "decode_model", "decode_object"]

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
