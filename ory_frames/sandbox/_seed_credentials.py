"""Seeded credentials as Kratos stores them: password hashes, OIDC providers with tokens, TOTP and lookup codes."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from ._seed_draw import BCRYPT64, Draw, rfc3339


def credentials(draw: Draw, ident: str, schema_id: str, traits: dict[str, Any], created: float) -> dict[str, Any]:
    """The `credentials` object of one seeded identity, with each credential's `config` (its secrets)."""
    rng = draw.rng
    when = rfc3339(created)
    creds: dict[str, Any] = {}

    def cred(kind: str, identifiers: list[str], config: dict[str, Any], version: int) -> dict[str, Any]:
        return {
            "type": kind,
            "identifiers": identifiers,
            "config": config,
            "version": version,
            "created_at": when,
            "updated_at": when,
        }

    # Identifiers follow the bundled schemas' `ory.sh/kratos` extensions.
    password_ids = [traits["email"]] if schema_id in ("default", "b2b") else []
    if schema_id == "username":
        password_ids = [traits["username"].lower()]
    oidc = schema_id in ("default", "b2b") and rng.random() < 0.25
    if password_ids and (not oidc or rng.random() < 0.3):
        creds["password"] = cred("password", password_ids, {"hashed_password": password_hash(draw)}, 1)
    if oidc:
        creds["oidc"] = cred("oidc", *oidc_providers(draw), 0)
    code_ids = [("sms", traits["phone"])] if schema_id == "phone" else []
    if schema_id in ("default", "b2b"):
        code_ids = [("email", traits["email"])]
    if code_ids:
        config = {"addresses": [{"channel": ch, "address": a} for ch, a in code_ids]}
        creds["code"] = cred("code", [a for _, a in code_ids], config, 1)
    if "password" in creds and rng.random() < 0.15:
        label, secret = quote(password_ids[0], safe=""), draw.base32(32)
        url = f"otpauth://totp/Acme:{label}?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret={secret}"
        creds["totp"] = cred("totp", [ident], {"totp_url": url}, 0)
        if rng.random() < 0.4:
            codes = [{"code": rng.randbytes(4).hex()} for _ in range(12)]
            for used in rng.sample(codes, rng.randint(0, 3)):
                used["used_at"] = rfc3339(draw.between(created, draw.now))
            creds["lookup_secret"] = cred("lookup_secret", [ident], {"recovery_codes": codes}, 0)
    return creds


def password_hash(draw: Draw) -> str:
    """A well-formed hash string of a kind Kratos imports (never computed from a password)."""
    kind = draw.rng.random()
    if kind < 0.8:
        return f"$argon2id$v=19$m=65536,t=3,p=4${draw.b64(16)}${draw.b64(32)}"
    if kind < 0.95:
        return f"$pbkdf2-sha256$i=100000,l=32${draw.b64(16)}${draw.b64(32)}"
    return f"$2a$10${draw.chars(BCRYPT64, 53)}"


def oidc_providers(draw: Draw) -> tuple[list[str], dict[str, Any]]:
    """Identifiers (`provider:subject`) and the `config.providers` of an OIDC credential, tokens included."""
    rng = draw.rng
    providers: list[dict[str, Any]] = []
    for provider in rng.choice([["google"], ["google"], ["github"], ["google", "github"]]):
        subject = str(rng.randint(10**20, 10**21 - 1)) if provider == "google" else str(rng.randint(10**5, 10**9))
        subject = draw.unique(f"{provider}:{subject}", lambda p=provider: f"{p}:{rng.randint(10**5, 10**21)}")
        entry: dict[str, Any] = {"subject": subject.split(":", 1)[1], "provider": provider}
        tokens = rng.random() < 0.6  # secrets the client must never export
        entry["initial_id_token"] = fake_jwt(draw) if tokens else ""
        if provider == "google":
            entry["initial_access_token"] = f"ya29.{draw.token(120)}" if tokens else ""
            entry["initial_refresh_token"] = f"1//0{draw.token(98)}" if tokens else ""
        else:
            entry["initial_access_token"] = f"gho_{draw.base62(36)}" if tokens else ""
            entry["initial_refresh_token"] = f"ghr_{draw.base62(76)}" if tokens else ""
        providers.append(entry)
    return [f"{p['provider']}:{p['subject']}" for p in providers], {"providers": providers}


def fake_jwt(draw: Draw) -> str:
    """A token shaped like an RS256 JWT, with random bytes for its payload and signature."""

    def part(n: int) -> str:
        return base64.urlsafe_b64encode(draw.rng.randbytes(n)).decode().rstrip("=")

    return f"eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.{part(180)}.{part(256)}"
