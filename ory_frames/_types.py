"""Type aliases and closed sets of values used across ory_frames."""

from __future__ import annotations

import os
from typing import Any, Literal, TypeAlias

JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]
PathOrURL: TypeAlias = "str | os.PathLike[str]"

IdentityState = Literal["active", "inactive"]
SessionExpand = Literal["identity", "devices"]
# Default `expand` of iter_sessions, read_sessions and export_sessions. Without expand=identity the list
# answer has "identity": null (wire notes §8), so nothing would say whose session a row is.
DEFAULT_SESSION_EXPAND: tuple[SessionExpand, ...] = ("identity", "devices")
CredentialType = Literal[
    "password",
    "oidc",
    "saml",
    "totp",
    "lookup_secret",
    "webauthn",
    "code",
    "link_recovery",
    "code_recovery",
    "deviceauthn",
    "passkey",
]
Consistency = Literal["", "strong", "eventual"]
RecoveryFlowType = Literal["browser", "api"]
SessionAction = Literal["disable", "delete"]
Tier = Literal["developer", "production", "growth", "enterprise"]
