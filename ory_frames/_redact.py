"""What counts as a secret, and how to mask it in reprs, logs, URLs, headers and JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Keys inside `credentials.<type>.config` that hold secrets (wire notes §§2, 3 and 5):
# password hashes and plaintext passwords, OIDC tokens kept from the first login, TOTP seeds
# (the otpauth:// URL carries the secret), lookup (recovery) codes. WebAuthn public keys are not secret.
SECRET_CREDENTIAL_FIELDS: frozenset[str] = frozenset(
    {
        "hashed_password",
        "password",
        "initial_id_token",
        "initial_access_token",
        "initial_refresh_token",
        "totp_url",
        "codes",
        "recovery_codes",
        "secret",
    }
)

# Request/response headers whose value is a credential.
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-session-token", "ory-api-key", "x-api-key"}
)

# Query parameters whose value is a credential (a recovery link carries `token`, OAuth flows `code`).
SECRET_QUERY_PARAMS: frozenset[str] = frozenset(
    {
        "token",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "id_token",
        "session_token",
        "code",
        "password",
        "secret",
        "client_secret",
    }
)

# Ory API keys and tokens have recognisable prefixes (ory_pat_, ory_apikey_, ory_at_, ory_st_ ...).
_TOKEN_PATTERN = re.compile(r"\bory_[a-z]+_[A-Za-z0-9_\-.]{8,}")
_BEARER_PATTERN = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9_\-.~+/=]+")


def mask_url(url: object) -> str:
    """The URL as text with its userinfo password and secret query values replaced by ``***``."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return mask_text(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else f"{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in SECRET_QUERY_PARAMS for key, _ in pairs):
            masked = [(key, MASK if key.lower() in SECRET_QUERY_PARAMS else value) for key, value in pairs]
            query = urlencode(masked, safe="*")
    return mask_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of the headers with every credential-bearing value replaced by ``***``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {key: (MASK if key.lower() in SECRET_HEADERS else value) for key, value in items}


def mask_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """The text with the given secret strings, bearer tokens and Ory-looking tokens replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _BEARER_PATTERN.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _TOKEN_PATTERN.sub(MASK, text)


def redact_credentials(value: Any) -> Any:
    """A deep copy of a JSON value with every key in ``SECRET_CREDENTIAL_FIELDS`` under a ``config`` masked."""
    return _redact(value, inside_config=False)


def _redact(value: Any, *, inside_config: bool) -> Any:
    """Walk a JSON value; mask secret keys found below any ``config`` object."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if inside_config and key in SECRET_CREDENTIAL_FIELDS and item not in (None, "", [], {}):
                out[key] = MASK
            else:
                out[key] = _redact(item, inside_config=inside_config or key == "config")
        return out
    if isinstance(value, list):
        return [_redact(item, inside_config=inside_config) for item in value]
    return value


class Secret:
    """A string that prints as ``***`` (repr, str, format); ``reveal()`` gives the value back."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MASK

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a Secret cannot be pickled")
