"""The HTTP core of Client: URL and key checks, the one place requests go out, and answers turned into values or errors.

The typed calls live in `_client`; retries and pacing in `_transport`; decoding and error translation in
`_answers`; paging rules in :mod:`ory_frames.pages`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, TypeAlias, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel

from ory_frames._errors import InvalidInputError, TransportError, UnexpectedResponseError
from ory_frames._redact import MASK, Secret, mask_text, mask_url
from ory_frames._types import Tier
from ory_frames.client._answers import api_error, decode_json
from ory_frames.client._budget import RateBudget
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport
from ory_frames.pages import Page, PageRequest, Paginator, Walk

Params: TypeAlias = "Mapping[str, str | list[str]]"
_Core = TypeVar("_Core", bound="HttpCore")

try:
    _VERSION = version("ory-frames")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    _VERSION = "0"


def _is_loopback(host: str) -> bool:
    """Whether a host name or address can only be reached on this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def jsonable(value: Any) -> Any:
    """Models (also nested in dicts and lists) as wire JSON; everything else unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def query(**values: Any) -> dict[str, str | list[str]]:
    """Query parameters without the unset ones; booleans as ``true``/``false``, sequences repeated."""
    params: dict[str, str | list[str]] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
            params[key] = [str(item) for item in value]
        else:
            params[key] = str(value)
    return params


def segment(value: str) -> str:
    """A path segment, percent-encoded (ids and external ids may hold ``/`` or ``?``)."""
    if not value:
        raise InvalidInputError("an id in the request path must not be empty")
    return quote(str(value), safe="")


class HttpCore:
    """Base URL, key, timeouts and the one ``send`` every call goes through (see :class:`ory_frames.Client`)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 5,
        budget: RateBudget | Tier | str | None = None,
        user_agent: str | None = None,
    ) -> None:
        url_text = base_url or os.environ.get("ORY_SDK_URL")
        if not url_text:
            raise InvalidInputError("no Ory URL: pass base_url=... or set ORY_SDK_URL")
        key = api_key if api_key is not None else os.environ.get("ORY_API_KEY")
        key = key or None
        try:
            url = httpx.URL(url_text.rstrip("/"))
        except httpx.InvalidURL as exc:
            raise InvalidInputError(f"base_url {mask_url(url_text)!r} is not a URL") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidInputError(f"base_url {mask_url(url)!r} must be an http:// or https:// URL with a host")
        if key and url.scheme == "http" and not _is_loopback(url.host):
            raise InvalidInputError(
                f"refusing to send the API key over plain http:// to {url.host}; use https:// "
                "(plain http is allowed only for loopback hosts such as 127.0.0.1 or localhost)"
            )
        self._base_url = url.copy_with(query=None, fragment=None)
        self._key = Secret(key) if key else None
        self._schemas_base = "/schemas"  # where schema calls go: a path, or a URL once Kratos redirected
        if isinstance(transport, RetryTransport):
            self._transport = transport
            if transport.budget is None and budget is not None:
                transport.budget = self._make_budget(budget)
        else:
            self._transport = RetryTransport(
                transport, policy=RetryPolicy(retries=max(0, retries)), budget=self._make_budget(budget)
            )
        headers = {
            "Accept": "application/json",
            "User-Agent": user_agent or f"ory-frames/{_VERSION} httpx/{httpx.__version__}",
        }
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(
            base_url=self._base_url,
            headers=headers,
            timeout=timeout,
            transport=self._transport,
            follow_redirects=False,
        )

    @staticmethod
    def _make_budget(budget: RateBudget | str | None) -> RateBudget:
        """The budget for a ``budget=`` argument: given, by tier name, or an empty learning one."""
        if isinstance(budget, RateBudget):
            return budget
        if isinstance(budget, str):
            return RateBudget.for_tier(budget)
        return RateBudget()

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return str(self._base_url).rstrip("/")

    @property
    def budget(self) -> RateBudget | None:
        """The rate budget requests are paced by."""
        return self._transport.budget

    def __repr__(self) -> str:
        key = MASK if self._key is not None else "None"
        return f"{type(self).__name__}(base_url={mask_url(self.base_url)!r}, api_key={key})"

    def __enter__(self: _Core) -> _Core:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _secrets(self) -> tuple[str, ...]:
        """The strings that must never appear in a message."""
        return (self._key.reveal(),) if self._key is not None else ()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # --- the one place requests go out ---------------------------------------------------------------

    def send(self, method: str, path: str, *, params: Params | None = None, json: Any = None) -> httpx.Response:
        """Send one request (with retries and pacing) and return the response, or raise a translated error.

        Schema paths (``/schemas``, ``/schemas/{id}``) follow Kratos' redirects: its admin port serves no
        schema route, it redirects ``/schemas`` to ``/admin/schemas`` and that to the public port, which
        serves both (Kratos ``schema/handler.go``, wire notes §11); Ory Network serves ``/schemas``. Where
        the redirects ended is remembered for the client's later schema calls, and an API key is never
        sent to another origin.

        Raises
        ------
        ApiError
            A subclass per status (``_errors.error_class_for``) built from Ory's error envelope.
        TransportError
            No usable answer arrived (connection, timeout, truncated body), after retries.
        UnexpectedResponseError
            A redirect or another answer the Identity API never gives.
        """
        if path != "/schemas" and not path.startswith("/schemas/"):
            return self._send(method, path, params, json)
        rest = path[len("/schemas") :]
        for _ in range(_MAX_SCHEMA_REDIRECTS):
            try:
                return self._send(method, self._schemas_base + rest, params, json)
            except _RedirectError as redirect:
                here = self._http.build_request("GET", self._schemas_base + rest).url
                there = here.join(redirect.location)
                if method.upper() != "GET" or not there.path.endswith(rest) or there.scheme not in ("http", "https"):
                    raise
                self._schemas_base = str(there.copy_with(query=None, fragment=None))[: -len(rest) or None]
        raise UnexpectedResponseError(f"GET {path}: more than {_MAX_SCHEMA_REDIRECTS} redirects")

    def _send(self, method: str, path: str, params: Params | None, json: Any) -> httpx.Response:
        """``send`` for a path used as given."""
        method = method.upper()
        headers = {}
        content = None
        if json is not None:
            content = orjson.dumps(jsonable(json))
            headers["Content-Type"] = "application/json"
        try:
            request = self._http.build_request(method, path, params=params, content=content, headers=headers)
            if request.url.netloc != self._http.base_url.netloc:  # Kratos' public port, after a schema redirect
                request.headers.pop("Authorization", None)
        except httpx.InvalidURL as exc:  # e.g. an external id or filter too long for any URL: refused, not sent
            shown = mask_text(path if len(path) <= 80 else path[:77] + "...", self._secrets())
            raise InvalidInputError(f"{method} {shown}: cannot be sent ({exc})") from exc
        where = f"{method} {mask_text(mask_url(request.url), self._secrets())}"
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            detail = mask_text(str(exc), self._secrets()) or "no detail"
            raise TransportError(f"{where}: {type(exc).__name__}: {detail}") from exc
        if response.status_code >= 400:
            raise api_error(response, method, where.split(" ", 1)[1], self._secrets())
        if response.status_code >= 300:
            location = response.headers.get("location", "")
            raise _RedirectError(
                f"{where}: unexpected redirect {response.status_code} to {mask_url(location)}", location
            )
        return response

    def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET a path and return its parsed JSON body."""
        return decode_json(self.send("GET", path, params=params))

    def fetch_page(self, request: PageRequest, paginator: Paginator) -> Page:
        """GET one page of a list call; ``paginator`` reads the answer's paging facts (it alone knows them).

        ``request`` is sent as it stands: whoever drives the paginator has put its paging parameters on it.
        """
        return Walk(self, request, paginator).first_page()

    def send_page(self, request: PageRequest) -> httpx.Response:
        """GET one page of a list call and return the answer, its body read but not decoded."""
        path = request.path.format_map({name: segment(value) for name, value in request.path_params.items()})
        return self.send("GET", path, params=query(**request.params))


_MAX_SCHEMA_REDIRECTS = 3  # Kratos: /schemas -> /admin/schemas -> the public port


class _RedirectError(UnexpectedResponseError):
    """The server answered with a redirect, which the Identity API does not do (except Kratos schemas)."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location
