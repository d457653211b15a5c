"""Client: base URL, API key, timeouts, and one typed method per Identity API call (21 in all).

Requests go out through :meth:`Client.send`; their answers are decoded by :mod:`ory_frames._responses`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, TypeAlias, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel

from ory_frames._budget import RateBudget
from ory_frames._errors import InvalidInputError, TransportError, UnexpectedResponseError
from ory_frames._models import (
    BatchPatchIdentitiesResponse,
    CreateIdentityBody,
    CreateRecoveryCodeForIdentityBody,
    CreateRecoveryLinkForIdentityBody,
    CreateTestLoginFlowBody,
    Identity,
    JsonPatch,
    LoginFlow,
    ManageSessionsBody,
    ManageSessionsResponse,
    PatchIdentitiesBody,
    RecoveryCodeForIdentity,
    RecoveryLinkForIdentity,
    Session,
    UpdateIdentityBody,
)
from ory_frames._paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    decode_offset_token,
    encode_offset_token,
    offset_next_token,
)
from ory_frames._redact import MASK, Secret, mask_text, mask_url
from ory_frames._responses import api_error, decode_json, decode_model, decode_object, decode_page
from ory_frames._retry import RetryPolicy
from ory_frames._transport import RetryTransport
from ory_frames._types import Consistency, CredentialType, SessionExpand, Tier

Body: TypeAlias = "BaseModel | Mapping[str, Any]"
Params: TypeAlias = "Mapping[str, str | list[str]]"
_T = TypeVar("_T")

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


def _jsonable(value: Any) -> Any:
    """Models (also nested in dicts and lists) as wire JSON; everything else unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _query(**values: Any) -> dict[str, str | list[str]]:
    """Query parameters without the unset ones; booleans as ``true``/``false``, sequences repeated."""
    params: dict[str, str | list[str]] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, list | tuple | set | frozenset):
            params[key] = [str(item) for item in value]
        else:
            params[key] = str(value)
    return params


def _segment(value: str) -> str:
    """A path segment, percent-encoded (ids and external ids may hold ``/`` or ``?``)."""
    if not value:
        raise InvalidInputError("an id in the request path must not be empty")
    return quote(str(value), safe="")


class Client:
    """A client of the Ory Identity admin API (Ory Network or self-hosted Kratos admin).

    Parameters
    ----------
    base_url
        ``https://<slug>.projects.oryapis.com`` or a Kratos admin URL such as ``http://127.0.0.1:4434``;
        defaults to ``$ORY_SDK_URL``.
    api_key
        Sent as ``Authorization: Bearer``; defaults to ``$ORY_API_KEY``. Never shown, logged or sent
        over plain ``http://`` to a host other than this machine.
    timeout
        Seconds (or an ``httpx.Timeout``) per request attempt.
    transport
        Any httpx transport (``httpx.MockTransport`` in tests). It is wrapped in a ``RetryTransport``
        unless it already is one, in which case it is used as given (with its own retries and budget).
    retries
        Retries after the first attempt, for failures that are safe to repeat (see ``_retry``).
    budget
        A ``RateBudget``, or a tier name (``"developer"``, ``"production"``, ``"growth"``,
        ``"enterprise"``) for Ory Network's published limits. By default nothing is paced until the
        server's ``x-ratelimit-*`` headers are seen; from then on they are followed.
    user_agent
        Sent as ``User-Agent``.

    Raises
    ------
    InvalidInputError
        No base URL, an unusable URL, or a key that would travel over plain HTTP to another host.

    Examples
    --------
    >>> with Client("http://127.0.0.1:4434") as client:  # doctest: +SKIP
    ...     page = client.list_identities(page_size=10)
    """

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
        self._schemas_path = "/schemas"
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
        return f"Client(base_url={mask_url(self.base_url)!r}, api_key={key})"

    def __enter__(self) -> Client:
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

        Raises
        ------
        ApiError
            A subclass per status (``_errors.error_class_for``) built from Ory's error envelope.
        TransportError
            No usable answer arrived (connection, timeout, truncated body), after retries.
        UnexpectedResponseError
            A redirect or another answer the Identity API never gives.
        """
        method = method.upper()
        headers = {}
        content = None
        if json is not None:
            content = orjson.dumps(_jsonable(json))
            headers["Content-Type"] = "application/json"
        request = self._http.build_request(method, path, params=params, content=content, headers=headers)
        where = f"{method} {mask_text(mask_url(request.url), self._secrets())}"
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            detail = mask_text(str(exc), self._secrets()) or "no detail"
            raise TransportError(f"{where}: {type(exc).__name__}: {detail}") from exc
        if response.status_code >= 400:
            raise api_error(response, method, where.split(" ", 1)[1], self._secrets())
        if response.status_code >= 300:
            location = mask_url(response.headers.get("location", "?"))
            raise _RedirectError(f"{where}: unexpected redirect {response.status_code} to {location}")
        return response

    def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET a path and return its parsed JSON body."""
        return decode_json(self.send("GET", path, params=params))

    def _offset_page(
        self,
        path: str,
        endpoint: str,
        *,
        page_size: int | None,
        page_token: str | None,
        page: int | None,
        per_page: int | None,
        extra: Mapping[str, Any] | None = None,
    ) -> Page:
        """A page of an offset endpoint; the next token is computed (wire notes §1, Link quirks)."""
        limit = MAX_PAGE_SIZE[endpoint]
        if page_token is not None or page_size is not None:
            size = min(page_size if page_size and page_size > 0 else DEFAULT_PAGE_SIZE, limit)
            start = decode_offset_token(page_token)
        else:
            size = min(max(per_page, 1) if per_page is not None else DEFAULT_PAGE_SIZE, limit)
            start = max(page or 0, 0) * size
        params = _query(page_size=page_size, page_token=page_token, page=page, per_page=per_page, **(extra or {}))
        response = self.send("GET", path, params=params)
        result = decode_page(response, page_size=size, next_token=None, base_url=self._base_url)
        token = offset_next_token(encode_offset_token(start) if start else None, size, len(result.items))
        return Page(result.items, token, size, result.request_id, result.total_count, result.ratelimit)

    # --- identities ----------------------------------------------------------------------------------

    def list_identities(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        consistency: Consistency | None = None,
        ids: Sequence[str] | None = None,
        credentials_identifier: str | None = None,
        preview_credentials_identifier_similar: str | None = None,
        include_credential: Sequence[CredentialType | str] | None = None,
        organization_id: str | None = None,
    ) -> Page:
        """``GET /admin/identities``: one page of identities (keyset; ``page``/``per_page`` are legacy).

        Only one of ``ids``, ``credentials_identifier``, ``preview_credentials_identifier_similar`` and
        ``organization_id`` may be given (wire notes §2). In legacy mode (``page`` without
        ``page_size``/``page_token``) the returned page has no ``next_token``.
        """
        params = _query(
            page_size=page_size, page_token=page_token, page=page, per_page=per_page, consistency=consistency,
            ids=ids, credentials_identifier=credentials_identifier,
            preview_credentials_identifier_similar=preview_credentials_identifier_similar,
            include_credential=include_credential, organization_id=organization_id,
        )  # fmt: skip
        keyset = page_token is not None or page_size is not None or page is None
        # Mode rules, wire notes §1: page_token/page_size -> keyset; else page -> legacy (per_page);
        # else a lone per_page is renamed to page_size.
        requested = page_size if page_size is not None or page_token is not None else per_page
        size = min(requested if requested and requested > 0 else DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE["identities"])
        response = self.send("GET", "/admin/identities", params=params)
        return decode_page(response, page_size=size, next_token="link" if keyset else None, base_url=self._base_url)

    def get_identity(self, id: str, *, include_credential: Sequence[CredentialType | str] | None = None) -> Identity:
        """``GET /admin/identities/{id}``; credential ``config`` only for the ``include_credential`` types."""
        path = f"/admin/identities/{_segment(id)}"
        response = self.send("GET", path, params=_query(include_credential=include_credential))
        return decode_model(Identity, response)

    def get_identity_by_external_id(
        self, external_id: str, *, include_credential: Sequence[CredentialType | str] | None = None
    ) -> Identity:
        """``GET /admin/identities/by/external/{externalID}``."""
        path = f"/admin/identities/by/external/{_segment(external_id)}"
        response = self.send("GET", path, params=_query(include_credential=include_credential))
        return decode_model(Identity, response)

    def create_identity(self, body: CreateIdentityBody | Mapping[str, Any]) -> Identity:
        """``POST /admin/identities`` (201). Not retried except on 429 or a failed connect."""
        response = self.send("POST", "/admin/identities", json=body)
        return decode_model(Identity, response)

    def batch_patch_identities(self, body: PatchIdentitiesBody | Mapping[str, Any]) -> BatchPatchIdentitiesResponse:
        """``PATCH /admin/identities``: create up to 1000 identities (200 with per-item results)."""
        response = self.send("PATCH", "/admin/identities", json=body)
        return decode_model(BatchPatchIdentitiesResponse, response)

    def update_identity(self, id: str, body: UpdateIdentityBody | Mapping[str, Any]) -> Identity:
        """``PUT /admin/identities/{id}``: replaces traits, metadata and external_id (section 6)."""
        response = self.send("PUT", f"/admin/identities/{_segment(id)}", json=body)
        return decode_model(Identity, response)

    def patch_identity(self, id: str, body: Sequence[JsonPatch | Mapping[str, Any]]) -> Identity:
        """``PATCH /admin/identities/{id}`` with an RFC 6902 document (add, remove, replace only)."""
        response = self.send("PATCH", f"/admin/identities/{_segment(id)}", json=list(body))
        return decode_model(Identity, response)

    def delete_identity(self, id: str) -> None:
        """``DELETE /admin/identities/{id}`` (204; an unknown id is a NotFoundError)."""
        self.send("DELETE", f"/admin/identities/{_segment(id)}")

    def delete_identity_credentials(
        self, id: str, type: CredentialType | str, *, identifier: str | None = None
    ) -> None:
        """``DELETE /admin/identities/{id}/credentials/{type}``; oidc/saml need ``identifier`` (section 7)."""
        path = f"/admin/identities/{_segment(id)}/credentials/{_segment(type)}"
        self.send("DELETE", path, params=_query(identifier=identifier))

    # --- sessions ------------------------------------------------------------------------------------

    def list_identity_sessions(
        self,
        id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        active: bool | None = None,
    ) -> Page:
        """``GET /admin/identities/{id}/sessions`` (offset paging; identity and devices expanded)."""
        return self._offset_page(
            f"/admin/identities/{_segment(id)}/sessions", "identity_sessions", page_size=page_size,
            page_token=page_token, page=page, per_page=per_page, extra={"active": active},
        )  # fmt: skip

    def delete_identity_sessions(self, id: str) -> None:
        """``DELETE /admin/identities/{id}/sessions`` (204; no sessions at all is a NotFoundError)."""
        self.send("DELETE", f"/admin/identities/{_segment(id)}/sessions")

    def list_sessions(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        active: bool | None = None,
        expand: Sequence[SessionExpand | str] | None = None,
    ) -> Page:
        """``GET /admin/sessions``: one page of sessions (keyset; newest first)."""
        params = _query(page_size=page_size, page_token=page_token, active=active, expand=expand)
        size = min(page_size if page_size and page_size > 0 else DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE["sessions"])
        response = self.send("GET", "/admin/sessions", params=params)
        return decode_page(response, page_size=size, next_token="link", base_url=self._base_url)

    def get_session(self, id: str, *, expand: Sequence[SessionExpand | str] | None = None) -> Session:
        """``GET /admin/sessions/{id}``."""
        response = self.send("GET", f"/admin/sessions/{_segment(id)}", params=_query(expand=expand))
        return decode_model(Session, response)

    def disable_session(self, id: str) -> None:
        """``DELETE /admin/sessions/{id}``: marks the session inactive (204, idempotent)."""
        self.send("DELETE", f"/admin/sessions/{_segment(id)}")

    def extend_session(self, id: str) -> Session | None:
        """``PATCH /admin/sessions/{id}/extend``: the session (200), or None when Ory answers 204."""
        response = self.send("PATCH", f"/admin/sessions/{_segment(id)}/extend")
        if response.status_code == 204 or not response.content:
            return None
        return decode_model(Session, response)

    def manage_sessions(self, body: ManageSessionsBody | Mapping[str, Any]) -> ManageSessionsResponse:
        """``POST /admin/sessions``: disable or delete sessions in bulk; repeat while ``more`` is true."""
        response = self.send("POST", "/admin/sessions", json=body)
        return decode_model(ManageSessionsResponse, response)

    # --- recovery, test login flows, schemas -----------------------------------------------------------

    def create_recovery_code_for_identity(
        self, body: CreateRecoveryCodeForIdentityBody | Mapping[str, Any]
    ) -> RecoveryCodeForIdentity:
        """``POST /admin/recovery/code`` (201): a one-time code and the page to enter it on."""
        response = self.send("POST", "/admin/recovery/code", json=body)
        return decode_model(RecoveryCodeForIdentity, response)

    def create_recovery_link_for_identity(
        self, body: CreateRecoveryLinkForIdentityBody | Mapping[str, Any], *, return_to: str | None = None
    ) -> RecoveryLinkForIdentity:
        """``POST /admin/recovery/link`` (200): a one-time recovery link."""
        response = self.send("POST", "/admin/recovery/link", params=_query(return_to=return_to), json=body)
        return decode_model(RecoveryLinkForIdentity, response)

    def create_test_login_flow(self, body: CreateTestLoginFlowBody | Mapping[str, Any]) -> LoginFlow:
        """``POST /admin/test-login-flows`` (201): a login flow that tests an OIDC provider."""
        response = self.send("POST", "/admin/test-login-flows", json=body)
        return decode_model(LoginFlow, response)

    def list_identity_schemas(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Page:
        """``GET /schemas``: one page of ``{"id", "schema"}`` objects (offset paging)."""
        return self._with_schemas_path(
            lambda prefix: self._offset_page(
                prefix, "schemas", page_size=page_size, page_token=page_token, page=page, per_page=per_page
            )
        )

    def get_identity_schema(self, id: str) -> dict[str, Any]:
        """``GET /schemas/{id}``: the raw JSON Schema document (``id`` plain or base64url-encoded)."""
        return self._with_schemas_path(lambda prefix: decode_object(self.send("GET", f"{prefix}/{_segment(id)}")))

    def _with_schemas_path(self, call: Callable[[str], _T]) -> _T:
        """Run a schema call on ``/schemas``, falling back to ``/admin/schemas`` when it redirects.

        Kratos's admin port redirects ``/schemas`` to the public port but serves ``/admin/schemas``
        itself (wire notes §11); Ory Network serves ``/schemas``.
        """
        try:
            return call(self._schemas_path)
        except _RedirectError:
            if self._schemas_path != "/schemas":
                raise
            self._schemas_path = "/admin/schemas"
            return call(self._schemas_path)


class _RedirectError(UnexpectedResponseError):
    """The server answered with a redirect, which the Identity API does not do (except Kratos schemas)."""
