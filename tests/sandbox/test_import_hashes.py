"""Importing identities into the sandbox as Kratos does: password hashes, OIDC providers, per-item batch conflicts.

Everything goes over real HTTP to `ory_frames.drift_support.running()`. The expected behaviour is Kratos'
(`hash/hash_comparator.go`, `hash/hash_limits.go`, `identity/handler_import.go`,
`persistence/sql/identity/persister_identity.go`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")

from drift_support import running
from sandbox_helpers import assert_error, assert_success

from ory_frames import Client

# Compares answers with Ory's exact wire shapes (and ory-client's strict models): drift changes them.
pytestmark = pytest.mark.conformance

BAD_400 = "The request was malformed or contained invalid parameters"
UNKNOWN = "The imported password does not match any known hash format."
UNPARSABLE = "The imported password hash could not be parsed."
BOUNDS = (
    "The imported password hash declares cost parameters that exceed the bounds enforced by Ory. "
    "Re-hash the password with a more conservative configuration before importing."
)
UNIQUE = "Unable to insert or update resource because a resource with that value exists already"

PASSWORD = b"correct horse battery staple"
SALT = b"NaCl-and-pepper!"  # 16 bytes
KEY = b"hmac-signing-key"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw64(data: bytes) -> str:
    return b64(data).rstrip("=")


_CRYPT = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
)


def bcrypt_like(prefix: str = "$2a$", cost: str = "12") -> str:
    """A bcrypt string of the right shape: 22 salt and 31 hash characters in bcrypt's alphabet."""
    digest = hashlib.sha256(PASSWORD).digest()
    return f"{prefix}{cost}${raw64(SALT).translate(_CRYPT)}{raw64(digest[:23]).translate(_CRYPT)}"


def argon2_like(variant: str = "argon2id", params: str = "m=65536,t=3,p=4", version: str = "v=19") -> str:
    """An argon2 string of the right shape (the digest is not a real argon2 digest; Kratos cannot tell on import)."""
    return f"${variant}${version}${params}${raw64(SALT)}${raw64(hashlib.blake2b(PASSWORD, digest_size=32).digest())}"


def pbkdf2(alg: str, iterations: int = 1000, length: int = 32) -> str:
    key = hashlib.pbkdf2_hmac(alg, PASSWORD, SALT, iterations, length)
    return f"$pbkdf2-{alg}$i={iterations},l={length}${raw64(SALT)}${raw64(key)}"


def scrypt(n: int = 1024, r: int = 8, p: int = 1) -> str:
    key = hashlib.scrypt(PASSWORD, salt=SALT, n=n, r=r, p=p, dklen=32)
    return f"$scrypt$ln={n},r={r},p={p}${b64(SALT)}${b64(key)}"


def firescrypt(params: str = "ln=14,r=8,p=1", separator: str = "Bw==") -> str:
    """Firebase's export shape; the last field is the project's signer key."""
    derived = hashlib.sha256(SALT + PASSWORD).digest()
    signer = hashlib.sha512(b"signer").digest()
    return f"$firescrypt${params}${b64(SALT)}${b64(derived)}${separator}${b64(signer)}"


def ssha(tag: str, algorithm: str) -> str:
    return "{" + tag + "}" + b64(hashlib.new(algorithm, PASSWORD + SALT).digest() + SALT)


def sha(algorithm: str) -> str:
    digest = hashlib.new(algorithm, SALT + PASSWORD).digest()
    return f"${algorithm}$pf={b64(b'{SALT}{PASSWORD}')}${b64(SALT)}${b64(digest)}"


def hmac_hash(algorithm: str) -> str:
    mac = hmac.new(KEY, PASSWORD, algorithm).hexdigest().encode()
    return f"$hmac-{algorithm}${b64(mac)}${b64(KEY)}"


VALID = {
    "bcrypt 2a": bcrypt_like(),
    "bcrypt 2b": bcrypt_like("$2b$", "10"),
    "bcrypt 2y": bcrypt_like("$2y$", "04"),
    "bcrypt 2z": bcrypt_like("$2z$", "15"),
    "bcrypt without minor": bcrypt_like("$2$", "11"),
    "argon2id": argon2_like(),
    "argon2i": argon2_like("argon2i", "m=4096,t=10,p=1"),
    "argon2id at every bound": argon2_like(params=f"m={1 << 20},t=10,p=16"),
    "argon2id, text after the parameters": argon2_like(params="m=65536,t=3,p=4,data=x"),
    "argon2id, space before a number": argon2_like(params="m= 65536,t=3,p=4"),
    "argon2id, empty salt": "$argon2id$v=19$m=65536,t=3,p=4$$" + raw64(b"0123456789abcdef"),
    "pbkdf2-sha1": pbkdf2("sha1", 10_000, 20),
    "pbkdf2-sha256": pbkdf2("sha256", 600_000 // 100),
    "pbkdf2-sha512": pbkdf2("sha512", 1000, 64),
    "pbkdf2 at max iterations": f"$pbkdf2-sha256$i=10000000,l=32${raw64(SALT)}${raw64(SALT * 2)}",
    "scrypt": scrypt(),
    "scrypt at every bound": f"$scrypt$ln={1 << 17},r=8,p=10${b64(SALT)}${b64(SALT)}",
    "firescrypt": firescrypt(),
    "firescrypt ln=0": firescrypt("ln=0,r=1,p=1"),
    "ssha": ssha("SSHA", "sha1"),
    "ssha256": ssha("SSHA256", "sha256"),
    "ssha512": ssha("SSHA512", "sha512"),
    "sha1": sha("sha1"),
    "sha256": sha("sha256"),
    "sha512": sha("sha512"),
    "md5": "$md5$" + b64(hashlib.md5(PASSWORD).digest()),
    "md5 salted": f"$md5$pf={b64(b'{SALT}{PASSWORD}')}${b64(SALT)}${b64(hashlib.md5(SALT + PASSWORD).digest())}",
    "hmac-sha256": hmac_hash("sha256"),
    "hmac-sha512": hmac_hash("sha512"),
    "hmac-md5": hmac_hash("md5"),
    "md5-crypt": "$md5-crypt$" + raw64(SALT[:6]).translate(_CRYPT) + "$" + raw64(SALT).translate(_CRYPT),
    "sha256-crypt": "$sha256-crypt$rounds=5000$" + raw64(SALT[:12]).translate(_CRYPT) + "$" + "a" * 43,
    "sha512-crypt": "$sha512-crypt$" + raw64(SALT[:12]).translate(_CRYPT) + "$" + "b" * 86,
    # Kratos parses these families only when a user logs in, not on import: their body is not checked.
    "md5, body not base64": "$md5$not base64!",
    "sha1, no fields": "$sha1$",
    "ssha, nothing after the tag": "{SSHA}",
    "hmac, one field": "$hmac-sha1$abc",
}

SALT_RAW, SALT_STD = raw64(SALT), b64(SALT)
MALFORMED = {
    # not a family Kratos knows
    "empty": ("", UNKNOWN),
    "plain text": ("hunter2", UNKNOWN),
    "crypt(3) md5 id": ("$1$saltsalt$" + "c" * 22, UNKNOWN),
    "crypt(3) sha512 id": ("$6$saltsalt$" + "d" * 86, UNKNOWN),
    "bcrypt 2x": (bcrypt_like("$2x$"), UNKNOWN),
    "pbkdf2 without digest size": (f"$pbkdf2-sha$i=1,l=32${SALT_RAW}${SALT_RAW}", UNKNOWN),
    "hmac-sha3": ("$hmac-sha3-256$" + b64(b"x") + "$" + b64(KEY), UNKNOWN),
    "{SHA} without salt": ("{SHA}" + b64(hashlib.sha1(PASSWORD).digest()), UNKNOWN),
    "argon2d": (argon2_like("argon2d"), UNKNOWN),
    # bcrypt: length, cost digits, cost range, then Ory's bound
    "bcrypt too short": (bcrypt_like()[:58], UNPARSABLE),
    "bcrypt cost not a number": (bcrypt_like(cost="1a"), UNPARSABLE),
    "bcrypt cost below 4": (bcrypt_like(cost="03"), UNPARSABLE),
    "bcrypt cost above 31": (bcrypt_like(cost="32"), UNPARSABLE),
    "bcrypt cost above Ory's 15": (bcrypt_like(cost="16"), BOUNDS),
    "bcrypt cost 31": (bcrypt_like(cost="31"), BOUNDS),
    # argon2: fields, version, parameters, bounds, unpadded standard base64
    "argon2id missing hash": (argon2_like().rsplit("$", 1)[0], UNPARSABLE),
    "argon2id version 16": (argon2_like(version="v=16"), UNPARSABLE),
    "argon2id version missing": (argon2_like(version="19"), UNPARSABLE),
    "argon2id missing t": (argon2_like(params="m=65536,p=4"), UNPARSABLE),
    "argon2id t not a number": (argon2_like(params="m=65536,t=x,p=4"), UNPARSABLE),
    "argon2id negative m": (argon2_like(params="m=-1,t=3,p=4"), UNPARSABLE),
    "argon2id p overflows uint8": (argon2_like(params="m=65536,t=3,p=256"), UNPARSABLE),
    "argon2id newline before a number": (argon2_like(params="m=\n65536,t=3,p=4"), UNPARSABLE),
    "argon2id m=0": (argon2_like(params="m=0,t=3,p=4"), BOUNDS),
    "argon2id m above 1 GiB": (argon2_like(params=f"m={(1 << 20) + 1},t=3,p=4"), BOUNDS),
    "argon2id t=11": (argon2_like(params="m=65536,t=11,p=4"), BOUNDS),
    "argon2i p=17": (argon2_like("argon2i", params="m=65536,t=3,p=17"), BOUNDS),
    "argon2id bounds before base64": ("$argon2id$v=19$m=0,t=3,p=4$!!$!!", BOUNDS),
    "argon2id padded salt": (f"$argon2id$v=19$m=65536,t=3,p=4${SALT_STD}${SALT_RAW}", UNPARSABLE),
    "argon2id url-safe alphabet": (f"$argon2id$v=19$m=65536,t=3,p=4$ab-_$${SALT_RAW}", UNPARSABLE),
    "argon2id non-zero trailing bits": (f"$argon2id$v=19$m=65536,t=3,p=4$c2FsdB${SALT_RAW}", UNPARSABLE),
    "argon2id impossible length": (f"$argon2id$v=19$m=65536,t=3,p=4$abcde${SALT_RAW}", UNPARSABLE),
    # pbkdf2
    "pbkdf2 four fields": (f"$pbkdf2-sha256$i=1000,l=32${SALT_RAW}", UNPARSABLE),
    "pbkdf2 missing l": (f"$pbkdf2-sha256$i=1000${SALT_RAW}${SALT_RAW}", UNPARSABLE),
    "pbkdf2 parameters swapped": (f"$pbkdf2-sha256$l=32,i=1000${SALT_RAW}${SALT_RAW}", UNPARSABLE),
    "pbkdf2 padded hash": (f"$pbkdf2-sha256$i=1000,l=32${SALT_RAW}${SALT_STD}", UNPARSABLE),
    "pbkdf2 i=0": (f"$pbkdf2-sha256$i=0,l=32${SALT_RAW}${SALT_RAW}", BOUNDS),
    "pbkdf2 i above 10M": (f"$pbkdf2-sha512$i=10000001,l=64${SALT_RAW}${SALT_RAW}", BOUNDS),
    # scrypt: N itself (not its log), standard padded base64
    "scrypt missing p": (f"$scrypt$ln=16384,r=8${SALT_STD}${SALT_STD}", UNPARSABLE),
    "scrypt unpadded salt": (f"$scrypt$ln=16384,r=8,p=1${SALT_RAW}${SALT_STD}", UNPARSABLE),
    "scrypt six fields": (f"$scrypt$ln=16384,r=8,p=1${SALT_STD}${SALT_STD}$", UNPARSABLE),
    "scrypt N=0": (f"$scrypt$ln=0,r=8,p=1${SALT_STD}${SALT_STD}", BOUNDS),
    "scrypt N above 2^17": (f"$scrypt$ln={(1 << 17) + 1},r=8,p=1${SALT_STD}${SALT_STD}", BOUNDS),
    "scrypt r=9": (f"$scrypt$ln=16384,r=9,p=1${SALT_STD}${SALT_STD}", BOUNDS),
    "scrypt p=11": (f"$scrypt$ln=16384,r=8,p=11${SALT_STD}${SALT_STD}", BOUNDS),
    # Firebase scrypt: log2(N), four padded fields
    "firescrypt without signer key": (firescrypt().rsplit("$", 1)[0], UNPARSABLE),
    "firescrypt bad separator": (firescrypt(separator="Bw="), UNPARSABLE),
    "firescrypt missing r": (firescrypt("ln=14,p=1"), UNPARSABLE),
    "firescrypt ln=18": (firescrypt("ln=18,r=8,p=1"), BOUNDS),
    "firescrypt r=0": (firescrypt("ln=14,r=0,p=1"), BOUNDS),
    "firescrypt p=11": (firescrypt("ln=14,r=8,p=11"), BOUNDS),
}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with running() as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def _email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.com"


def _body(email: str, credentials: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schema_id": "default", "traits": {"email": email}, **extra}
    if credentials is not None:
        body["credentials"] = credentials
    return body


def _hashed(hashed: str) -> dict[str, Any]:
    return {"password": {"config": {"hashed_password": hashed}}}


def _find(http: httpx.Client, identifier: str, include: str = "password") -> list[dict[str, Any]]:
    params = {"credentials_identifier": identifier, "include_credential": include}
    found: list[dict[str, Any]] = assert_success(http.get("/admin/identities", params=params))
    return found


def _decode_error(resp: httpx.Response, message: str) -> None:
    """A Go JSON decode failure: HTTP 400 with Go's text as message; create says code 400 (wire notes §5), the
    batch keeps herodot's default code 500 in the body (wire notes §4)."""
    assert resp.status_code == 400, resp.text
    batch = resp.request.method == "PATCH"
    status = "Internal Server Error" if batch else "Bad Request"
    assert resp.json() == {"error": {"code": 500 if batch else 400, "status": status, "message": message}}


@pytest.mark.parametrize("hashed", list(VALID.values()), ids=list(VALID))
def test_hash_imports_and_reads_back_verbatim(http: httpx.Client, hashed: str) -> None:
    email = _email()
    created = assert_success(http.post("/admin/identities", json=_body(email, _hashed(hashed))), 201)
    assert created["credentials"]["password"]["identifiers"] == [email]
    assert "config" not in created["credentials"]["password"]
    got = assert_success(http.get(f"/admin/identities/{created['id']}", params={"include_credential": "password"}))
    assert got["credentials"]["password"]["config"] == {"hashed_password": hashed}
    [listed] = _find(http, email)
    assert listed["credentials"]["password"]["config"]["hashed_password"] == hashed


@pytest.mark.parametrize(("hashed", "reason"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_hash_fails_like_kratos(http: httpx.Client, hashed: str, reason: str) -> None:
    email = _email()
    err = assert_error(http.post("/admin/identities", json=_body(email, _hashed(hashed))), 400)
    assert err == {"code": 400, "status": "Bad Request", "reason": reason, "message": BAD_400}
    assert _find(http, email) == []


def test_malformed_hash_fails_the_whole_batch(http: httpx.Client) -> None:
    good, bad = _email(), _email()
    items = [
        {"create": _body(good, _hashed(VALID["argon2id"]))},
        {"create": _body(bad, _hashed(MALFORMED["scrypt r=9"][0]))},
    ]
    assert_error(http.patch("/admin/identities", json={"identities": items}), 400, reason=BOUNDS, message=BAD_400)
    assert _find(http, good) == [] and _find(http, bad) == []


def test_batch_imports_hashes_verbatim(http: httpx.Client) -> None:
    emails = {_email(): hashed for hashed in (VALID["bcrypt 2y"], VALID["firescrypt"], VALID["hmac-sha256"])}
    items = [{"create": _body(email, _hashed(hashed))} for email, hashed in emails.items()]
    answer = assert_success(http.patch("/admin/identities", json={"identities": items}))
    assert [entry["action"] for entry in answer["identities"]] == ["create"] * 3
    for email, hashed in emails.items():
        [found] = _find(http, email)
        assert found["credentials"]["password"]["config"] == {"hashed_password": hashed}


def test_put_imports_and_checks_hashes(http: httpx.Client) -> None:
    email = _email()
    ident = assert_success(http.post("/admin/identities", json=_body(email, _hashed(VALID["bcrypt 2a"]))), 201)
    path = f"/admin/identities/{ident['id']}"
    put = {"schema_id": "default", "traits": {"email": email}, "credentials": _hashed(MALFORMED["pbkdf2 i=0"][0])}
    assert_error(http.put(path, json=put), 400, reason=BOUNDS, message=BAD_400)
    put["credentials"] = _hashed(VALID["pbkdf2-sha512"])
    assert_success(http.put(path, json=put))
    got = assert_success(http.get(path, params={"include_credential": "password"}))
    assert got["credentials"]["password"]["config"] == {"hashed_password": VALID["pbkdf2-sha512"]}


def test_password_config_rules(http: httpx.Client) -> None:
    # The migration hook wins over any hash given with it; the stored config keeps an empty hash.
    hook = {"password": {"config": {"use_password_migration_hook": True, "hashed_password": "not-checked"}}}
    ident = assert_success(http.post("/admin/identities", json=_body(_email(), hook)), 201)
    got = assert_success(http.get(f"/admin/identities/{ident['id']}", params={"include_credential": "password"}))
    assert got["credentials"]["password"]["config"] == {"hashed_password": "", "use_password_migration_hook": True}
    # A plaintext password wins over a hash: it is hashed, and the given hash is not looked at.
    both = {"password": {"config": {"password": "s3cret-pw!", "hashed_password": "garbage"}}}
    ident = assert_success(http.post("/admin/identities", json=_body(_email(), both)), 201)
    got = assert_success(http.get(f"/admin/identities/{ident['id']}", params={"include_credential": "password"}))
    stored = got["credentials"]["password"]["config"]["hashed_password"]
    assert stored.startswith("$pbkdf2-sha256$") and "s3cret" not in stored
    # A password credential without hash, password or hook is an empty hash: not a known format.
    empties: list[dict[str, Any]] = [
        {"password": {}},
        {"password": {"config": {}}},
        {"password": {"config": {"hashed_password": ""}}},
    ]
    for empty in empties:
        assert_error(http.post("/admin/identities", json=_body(_email(), empty)), 400, reason=UNKNOWN)
    # `"password": null` imports nothing.
    assert_success(http.post("/admin/identities", json=_body(_email(), {"password": None})), 201)


def test_password_config_decode_errors(http: httpx.Client) -> None:
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "number hash": (
            {"password": {"config": {"hashed_password": 5}}},
            "json: cannot unmarshal number into Go struct field AdminIdentityImportCredentialsPasswordConfig"
            ".credentials.password.config.hashed_password of type string",
        ),
        "string hook": (
            {"password": {"config": {"use_password_migration_hook": "yes"}}},
            "json: cannot unmarshal string into Go struct field AdminIdentityImportCredentialsPasswordConfig"
            ".credentials.password.config.use_password_migration_hook of type bool",
        ),
        "config not an object": (
            {"password": {"config": []}},
            "json: cannot unmarshal array into Go struct field AdminIdentityImportCredentialsPassword"
            ".credentials.password.config of type identity.AdminIdentityImportCredentialsPasswordConfig",
        ),
        "unknown config field": ({"password": {"config": {"salt": "x"}}}, 'json: unknown field "salt"'),
        "unknown credential type": ({"code": {"config": {}}}, 'json: unknown field "code"'),
    }
    for credentials, message in cases.values():
        _decode_error(http.post("/admin/identities", json=_body(_email(), credentials)), message)


def test_oidc_import_round_trip(http: httpx.Client) -> None:
    subject, org = uuid.uuid4().hex, str(uuid.uuid4())
    providers = [
        {"provider": "google", "subject": subject},
        {"provider": "github", "subject": subject, "organization": org.upper(), "use_auto_link": True},
    ]
    body = _body(_email(), {"oidc": {"config": {"providers": providers}}})
    created = assert_success(http.post("/admin/identities", json=body), 201)
    oidc = created["credentials"]["oidc"]
    assert oidc["identifiers"] == [f"google:{subject}", f"github:{subject}"] and "config" not in oidc
    tokens = {"initial_id_token": "", "initial_access_token": "", "initial_refresh_token": ""}
    expected = [
        {"subject": subject, "provider": "google", **tokens},
        {"subject": subject, "provider": "github", **tokens, "organization": org, "use_auto_link": True},
    ]
    with Client(str(http.base_url)) as client:
        ident = client.get_identity(created["id"], include_credential=["oidc"])
    dumped = ident.model_dump(mode="json", exclude_unset=True)
    assert dumped["credentials"]["oidc"]["config"] == {"providers": expected}
    assert "config" not in dumped["credentials"]["password"]  # only the declassified type carries config
    [found] = _find(http, f"github:{subject}", include="oidc")
    assert found["id"] == created["id"]
    assert found["credentials"]["oidc"]["config"]["providers"] == expected


def test_oidc_import_in_batch(http: httpx.Client) -> None:
    subject = uuid.uuid4().hex
    items = [
        {"create": _body(_email(), {"oidc": {"config": {"providers": [{"provider": "google", "subject": subject}]}}})}
    ]
    answer = assert_success(http.patch("/admin/identities", json={"identities": items}))
    [entry] = answer["identities"]
    [found] = _find(http, f"google:{subject}", include="oidc")
    assert entry == {"action": "create", "identity": found["id"]}
    assert found["credentials"]["oidc"]["identifiers"] == [f"google:{subject}"]


def test_oidc_import_decode_errors(http: httpx.Client) -> None:
    cases = {
        "token fields are not importable": (
            {"provider": "google", "subject": "s", "initial_access_token": "t"},
            'json: unknown field "initial_access_token"',
        ),
        "organization not a UUID": (
            {"provider": "google", "subject": "s", "organization": "acme"},
            'uuid: incorrect UUID length 4 in string "acme"',
        ),
        "subject not a string": (
            {"provider": "google", "subject": 42},
            "json: cannot unmarshal number into Go struct field AdminCreateIdentityImportCredentialsOIDCProvider"
            ".credentials.oidc.config.providers.subject of type string",
        ),
    }
    for provider, message in cases.values():
        body = _body(_email(), {"oidc": {"config": {"providers": [provider]}}})
        _decode_error(http.post("/admin/identities", json=body), message)
        _decode_error(http.patch("/admin/identities", json={"identities": [{"create": body}]}), message)


def test_batch_duplicate_identifier_fails_per_item_with_409(http: httpx.Client) -> None:
    taken, fresh, subject, external = _email(), _email(), uuid.uuid4().hex, uuid.uuid4().hex
    oidc = {"oidc": {"config": {"providers": [{"provider": "google", "subject": subject}]}}}
    assert_success(http.post("/admin/identities", json=_body(taken, oidc, external_id=external)), 201)
    patch_ids = [str(uuid.uuid4()) for _ in range(6)]
    bodies = [
        _body(taken.upper()),  # the store has this e-mail (identifiers are lower-cased)
        _body(fresh, _hashed(VALID["scrypt"])),
        _body(fresh),  # an earlier item of this batch has it
        _body(_email(), oidc),  # the store has this OIDC identifier
        _body(_email(), external_id=external),  # the store has this external id
        None,
    ]
    items = [{"patch_id": pid, "create": body} for pid, body in zip(patch_ids, bodies, strict=True)]
    answer = assert_success(http.patch("/admin/identities", json={"identities": items}))
    conflict = {"code": 409, "status": "Conflict", "message": UNIQUE}
    entries = answer["identities"]
    assert entries[5] is None
    for index in (0, 2, 3, 4):
        assert entries[index] == {"action": "error", "patch_id": patch_ids[index], "error": conflict}
    assert entries[1]["action"] == "create" and entries[1]["patch_id"] == patch_ids[1]
    [created] = _find(http, fresh)
    assert created["id"] == entries[1]["identity"]
    assert created["credentials"]["password"]["config"] == {"hashed_password": VALID["scrypt"]}
    assert len(_find(http, f"google:{subject}", include="oidc")) == 1
    assert _find(http, taken)[0]["external_id"] == external
