"""Request-size limits: a body over the cap gets 413 before it is read in full, a huge query string a 400.

The sandbox middleware applies them to every request after the API key check. Kratos itself sets no body limit;
these exist so that a sandbox holding copied users cannot be knocked over by one request (docs/guides/security.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._wire import WireError

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""8 MiB: a batch of 1000 copied identities with credentials is about 2 MB (wire notes §4 caps a batch at 1000)."""
MAX_QUERY_BYTES = 1 << 20
"""Go's `http.DefaultMaxHeaderBytes` (1 MiB) bounds Kratos' request line; past it Go answers 431 in plain text."""

_TOO_LARGE_MESSAGE = "The request body is too large"


class BodyTooLarge(WireError):
    """413 in Ory's envelope: the body is (or declares itself) larger than the sandbox accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            reason=f"The request body exceeds the sandbox's limit of {limit} bytes (create_app(max_body_bytes=...)).",
            message=_TOO_LARGE_MESSAGE,
        )


def check_declared_size(
    headers: list[tuple[bytes, bytes]], query: bytes, max_body_bytes: int | None
) -> WireError | None:
    """The error for a request whose query string or declared Content-Length is too large, else None.

    Reads only the request head, so a refused body is never read: the server discards what the client still sends.
    """
    if len(query) > MAX_QUERY_BYTES:
        return WireError(400, reason=f"The query string is longer than {MAX_QUERY_BYTES} bytes.")
    if max_body_bytes is None:
        return None
    for name, value in headers:
        if name.lower() != b"content-length":
            continue
        text = bytes(value).strip()
        if not text.isdigit():  # the HTTP server refuses these first; kept for other ASGI servers
            return WireError(400, reason="The Content-Length header is not a number.")
        if int(text) > max_body_bytes:
            return BodyTooLarge(max_body_bytes)
    return None


def counting_receive(receive: Receive, max_body_bytes: int) -> Receive:
    """A `receive` that raises BodyTooLarge as soon as the body read so far passes the limit (chunked bodies)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_body_bytes:
                raise BodyTooLarge(max_body_bytes)
        return message

    return counted
