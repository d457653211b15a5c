"""seed_store: a deterministic, realistic user base (identities of the four bundled schemas, with sessions)."""

from __future__ import annotations

import base64
import string
import time
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timezone
from functools import cache, lru_cache
from itertools import accumulate
from random import Random
from typing import Any, Protocol
from urllib.parse import quote

from faker import Faker

# Locale -> (weight, country name, phone country code). Several scripts, so traits are real Unicode.
_LOCALES: dict[str, tuple[int, str, str]] = {
    "en_US": (28, "United States", "1"),
    "de_DE": (10, "Germany", "49"),
    "fr_FR": (8, "France", "33"),
    "es_ES": (7, "Spain", "34"),
    "pt_BR": (8, "Brazil", "55"),
    "it_IT": (5, "Italy", "39"),
    "pl_PL": (4, "Poland", "48"),
    "sv_SE": (3, "Sweden", "46"),
    "tr_TR": (3, "Türkiye", "90"),
    "vi_VN": (3, "Vietnam", "84"),
    "ja_JP": (5, "Japan", "81"),
    "zh_CN": (5, "China", "86"),
    "ru_RU": (4, "Russia", "7"),
    "el_GR": (2, "Greece", "30"),
    "hi_IN": (3, "India", "91"),
    "ko_KR": (2, "South Korea", "82"),
}
_POOL = 250  # names, cities and handles per locale
_SCHEMAS = (("default", 78), ("username", 8), ("phone", 6), ("b2b", 8))
_MAIL_DOMAINS = (
    ("gmail.com", 40),
    ("outlook.com", 10),
    ("yahoo.com", 8),
    ("icloud.com", 8),
    ("hotmail.com", 6),
    ("proton.me", 4),
    ("gmx.de", 4),
    ("web.de", 3),
    ("orange.fr", 3),
    ("example.org", 2),
)
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 "
    "Edg/125.0.0.0",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/"
    "117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 "
    "Mobile/15E148 Safari/604.1",
    "okhttp/4.12.0",
    "MyApp/3.14.1 (com.example.myapp; build:1402; iOS 17.4.1) Alamofire/5.9.1",
)
_PLANS = (("free", 60), ("pro", 25), ("team", 10), ("enterprise", 5))
_REFERRALS = ("organic", "google_ads", "newsletter", "friend", "partner", "producthunt", "linkedin")
_NOTES = (
    "VIP: route support tickets to tier 2",
    "Requested account deletion, waiting for confirmation",
    "Chargeback in 2023, check invoices",
    "Migrated from the legacy auth system",
    "Beta tester of the new dashboard",
    "Duplicate account merged",
)
_DEPARTMENTS = ("Engineering", "Sales", "Finance", "Support", "Marketing", "Operations", "Legal")
_B2B_COUNTRIES = ("US", "DE", "FR", "GB", "NL", "SE", "JP", "BR", "IN", "ES")
_ROLES = (("member", 60), ("admin", 15), ("viewer", 15), ("billing", 5), ("owner", 5))
_BCRYPT64 = "./" + string.ascii_uppercase + string.ascii_lowercase + string.digits
_ALNUM = string.ascii_lowercase + string.digits
_SESSION_COUNTS = (25, 55, 75, 87, 95, 100)  # cumulative weights of 0..5 sessions per identity
_SESSION_KINDS = (("active", 35), ("expired", 50), ("disabled", 15))
# Clear the version and variant bits of 128 random bits, then set version 4 and the RFC 4122 variant.
_UUID_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_BITS = (0x4000 << 64) | (0x8000 << 48)
_FIVE_YEARS = 5 * 365.25 * 86400
_DAY = 86400.0


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


def rfc3339(ts: float) -> str:
    """UTC RFC 3339 with microseconds, as Go marshals a UTC time."""
    micros = round(ts * 1_000_000)
    secs, us = divmod(micros, 1_000_000)
    day, rest = divmod(secs, 86400)
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    return f"{_date(day)}T{hour:02d}:{minute:02d}:{sec:02d}.{us:06d}Z"


@lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


@cache
def _cumulative(table: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [k for k, _ in table], list(accumulate(w for _, w in table))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch in _ALNUM)


class _Pools:
    """Names, cities and handles per locale, drawn once from Faker with a fixed seed."""

    def __init__(self, seed: int) -> None:
        fake = Faker(list(_LOCALES))
        fake.seed_instance(seed)
        self.locales = list(_LOCALES)
        self.cum_weights = list(accumulate(w for w, _, _ in _LOCALES.values()))
        self.first: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        self.city: dict[str, list[str]] = {}
        self.handle: dict[str, list[str]] = {}
        for loc in self.locales:
            f = fake[loc]
            self.first[loc] = [f.first_name() for _ in range(_POOL)]
            self.last[loc] = [f.last_name() for _ in range(_POOL)]
            self.city[loc] = [f.city() for _ in range(_POOL // 5)]
            self.handle[loc] = [_ascii(f.user_name()) or "user" for _ in range(_POOL)]
        en = fake["en_US"]
        self.companies = [en.company() for _ in range(40)]


@lru_cache(maxsize=4)
def _pools(seed: int) -> _Pools:
    """Pools depend only on the seed; building them costs about a second, so keep a few."""
    return _Pools(seed)


class _Generator:
    """Builds identity and session docs one by one from one seeded RNG."""

    def __init__(self, seed: int, now: float) -> None:
        self.rng = Random(seed)
        self.now = now
        self.pools = _pools(seed)
        self.used: set[str] = set()
        self.orgs = [(self.uuid(), self.rng.choice(self.pools.companies)) for _ in range(6)]

    # ---- small helpers ---------------------------------------------------------------------------------------

    def uuid(self) -> str:
        """A version-4 UUID drawn from the seeded RNG."""
        h = f"{self.rng.getrandbits(128) & _UUID_MASK | _UUID_BITS:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def token(self, n: int) -> str:
        """n URL-safe base64 characters."""
        return base64.urlsafe_b64encode(self.rng.randbytes(n * 3 // 4 + 1)).decode()[:n]

    def base62(self, n: int) -> str:
        """n letters and digits."""
        return self.token(n).replace("-", "x").replace("_", "Q")

    def base32(self, n: int) -> str:
        """n characters of upper-case base32 (a TOTP secret's alphabet)."""
        return base64.b32encode(self.rng.randbytes(n * 5 // 8 + 1)).decode()[:n]

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.rng.randbytes(nbytes)).decode().rstrip("=")

    def weighted(self, table: tuple[tuple[str, int], ...]) -> str:
        keys, cum = _cumulative(table)
        return self.rng.choices(keys, cum_weights=cum)[0]

    def locale(self) -> str:
        return self.rng.choices(self.pools.locales, cum_weights=self.pools.cum_weights)[0]

    def unique(self, value: str, make_variant: Any) -> str:
        while value in self.used:
            value = make_variant()
        self.used.add(value)
        return value

    def between(self, start: float, end: float) -> float:
        return start + (end - start) * self.rng.random()

    # ---- identity --------------------------------------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        rng = self.rng
        ident = self.uuid()
        schema_id = self.weighted(_SCHEMAS)
        loc = self.locale()
        first, last = rng.choice(self.pools.first[loc]), rng.choice(self.pools.last[loc])
        created = self.now - _FIVE_YEARS * rng.random() ** 1.5  # more sign-ups recently
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
            traits = {"email": email, "company": org[1], "role": self.weighted(_ROLES)}
            if rng.random() < 0.7:
                traits["employee_number"] = rng.randint(1, 20000)
            if rng.random() < 0.8:
                traits["organization"] = {
                    "department": rng.choice(_DEPARTMENTS),
                    "cost_center": f"CC-{rng.randint(100, 999)}",
                    "country": rng.choice(_B2B_COUNTRIES),
                }
        inactive = rng.random() < 0.1
        doc: dict[str, Any] = {"id": ident}
        if rng.random() < 0.25:
            doc["external_id"] = self.unique(self.customer_id(), self.customer_id)
        doc["credentials"] = self.credentials(ident, schema_id, traits, created)
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
        f, la = _ascii(first), _ascii(last)
        if not f or not la:  # a script without Latin letters: people pick a Latin handle
            f, la = rng.choice(self.pools.handle[loc]), ""
        local = (
            rng.choice(
                [f"{f}.{la}", f"{f}{la}", f"{f[:1]}{la}", f"{f}_{la}", f"{f}{rng.randint(1, 99)}", f"{la or f}.{f[:1]}"]
            ).strip("._")
            or "user"
        )
        if company:
            domain = (_ascii(company.split()[0].split("-")[0].split(",")[0]) or "corp") + rng.choice([".com", ".io"])
        else:
            domain = self.weighted(_MAIL_DOMAINS)
        return self.unique(f"{local}@{domain}", lambda: f"{local}{rng.randint(1, 99999)}@{domain}")

    def phone(self, loc: str) -> str:
        code = _LOCALES[loc][2]
        digits = 10 if code in ("1", "86", "91", "55") else 9

        def make() -> str:
            return f"+{code}{self.rng.randint(1, 9)}{self.chars(string.digits, digits - 1)}"

        return self.unique(make(), make)

    def metadata_public(self, loc: str) -> dict[str, Any]:
        return {"plan": self.weighted(_PLANS), "locale": loc.replace("_", "-")}

    def metadata_admin(self) -> dict[str, Any]:
        out: dict[str, Any] = {"referral_source": self.rng.choice(_REFERRALS)}
        if self.rng.random() < 0.4:
            out["internal_notes"] = self.rng.choice(_NOTES)
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
            addr["verified_at"] = rfc3339(self.between(created, min(created + 3 * _DAY, self.now)))
        addr["created_at"] = when
        addr["updated_at"] = addr.get("verified_at", when)
        recovery = {"id": self.uuid(), "value": value, "via": via, "created_at": when, "updated_at": when}
        return [addr], [recovery]

    # ---- credentials -----------------------------------------------------------------------------------------

    def credentials(self, ident: str, schema_id: str, traits: dict[str, Any], created: float) -> dict[str, Any]:
        rng = self.rng
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
            creds["password"] = cred("password", password_ids, {"hashed_password": self.password_hash()}, 1)
        if oidc:
            creds["oidc"] = cred("oidc", *self.oidc(), 0)
        code_ids = [("sms", traits["phone"])] if schema_id == "phone" else []
        if schema_id in ("default", "b2b"):
            code_ids = [("email", traits["email"])]
        if code_ids:
            config = {"addresses": [{"channel": ch, "address": a} for ch, a in code_ids]}
            creds["code"] = cred("code", [a for _, a in code_ids], config, 1)
        if "password" in creds and rng.random() < 0.15:
            label, secret = quote(password_ids[0], safe=""), self.base32(32)
            url = f"otpauth://totp/Acme:{label}?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret={secret}"
            creds["totp"] = cred("totp", [ident], {"totp_url": url}, 0)
            if rng.random() < 0.4:
                codes = [{"code": self.rng.randbytes(4).hex()} for _ in range(12)]
                for used in rng.sample(codes, rng.randint(0, 3)):
                    used["used_at"] = rfc3339(self.between(created, self.now))
                creds["lookup_secret"] = cred("lookup_secret", [ident], {"recovery_codes": codes}, 0)
        return creds

    def password_hash(self) -> str:
        """A well-formed hash string of a kind Kratos imports (never computed from a password)."""
        kind = self.rng.random()
        if kind < 0.8:
            return f"$argon2id$v=19$m=65536,t=3,p=4${self.b64(16)}${self.b64(32)}"
        if kind < 0.95:
            return f"$pbkdf2-sha256$i=100000,l=32${self.b64(16)}${self.b64(32)}"
        return f"$2a$10${self.chars(_BCRYPT64, 53)}"

    def oidc(self) -> tuple[list[str], dict[str, Any]]:
        rng = self.rng
        providers: list[dict[str, Any]] = []
        for provider in rng.choice([["google"], ["google"], ["github"], ["google", "github"]]):
            subject = str(rng.randint(10**20, 10**21 - 1)) if provider == "google" else str(rng.randint(10**5, 10**9))
            subject = self.unique(f"{provider}:{subject}", lambda p=provider: f"{p}:{rng.randint(10**5, 10**21)}")
            entry: dict[str, Any] = {"subject": subject.split(":", 1)[1], "provider": provider}
            tokens = rng.random() < 0.6  # secrets the client must never export
            entry["initial_id_token"] = self.fake_jwt() if tokens else ""
            if provider == "google":
                entry["initial_access_token"] = f"ya29.{self.token(120)}" if tokens else ""
                entry["initial_refresh_token"] = f"1//0{self.token(98)}" if tokens else ""
            else:
                entry["initial_access_token"] = f"gho_{self.base62(36)}" if tokens else ""
                entry["initial_refresh_token"] = f"ghr_{self.base62(76)}" if tokens else ""
            providers.append(entry)
        return [f"{p['provider']}:{p['subject']}" for p in providers], {"providers": providers}

    def fake_jwt(self) -> str:
        def part(n: int) -> str:
            return base64.urlsafe_b64encode(self.rng.randbytes(n)).decode().rstrip("=")

        return f"eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.{part(180)}.{part(256)}"

    # ---- sessions --------------------------------------------------------------------------------------------

    def sessions(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.choices(range(6), cum_weights=_SESSION_COUNTS)[0]
        if not count:
            return []
        created = datetime.fromisoformat(doc["created_at"].replace("Z", "+00:00")).timestamp()
        creds = doc.get("credentials") or {}
        first_factor = "password" if "password" in creds else "oidc" if "oidc" in creds else "code"
        out = []
        for _ in range(count):
            lifespan = rng.choice([1, 1, 3, 30]) * _DAY
            kind = self.weighted(_SESSION_KINDS)
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
        location = f"{rng.choice(self.pools.city[loc])}, {_LOCALES[loc][1]}" if rng.random() < 0.9 else None
        return {"id": self.uuid(), "ip_address": ip, "user_agent": rng.choice(_USER_AGENTS), "location": location}
