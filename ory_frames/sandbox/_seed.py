"""seed_store: a deterministic, realistic user base (identities of the four bundled schemas, with sessions)."""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Protocol

from .._rfc3339 import parse_rfc3339
from ._seed_credentials import credentials
from ._seed_draw import (
    B2B_COUNTRIES,
    DAY,
    DEPARTMENTS,
    FIVE_YEARS,
    LOCALES,
    MAIL_DOMAINS,
    MOBILE_RANGES,
    NOTES,
    PLANS,
    REFERRALS,
    ROLES,
    SCHEMAS,
    SESSION_COUNTS,
    SESSION_KINDS,
    USER_AGENTS,
    Draw,
    ascii_fold,
    rfc3339,
)


class SeedTarget(Protocol):
    """What seed_store needs of a store (docs/architecture.md, sandbox internals)."""

    def insert_identities(self, docs: list[dict[str, Any]]) -> None: ...
    def insert_sessions(self, docs: list[dict[str, Any]]) -> None: ...


def seed_store(
    store: SeedTarget, *, identities: int, seed: int = 0, now: datetime | None = None, chunk_size: int = 5000
) -> None:
    """Fill a store with `identities` realistic identities and their sessions, the same ones for the same seed.

    Parameters
    ----------
    store
        A sandbox `Store` (anything with `insert_identities` and `insert_sessions`).
    identities
        How many identities to create.
    seed
        Seed of every random choice: ids, names, credentials, sessions.
    now
        The moment the user base is seen from (default: the current time); with a fixed `now` the documents are
        identical from run to run.
    chunk_size
        Identities per bulk insert.

    Examples
    --------
    >>> seed_store(store, identities=1000, seed=7)  # doctest: +SKIP
    """
    if identities < 0:
        raise ValueError(f"identities must not be negative, got {identities}")
    moment = (now or datetime.now(timezone.utc)).timestamp()
    gen = _Generator(seed, moment)
    batch: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    for _ in range(identities):
        doc = gen.identity()
        batch.append(doc)
        sessions.extend(gen.sessions(doc))
        if len(batch) >= chunk_size:
            store.insert_identities(batch)
            store.insert_sessions(sessions)
            batch, sessions = [], []
    if batch:
        store.insert_identities(batch)
        store.insert_sessions(sessions)


def iter_seed_docs(
    count: int, *, seed: int = 0, now: datetime | None = None
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(identity doc, its session docs) pairs exactly as seed_store inserts them."""
    gen = _Generator(seed, (now or datetime.now(timezone.utc)).timestamp())
    for _ in range(count):
        doc = gen.identity()
        yield doc, gen.sessions(doc)


class _Generator(Draw):
    """Builds identity and session docs one by one from one seeded RNG."""

    def __init__(self, seed: int, now: float) -> None:
        super().__init__(seed, now)
        self.orgs = [(self.uuid(), self.rng.choice(self.pools.companies)) for _ in range(6)]

    # ---- identity --------------------------------------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        rng = self.rng
        ident = self.uuid()
        schema_id = self.weighted(SCHEMAS)
        loc = self.locale()
        first, last = rng.choice(self.pools.first[loc]), rng.choice(self.pools.last[loc])
        created = self.now - FIVE_YEARS * rng.random() ** 1.5  # more sign-ups recently
        updated = self.between(created, self.now) if rng.random() < 0.4 else created
        org: tuple[str, str] | None = rng.choice(self.orgs) if schema_id == "b2b" else None
        email = self.email(loc, first, last, org[1] if org else None)
        traits: dict[str, Any]
        phone: str | None = None
        if schema_id == "default":
            traits = {"email": email, "name": {"first": first, "last": last}}
            if rng.random() < 0.5:
                traits["newsletter"] = rng.random() < 0.35
            if rng.random() < 0.3:
                traits["age"] = rng.randint(16, 85)
        elif schema_id == "username":
            handle = rng.choice(self.pools.handle[loc])[:24].ljust(3, "0")
            username = self.unique(handle, lambda h=handle: f"{h}{rng.randint(1, 9999)}")
            traits = {"username": username}
            if rng.random() < 0.7:
                traits["email"] = email
        elif schema_id == "phone":
            phone = self.phone(loc)
            traits = {"phone": phone}
            if rng.random() < 0.6:
                traits["name"] = {"first": first, "last": last}
        else:
            assert org is not None
            traits = {"email": email, "company": org[1], "role": self.weighted(ROLES)}
            if rng.random() < 0.7:
                traits["employee_number"] = rng.randint(1, 20000)
            if rng.random() < 0.8:
                traits["organization"] = {
                    "department": rng.choice(DEPARTMENTS),
                    "cost_center": f"CC-{rng.randint(100, 999)}",
                    "country": rng.choice(B2B_COUNTRIES),
                }
        inactive = rng.random() < 0.1
        doc: dict[str, Any] = {"id": ident}
        if rng.random() < 0.25:
            doc["external_id"] = self.unique(self.customer_id(), self.customer_id)
        doc["credentials"] = credentials(self, ident, schema_id, traits, created)
        doc["schema_id"] = schema_id
        doc["state"] = "inactive" if inactive else "active"
        doc["state_changed_at"] = rfc3339(self.between(created, self.now) if inactive else created)
        doc["traits"] = traits
        doc["verifiable_addresses"], doc["recovery_addresses"] = self.addresses(schema_id, traits, created)
        doc["metadata_public"] = self.metadata_public(loc) if rng.random() < 0.3 else None
        doc["metadata_admin"] = self.metadata_admin() if rng.random() < 0.15 else None
        doc["created_at"] = rfc3339(created)
        doc["updated_at"] = rfc3339(updated)
        doc["organization_id"] = org[0] if org else None
        return doc

    def customer_id(self) -> str:
        return "cus_" + base64.b32encode(self.rng.randbytes(9)).decode()[:14].lower()

    def email(self, loc: str, first: str, last: str, company: str | None) -> str:
        rng = self.rng
        f, la = ascii_fold(first), ascii_fold(last)
        if not f or not la:  # a script without Latin letters: people pick a Latin handle
            f, la = rng.choice(self.pools.handle[loc]), ""
        local = (
            rng.choice(
                [f"{f}.{la}", f"{f}{la}", f"{f[:1]}{la}", f"{f}_{la}", f"{f}{rng.randint(1, 99)}", f"{la or f}.{f[:1]}"]
            ).strip("._")
            or "user"
        )
        if company:
            word = ascii_fold(company.split()[0].split("-")[0].split(",")[0])
            domain = (word or "corp") + rng.choice([".com", ".io"])
        else:
            domain = self.weighted(MAIL_DOMAINS)
        return self.unique(f"{local}@{domain}", lambda: f"{local}{rng.randint(1, 99999)}@{domain}")

    def phone(self, loc: str) -> str:
        code = LOCALES[loc][2]
        digits = 10 if code in ("1", "86", "91", "55") else 9
        length, prefixes = MOBILE_RANGES[code]

        def make() -> str:
            # A number Kratos' `tel` format (libphonenumber) accepts: a mobile range of the country, then digits.
            # The draws are the ones random numbers took before, so the rest of the seed stays as it was.
            prefix = prefixes[self.rng.randint(1, 9) - 1]
            return f"+{code}{prefix}{self.chars(string.digits, digits - 1)[: length - len(prefix)]}"

        return self.unique(make(), make)

    def metadata_public(self, loc: str) -> dict[str, Any]:
        return {"plan": self.weighted(PLANS), "locale": loc.replace("_", "-")}

    def metadata_admin(self) -> dict[str, Any]:
        out: dict[str, Any] = {"referral_source": self.rng.choice(REFERRALS)}
        if self.rng.random() < 0.4:
            out["internal_notes"] = self.rng.choice(NOTES)
        if self.rng.random() < 0.5:
            out["crm_id"] = f"0015{self.chars(string.ascii_uppercase + string.digits, 14)}"
        return out

    def addresses(
        self, schema_id: str, traits: dict[str, Any], created: float
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        value, via = (traits.get("phone"), "sms") if schema_id == "phone" else (traits.get("email"), "email")
        if not value:
            return [], []
        when = rfc3339(created)
        verified = rng.random() < 0.65
        addr: dict[str, Any] = {
            "id": self.uuid(),
            "value": value,
            "verified": verified,
            "via": via,
            "status": "completed" if verified else rng.choice(["pending", "sent", "sent"]),
        }
        if verified:
            addr["verified_at"] = rfc3339(self.between(created, min(created + 3 * DAY, self.now)))
        addr["created_at"] = when
        addr["updated_at"] = addr.get("verified_at", when)
        recovery = {"id": self.uuid(), "value": value, "via": via, "created_at": when, "updated_at": when}
        return [addr], [recovery]

    # ---- sessions --------------------------------------------------------------------------------------------

    def sessions(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.choices(range(6), cum_weights=SESSION_COUNTS)[0]
        if not count:
            return []
        created = parse_rfc3339(doc["created_at"]).timestamp()
        creds = doc.get("credentials") or {}
        first_factor = "password" if "password" in creds else "oidc" if "oidc" in creds else "code"
        out = []
        for _ in range(count):
            lifespan = rng.choice([1, 1, 3, 30]) * DAY
            kind = self.weighted(SESSION_KINDS)
            if kind == "active":
                start = self.between(max(created, self.now - lifespan * 0.95), self.now)
            else:
                start = self.between(created, max(created, self.now - lifespan))
            aal2 = "totp" in creds and rng.random() < 0.7
            t0 = rfc3339(start)
            method: dict[str, Any] = {"method": first_factor, "aal": "aal1", "completed_at": t0}
            if first_factor == "oidc":
                method["provider"] = creds["oidc"]["config"]["providers"][0]["provider"]
            methods = [method]
            if aal2:
                methods.append({"method": "totp", "aal": "aal2", "completed_at": rfc3339(start + rng.randint(5, 60))})
            out.append(
                {
                    "id": self.uuid(),
                    "identity_id": doc["id"],
                    "active": kind != "disabled",
                    "expires_at": rfc3339(start + lifespan),
                    "authenticated_at": t0,
                    "issued_at": t0,
                    "authenticator_assurance_level": "aal2" if aal2 else "aal1",
                    "authentication_methods": methods,
                    "devices": [self.device(doc) for _ in range(rng.choice([1, 1, 1, 2]))],
                    "created_at": t0,
                    "updated_at": rfc3339(start + rng.randint(0, 3600)) if rng.random() < 0.3 else t0,
                }
            )
        return out

    def device(self, doc: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.15:
            ip = "2a02:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(7))
        else:
            ip = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        loc = self.locale()
        location = f"{rng.choice(self.pools.city[loc])}, {LOCALES[loc][1]}" if rng.random() < 0.9 else None
        return {"id": self.uuid(), "ip_address": ip, "user_agent": rng.choice(USER_AGENTS), "location": location}
