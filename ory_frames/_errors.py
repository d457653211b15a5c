"""Every exception ory_frames raises.

::

    OryFramesError
    ├── ApiError                 Ory answered with an error: .status .code .reason .message .request_id .details
    │                            .error_id .status_text .debug .redirect_browser_to .envelope (every field sent)
    │   ├── BadRequestError      400
    │   ├── AuthError            401, 403
    │   ├── NotFoundError        404
    │   ├── ConflictError        409
    │   ├── RateLimitError       429 (.reset_after: seconds from x-ratelimit-reset, if sent)
    │   └── ServerError          5xx
    ├── TransportError           no usable answer at all (connect, read, timeout); wraps the httpx error
    ├── UnexpectedResponseError  an answer the API never gives (bad JSON, a Link header to another host)
    ├── ExportError              also an OSError; an export could not write (full disk, denied write) or its
    │                            target is being exported by another process: .path .reason .errno
    └── InvalidInputError        also a ValueError; raised before any request; .problems: (row, column, reason)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class OryFramesError(Exception):
    """Base class of every error raised by ory_frames."""


class ApiError(OryFramesError):
    """Ory answered with an error status; the fields come from Ory's error envelope (wire notes §13).

    ``{"error": {"id", "code", "status", "request", "reason", "details", "message", "debug"}}`` maps to
    ``error_id``, ``code``, ``status_text``, ``request_id``, ``reason``, ``details``, ``message`` and
    ``debug`` (``status`` is the HTTP status). A browser-location answer (422) also carries a
    top-level ``redirect_browser_to``. ``envelope`` holds every field of the body as sent, unknown
    ones too, with any API key masked (as in every other attribute).
    """

    def __init__(
        self,
        *,
        status: int,
        message: str,
        code: int | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        error_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        method: str | None = None,
        url: str | None = None,
        status_text: str | None = None,
        debug: str | None = None,
        redirect_browser_to: str | None = None,
        envelope: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code if code is not None else status
        self.message = message
        self.reason = reason
        self.request_id = request_id
        self.error_id = error_id
        self.details = dict(details) if details else {}
        self.method = method
        self.url = url
        self.status_text = status_text
        self.debug = debug
        self.redirect_browser_to = redirect_browser_to
        self.envelope = dict(envelope) if envelope else {}
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.url}: " if self.method and self.url else ""
        text = f"{where}{self.status} {self.message}"
        if self.reason:
            text += f" ({self.reason})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(ApiError):
    """Ory answered 400: the request was malformed or contained invalid parameters."""


class AuthError(ApiError):
    """Ory answered 401 or 403: the API key is missing, wrong or lacks permission."""


class NotFoundError(ApiError):
    """Ory answered 404."""


class ConflictError(ApiError):
    """Ory answered 409: an identifier, address or external id is taken already."""


class RateLimitError(ApiError):
    """Ory answered 429: a rate limit or an in-flight limit was hit."""

    def __init__(self, *, reset_after: float | None = None, **kwargs: Any) -> None:
        self.reset_after = reset_after
        super().__init__(**kwargs)


class ServerError(ApiError):
    """Ory answered with a 5xx status."""


class TransportError(OryFramesError):
    """No usable answer arrived: connection refused or dropped, timeout, truncated body."""


class UnexpectedResponseError(OryFramesError):
    """The server answered in a way Ory's API never does (bad JSON, a Link header to another host...)."""


class ExportError(OryFramesError, OSError):
    """An export could not write its output (a full disk, a denied write) or another process is exporting to it.

    ``path`` is the export's output, ``reason`` one phrase (``"no space left on device"``), ``errno`` the
    operating system's code where there was one. The message is one line and says what to do next.
    """

    def __init__(self, message: str, path: str, reason: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.reason = reason
        self.errno = errno

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.path, self.reason, self.errno))


@dataclass(frozen=True)
class Problem:
    """One reason why input was refused: which row (index label or position), which column, and why."""

    row: Any
    column: str | None
    reason: str

    def __str__(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row!r}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        where = ", ".join(parts)
        return f"{where}: {self.reason}" if where else self.reason


class InvalidInputError(OryFramesError, ValueError):
    """Input was refused before any request was sent; ``.problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem] | str, *, limit: int = 20) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, problems)]
        self.problems: list[Problem] = list(problems)
        shown = [f"  - {p}" for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            shown.append(f"  ... and {more} more (see .problems)")
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found; nothing was sent:"
        super().__init__("\n".join([head, *shown]))


_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    return ApiError
