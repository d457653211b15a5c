"""Client: one thin typed method per Identity API call (21 in all), on the HTTP core of :mod:`ory_frames.client._http`.

List calls hand every paging rule to a paginator of :mod:`ory_frames.pages._paginators` and get one Page back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ory_frames._types import Consistency, CredentialType, SessionExpand
from ory_frames.client._answers import decode_model, decode_object
from ory_frames.client._http import HttpCore, query, segment
from ory_frames.client._models import (
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
from ory_frames.pages import (
    IdentityKeysetPaginator,
    IdentitySessionPaginator,
    Page,
    PageRequest,
    Paginator,
    SchemaPaginator,
    SessionKeysetPaginator,
)


class Client(HttpCore):
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
        request = PageRequest("/admin/identities", {
            "consistency": consistency, "ids": ids, "credentials_identifier": credentials_identifier,
            "preview_credentials_identifier_similar": preview_credentials_identifier_similar,
            "include_credential": include_credential, "organization_id": organization_id,
        })  # fmt: skip
        paginator = IdentityKeysetPaginator(page_size=page_size, page_token=page_token, page=page, per_page=per_page)
        return self._one_page(request, paginator)

    def get_identity(self, id: str, *, include_credential: Sequence[CredentialType | str] | None = None) -> Identity:
        """``GET /admin/identities/{id}``; credential ``config`` only for the ``include_credential`` types."""
        path = f"/admin/identities/{segment(id)}"
        response = self.send("GET", path, params=query(include_credential=include_credential))
        return decode_model(Identity, response)

    def get_identity_by_external_id(
        self, external_id: str, *, include_credential: Sequence[CredentialType | str] | None = None
    ) -> Identity:
        """``GET /admin/identities/by/external/{externalID}``."""
        path = f"/admin/identities/by/external/{segment(external_id)}"
        response = self.send("GET", path, params=query(include_credential=include_credential))
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
        response = self.send("PUT", f"/admin/identities/{segment(id)}", json=body)
        return decode_model(Identity, response)

    def patch_identity(self, id: str, body: Sequence[JsonPatch | Mapping[str, Any]]) -> Identity:
        """``PATCH /admin/identities/{id}`` with an RFC 6902 document (add, remove, replace only)."""
        response = self.send("PATCH", f"/admin/identities/{segment(id)}", json=list(body))
        return decode_model(Identity, response)

    def delete_identity(self, id: str) -> None:
        """``DELETE /admin/identities/{id}`` (204; an unknown id is a NotFoundError)."""
        self.send("DELETE", f"/admin/identities/{segment(id)}")

    def delete_identity_credentials(
        self, id: str, type: CredentialType | str, *, identifier: str | None = None
    ) -> None:
        """``DELETE /admin/identities/{id}/credentials/{type}``; oidc/saml need ``identifier`` (section 7)."""
        path = f"/admin/identities/{segment(id)}/credentials/{segment(type)}"
        self.send("DELETE", path, params=query(identifier=identifier))

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
        request = PageRequest("/admin/identities/{id}/sessions", {"active": active}, {"id": id})
        paginator = IdentitySessionPaginator(page_size=page_size, page_token=page_token, page=page, per_page=per_page)
        return self._one_page(request, paginator)

    def delete_identity_sessions(self, id: str) -> None:
        """``DELETE /admin/identities/{id}/sessions`` (204; no sessions at all is a NotFoundError)."""
        self.send("DELETE", f"/admin/identities/{segment(id)}/sessions")

    def list_sessions(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        active: bool | None = None,
        expand: Sequence[SessionExpand | str] | None = None,
    ) -> Page:
        """``GET /admin/sessions``: one page of sessions (keyset; newest first)."""
        request = PageRequest("/admin/sessions", {"active": active, "expand": expand})
        return self._one_page(request, SessionKeysetPaginator(page_size=page_size, page_token=page_token))

    def get_session(self, id: str, *, expand: Sequence[SessionExpand | str] | None = None) -> Session:
        """``GET /admin/sessions/{id}``."""
        response = self.send("GET", f"/admin/sessions/{segment(id)}", params=query(expand=expand))
        return decode_model(Session, response)

    def disable_session(self, id: str) -> None:
        """``DELETE /admin/sessions/{id}``: marks the session inactive (204, idempotent)."""
        self.send("DELETE", f"/admin/sessions/{segment(id)}")

    def extend_session(self, id: str) -> Session | None:
        """``PATCH /admin/sessions/{id}/extend``: the session (200), or None when Ory answers 204."""
        response = self.send("PATCH", f"/admin/sessions/{segment(id)}/extend")
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
        response = self.send("POST", "/admin/recovery/link", params=query(return_to=return_to), json=body)
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
        """``GET /schemas``: one page of ``{"id", "schema"}`` objects (offset paging; Kratos' overlap dropped)."""
        paginator = SchemaPaginator(page_size=page_size, page_token=page_token, page=page, per_page=per_page)
        return self._one_page(PageRequest("/schemas"), paginator)

    def get_identity_schema(self, id: str) -> dict[str, Any]:
        """``GET /schemas/{id}``: the raw JSON Schema document (``id`` plain or base64url-encoded)."""
        return decode_object(self.send("GET", f"/schemas/{segment(id)}"))

    def _one_page(self, request: PageRequest, paginator: Paginator) -> Page:
        """The first page ``paginator`` shapes for ``request``: what every ``list_*`` call returns."""
        paginator.init_request(request)
        return self.fetch_page(request, paginator)
