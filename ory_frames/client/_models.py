"""Pydantic models of the Identity API's request and response bodies.

Every model keeps fields it does not know (``extra="allow"``), so nothing the server sends is lost.
Raw JSON is always reachable:

- a model built from a response (``Model.from_json(data)``, which is what ``Client`` does) keeps the
  server's object untouched in ``.raw``;
- for any model, ``model.model_dump(mode="json", by_alias=True, exclude_unset=True)`` gives back the
  JSON it was built from (timestamps re-rendered in RFC 3339; ``.raw`` is the byte-faithful choice).

Timestamps are ``datetime``; ``metadata_*``, ``traits`` and credential ``config`` stay plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

_M = TypeVar("_M", bound="OryModel")


class OryModel(BaseModel):
    """Base of every body model: unknown fields kept, wire names as aliases, raw JSON at hand."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_json(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build the model from a server JSON object and keep that object as ``.raw``."""
        model = cls.model_validate(dict(data))
        model._raw = dict(data)
        return model

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object the server sent, or this model's JSON if it was built locally."""
        if self._raw is not None:
            return self._raw
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        """This model as the JSON object that goes on the wire (only fields that were set)."""
        dumped: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return dumped


# --- identities (wire notes §3) -------------------------------------------------------------


class VerifiableIdentityAddress(OryModel):
    """An address that can be verified (email or phone).

    Every field may be missing or null, as the frames read them: identity JSON from older Kratos
    versions or other tools may hold addresses without ``status`` (or ``created_at``/``updated_at``).
    """

    value: str | None = None
    verified: bool | None = None
    via: str | None = None
    status: str | None = None
    id: str | None = None
    verified_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RecoveryIdentityAddress(OryModel):
    """An address that can be used for account recovery (every field may be missing or null)."""

    value: str | None = None
    via: str | None = None
    id: str | None = None
    break_glass_for_organization: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class IdentityCredentials(OryModel):
    """One credential of an identity; ``config`` is present only when declassified."""

    type: str | None = None
    identifiers: list[str] | None = None
    config: dict[str, Any] | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Identity(OryModel):
    """An identity as the admin API returns it."""

    id: str
    schema_id: str
    schema_url: str | None = None
    traits: Any = None
    external_id: str | None = None
    credentials: dict[str, IdentityCredentials] | None = None
    state: str | None = None
    state_changed_at: datetime | None = None
    verifiable_addresses: list[VerifiableIdentityAddress] | None = None
    recovery_addresses: list[RecoveryIdentityAddress] | None = None
    metadata_public: Any = None
    metadata_admin: Any = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    organization_id: str | None = None
    region: str | None = None


class CreateIdentityBody(OryModel):
    """Body of ``create_identity`` (POST /admin/identities; wire notes §5)."""

    schema_id: str
    traits: dict[str, Any]
    state: Literal["active", "inactive"] | None = None
    external_id: str | None = None
    credentials: dict[str, Any] | None = None
    metadata_public: Any = None
    metadata_admin: Any = None
    verifiable_addresses: list[dict[str, Any]] | None = None
    recovery_addresses: list[dict[str, Any]] | None = None
    organization_id: str | None = None
    region: str | None = None


class UpdateIdentityBody(OryModel):
    """Body of ``update_identity`` (PUT replaces traits and metadata; wire notes §6)."""

    schema_id: str
    traits: dict[str, Any]
    state: Literal["active", "inactive"]
    external_id: str | None = None
    credentials: dict[str, Any] | None = None
    metadata_public: Any = None
    metadata_admin: Any = None
    region: str | None = None


class JsonPatch(OryModel):
    """One RFC 6902 operation; Ory accepts only add, remove and replace (wire notes §6)."""

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str
    value: Any = None
    from_: str | None = Field(default=None, alias="from")


class IdentityPatch(OryModel):
    """One item of a batch: an identity to create, with an optional ``patch_id`` echoed back."""

    create: CreateIdentityBody | None = None
    patch_id: str | None = None


class PatchIdentitiesBody(OryModel):
    """Body of ``batch_patch_identities`` (PATCH /admin/identities; wire notes §4)."""

    identities: list[IdentityPatch]


class IdentityPatchResponse(OryModel):
    """Outcome of one batch item: ``action`` is ``create`` or ``error`` (a bare error object)."""

    action: str | None = None
    identity: str | None = None
    patch_id: str | None = None
    error: dict[str, Any] | None = None


class BatchPatchIdentitiesResponse(OryModel):
    """Response of ``batch_patch_identities``; entries are ``None`` where the item's ``create`` was null."""

    identities: list[IdentityPatchResponse | None] = Field(default_factory=list)


# --- sessions (wire notes §8) ---------------------------------------------------------------


class SessionDevice(OryModel):
    """A device a session was used from (every field may be missing or null, as the frames read them)."""

    id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    location: str | None = None


class SessionAuthenticationMethod(OryModel):
    """One step of how a session was authenticated."""

    method: str | None = None
    aal: str | None = None
    completed_at: datetime | None = None
    provider: str | None = None
    organization: str | None = None
    upstream_acr: str | None = None
    upstream_amr: list[str] | None = None


class Session(OryModel):
    """A session as the admin API returns it (``identity``/``devices`` null unless expanded)."""

    id: str
    active: bool | None = None
    expires_at: datetime | None = None
    authenticated_at: datetime | None = None
    issued_at: datetime | None = None
    authenticator_assurance_level: str | None = None
    authentication_methods: list[SessionAuthenticationMethod] | None = None
    identity: Identity | None = None
    devices: list[SessionDevice] | None = None
    tokenized: str | None = None


class ManageSessionsBody(OryModel):
    """Body of ``manage_sessions``: exactly one of ``identities`` (may be ``["*"]``) or ``sessions``."""

    action: Literal["disable", "delete"]
    identities: list[str] | None = None
    sessions: list[str] | None = None


class ManageSessionsResponse(OryModel):
    """Result of ``manage_sessions``; repeat the call while ``more`` is true."""

    processed: int = 0
    more: bool = False


# --- recovery, test login flows, schemas (wire notes §§9-11) --------------------------------


class CreateRecoveryCodeForIdentityBody(OryModel):
    """Body of ``create_recovery_code_for_identity``; ``expires_in`` is a Go duration such as ``1h``."""

    identity_id: str
    expires_in: str | None = None
    flow_type: Literal["browser", "api"] | None = None


class CreateRecoveryLinkForIdentityBody(OryModel):
    """Body of ``create_recovery_link_for_identity``."""

    identity_id: str
    expires_in: str | None = None


class RecoveryCodeForIdentity(OryModel):
    """A one-time recovery code and the link to the page where it is entered."""

    recovery_link: str
    recovery_code: str
    expires_at: datetime | None = None


class RecoveryLinkForIdentity(OryModel):
    """A one-time recovery link (it carries a secret token)."""

    recovery_link: str
    expires_at: datetime | None = None


class CreateTestLoginFlowBody(OryModel):
    """Body of ``create_test_login_flow``: the OIDC provider to test."""

    provider_id: str


class LoginFlow(OryModel):
    """A login flow (here: a test flow for an OIDC provider, with ``test_context``)."""

    id: str
    type: str
    expires_at: datetime
    issued_at: datetime
    request_url: str
    ui: dict[str, Any]
    state: Any = None
    active: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    organization_id: str | None = None
    refresh: bool | None = None
    requested_aal: str | None = None
    return_to: str | None = None
    identity_schema: str | None = None
    test_context: dict[str, Any] | None = None
    transient_payload: dict[str, Any] | None = None


class IdentitySchemaContainer(OryModel):
    """One item of ``list_identity_schemas``: a schema id and the raw JSON Schema."""

    id: str
    schema_: dict[str, Any] = Field(alias="schema")
