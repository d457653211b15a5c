"""The one request sequence the differential test sends to the sandbox and to a real Kratos.

It walks the 21 operations of Ory's IdentityApi (those v1.3.1 has, and the others to see that it has
them not), every list filter and paging size, the errors the sandbox produces, JSON Patch edge cases,
a batch import of every hash family with failing items, sessions from real logins, recovery and
schemas. ``<<name>>`` stands for the id a server gave in the step ``name`` (``<<import.3>>``: the
fourth item of the batch ``import``).
"""

from __future__ import annotations

from typing import Any

from differential_hashes import HASHES, PASSWORD
from differential_support import NOBODY, Step

P = "/admin/identities"  # the identities collection


def _create(schema: str, traits: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schema_id": schema, "traits": traits, **extra}


def _password(plain: str = PASSWORD) -> dict[str, Any]:
    return {"password": {"config": {"password": plain}}}


ALICE = _create(
    "default",
    {"email": "alice@example.com", "name": {"first": "Alice", "last": "Liddell"}, "age": 31},
    credentials=_password(),
    metadata_public={"plan": "pro"},
    metadata_admin={"note": "vip"},
)
BOB = _create("username", {"username": "bob_the_builder", "email": "bob@example.com"}, credentials=_password())
CAROL = _create("phone", {"phone": "+4915112345678", "name": {"first": "Carol"}})
DAVE = _create(
    "b2b",
    {"email": "dave@corp.example", "company": "Corp", "role": "admin", "employee_number": 7},
    credentials={**_password(), "oidc": {"config": {"providers": [{"provider": "google", "subject": "dave-123"}]}}},
    state="inactive",
)
HASH_USERS = [(family, f"h-{family}@example.com") for family in HASHES]


def _imported(family: str, email: str) -> dict[str, Any]:
    return _create(
        "default", {"email": email}, credentials={"password": {"config": {"hashed_password": HASHES[family]}}}
    )


IMPORT = [
    {"create": _imported(f, e), "patch_id": f"{i:08d}-0000-4000-8000-000000000000"}
    for i, (f, e) in enumerate(HASH_USERS)
] + [
    {"create": _create("default", {"email": 42})},  # fails the schema
    {"create": _create("nope", {"email": "x@example.com"})},  # unknown schema
]
CONFLICTS = [
    {"create": _create("default", {"email": "fresh@example.com"})},
    {"create": _create("default", {"email": "alice@example.com"})},  # taken by alice
    {"create": _create("default", {"email": "twice@example.com"})},
    {"create": _create("default", {"email": "twice@example.com"})},  # taken earlier in the batch
]
BAD_HASH = [
    {"create": _imported("bcrypt", "e1@example.com")},
    {
        "create": _create(
            "default",
            {"email": "e2@example.com"},
            credentials={"password": {"config": {"hashed_password": "$2x$10$zz"}}},
        )
    },
]


def _s(name: str, method: str, path: str, **kw: Any) -> Step:
    return Step(name=name, method=method, path=path, **kw)


def _get(name: str, path: str, *params: tuple[str, str], **kw: Any) -> Step:
    return _s(name, "GET", path, params=list(params), **kw)


EMPTY = [
    _get("empty-list", P),
    _get("empty-list-legacy", P, ("page", "0"), ("per_page", "2")),
    _get("empty-sessions", "/admin/sessions"),
    _get("empty-identity-sessions", f"{P}/{NOBODY}/sessions"),
    _get("empty-credentials-identifier", P, ("credentials_identifier", "nobody@example.com")),
]

SCHEMAS = [
    _get("schemas", "/schemas", public=True),
    _get("schemas-size-1", "/schemas", ("page_size", "1"), public=True),
    _get("schemas-size-2-page-2", "/schemas", ("page", "1"), ("per_page", "2"), public=True),
    _get("schemas-size-over-max", "/schemas", ("page_size", "1001"), public=True),
    _get("schema-default", "/schemas/default", public=True),
    _get("schema-username", "/schemas/username", public=True),
    _get("schema-phone", "/schemas/phone", public=True),
    _get("schema-by-url-id", "/schemas/ZGVmYXVsdA", public=True),
    _get("schema-unknown", "/schemas/nope", public=True),
]

CREATE = [
    _s("alice", "POST", P, json=ALICE, capture="id"),
    _s("bob", "POST", P, json=BOB, capture="id"),
    _s("carol", "POST", P, json=CAROL, capture="id"),
    _s("dave", "POST", P, json=DAVE, capture="id"),
    _s("create-duplicate", "POST", P, json=_create("default", {"email": "Alice@Example.com"})),
    _s("create-unknown-field", "POST", P, json={**_create("default", {"email": "u@example.com"}), "schema_url": "x"}),
    _s("create-broken-json", "POST", P, content=b'{"schema_id": ', headers={"content-type": "application/json"}),
    _s("create-empty-body", "POST", P, content=b"", headers={"content-type": "application/json"}),
    _s("create-wrong-kind", "POST", P, json={"schema_id": 5, "traits": {}}),
    _s("create-unknown-schema", "POST", P, json=_create("nope", {"email": "n@example.com"})),
    _s("create-type-error", "POST", P, json=_create("default", {"email": "t@example.com", "age": "old"})),
    _s("create-missing-required", "POST", P, json=_create("default", {"name": {"first": "X"}})),
    _s("create-bad-email", "POST", P, json=_create("default", {"email": "not-an-email"})),
    _s("create-several-errors", "POST", P, json=_create("default", {"email": "s@example.com", "age": 2, "x": 1})),
    _s("create-bad-state", "POST", P, json=_create("default", {"email": "st@example.com"}, state="gone")),
    _s("create-bad-username", "POST", P, json=_create("username", {"username": "a b"})),
    _s("create-bad-role", "POST", P, json=_create("b2b", {"email": "r@corp.example", "role": "boss"})),
    _s(
        "create-unknown-hash",
        "POST",
        P,
        json=_imported("bcrypt", "uh@example.com")
        | {"credentials": {"password": {"config": {"hashed_password": "plain-text"}}}},
    ),
    _s(
        "create-external-id",
        "POST",
        P,
        json=_create("default", {"email": "ext@example.com"}, external_id="ext-1"),
        capture="id",
    ),
]

# Over the sandbox's own 8 MiB body limit (docs/reference/sandbox-differences.md); for an unknown schema, so that
# Kratos stores nothing either.
TOO_BIG = _create("nope", {"email": "big@example.com"}, metadata_public={"blob": "x" * (9 << 20)})

# A bcrypt hash of cost 16, above Ory's bound of 15; for an unknown schema, so that no server stores it.
OVER_BOUNDS = _create(
    "nope",
    {"email": "cost@example.com"},
    credentials={"password": {"config": {"hashed_password": "$2a$16$" + "a" * 53}}},
)

BATCH = [
    _s("import", "PATCH", P, json={"identities": IMPORT}, capture="batch"),
    _s("import-conflicts", "PATCH", P, json={"identities": CONFLICTS}, capture="batch"),
    _get("import-conflicts-stored", f"{P}/<<import-conflicts.0>>"),
    # v1.3.1 stored nothing of that batch; the sandbox (as master) stored two identities: gone again.
    _s("import-conflicts-delete-0", "DELETE", f"{P}/<<import-conflicts.0>>"),
    _s("import-conflicts-delete-2", "DELETE", f"{P}/<<import-conflicts.2>>"),
    _s("batch-bad-hash", "PATCH", P, json={"identities": BAD_HASH}),
    _s("batch-unknown-field", "PATCH", P, json={"identities": [{"create": {"schema_id": "default", "x": 1}}]}),
    _s("batch-broken-json", "PATCH", P, content=b"{", headers={"content-type": "application/json"}),
    _s("batch-too-many", "PATCH", P, json={"identities": [{"create": None}] * 1001}),
    _s("batch-null-item", "PATCH", P, json={"identities": [{"create": None}]}),
    _s("create-too-big", "POST", P, json=TOO_BIG),
    _s("create-hash-over-bounds", "POST", P, json=OVER_BOUNDS),
]

READ = [
    _get("get-alice", f"{P}/<<alice>>"),
    _get("get-alice-password", f"{P}/<<alice>>", ("include_credential", "password")),
    _get("get-dave-oidc", f"{P}/<<dave>>", ("include_credential", "oidc")),
    _get("get-bad-include", f"{P}/<<alice>>", ("include_credential", "nope")),
    _get("get-unknown", f"{P}/{NOBODY}"),
    _get("get-bad-uuid", f"{P}/not-a-uuid"),
    _get("get-by-external-id", f"{P}/by/external/ext-1"),
    _get("get-by-external-id-unknown", f"{P}/by/external/nope"),
    _s("delete-external-id", "DELETE", f"{P}/<<create-external-id>>"),  # v1.3.1 created none
    *[
        _get(f"hash-{f}", f"{P}/<<import.{i}>>", ("include_credential", "password"))
        for i, (f, _) in enumerate(HASH_USERS)
    ],
]

LIST = [
    _get("list-all", P, unordered=True),
    _get("list-size-1", P, ("page_size", "1"), walk=True),
    _get("list-size-2", P, ("page_size", "2"), walk=True),
    _get("list-size-500", P, ("page_size", "500"), walk=True),
    _get("list-size-over-max", P, ("page_size", "501"), walk=True),
    _get("list-size-0", P, ("page_size", "0"), unordered=True),
    _get("list-size-not-a-number", P, ("page_size", "abc")),
    _get("list-bad-token", P, ("page_token", "abc")),
    _get("list-legacy-per-page-2", P, ("page", "0"), ("per_page", "2"), walk=True),
    _get("list-legacy-page-0-big", P, ("page", "0"), ("per_page", "600"), unordered=True),
    _get("list-legacy-too-far", P, ("page", "3"), ("per_page", "400")),
    _get("list-per-page-only", P, ("per_page", "3"), walk=True),
    _get(
        "list-ids", P, ("ids", "<<alice>>"), ("ids", "<<bob>>"), ("ids", NOBODY), ("ids", "<<alice>>"), unordered=True
    ),
    _get("list-ids-bad", P, ("ids", "nope")),
    _get("list-ids-too-many", P, *[("ids", NOBODY)] * 501),
    _get("list-credentials-identifier", P, ("credentials_identifier", "ALICE@example.com")),
    _get("list-credentials-identifier-username", P, ("credentials_identifier", "bob_the_builder")),
    _get("list-credentials-identifier-oidc", P, ("credentials_identifier", "google:dave-123")),
    _get("list-credentials-identifier-code", P, ("credentials_identifier", "+4915112345678")),
    _get("list-similar", P, ("preview_credentials_identifier_similar", "h-sha"), unordered=True),
    _get("list-organization", P, ("organization_id", NOBODY)),
    _get("list-organization-bad", P, ("organization_id", "nope")),
    _get("list-two-filters", P, ("credentials_identifier", "a@example.com"), ("ids", NOBODY)),
    _get("list-include-credential", P, ("ids", "<<dave>>"), ("include_credential", "oidc")),
    _get("list-include-credential-bad", P, ("include_credential", "nope")),
    _get("list-consistency", P, ("ids", "<<bob>>"), ("consistency", "eventual")),
]

_PATCH = f"{P}/<<alice>>"
PATCH = [
    _s("patch-replace-trait", "PATCH", _PATCH, json=[{"op": "replace", "path": "/traits/age", "value": 32}]),
    _s("patch-add-metadata", "PATCH", _PATCH, json=[{"op": "add", "path": "/metadata_public/tier", "value": "gold"}]),
    _s("patch-remove", "PATCH", _PATCH, json=[{"op": "remove", "path": "/traits/name/last"}]),
    _s("patch-replace-missing", "PATCH", _PATCH, json=[{"op": "replace", "path": "/traits/newsletter", "value": True}]),
    _s("patch-add-deep", "PATCH", _PATCH, json=[{"op": "add", "path": "/metadata_admin/a/b", "value": 1}]),
    _s("patch-test-op", "PATCH", _PATCH, json=[{"op": "test", "path": "/state", "value": "active"}]),
    _s("patch-move-op", "PATCH", _PATCH, json=[{"op": "move", "from": "/traits/age", "path": "/traits/x"}]),
    _s("patch-denied-id", "PATCH", _PATCH, json=[{"op": "replace", "path": "/id", "value": NOBODY}]),
    _s("patch-denied-credentials", "PATCH", _PATCH, json=[{"op": "remove", "path": "/credentials"}]),
    _s("patch-denied-oidc", "PATCH", _PATCH, json=[{"op": "add", "path": "/credentials/oidc/x", "value": 1}]),
    _s("patch-bad-state", "PATCH", _PATCH, json=[{"op": "replace", "path": "/state", "value": "gone"}]),
    _s("patch-invalid-traits", "PATCH", _PATCH, json=[{"op": "replace", "path": "/traits/email", "value": 5}]),
    _s(
        "patch-duplicate",
        "PATCH",
        _PATCH,
        json=[{"op": "replace", "path": "/traits/email", "value": "bob@example.com"}],
    ),
    _s("patch-remove-missing", "PATCH", _PATCH, json=[{"op": "remove", "path": "/traits/nothing"}]),
    _s("patch-not-a-list", "PATCH", _PATCH, json={"op": "replace"}),
    _s("patch-empty-list", "PATCH", _PATCH, json=[]),
    _s("patch-broken", "PATCH", _PATCH, content=b"[", headers={"content-type": "application/json"}),
    _s("patch-unknown-key", "PATCH", _PATCH, json=[{"op": "add", "path": "/favourite", "value": 1}]),
    _s(
        "patch-state-inactive", "PATCH", f"{P}/<<bob>>", json=[{"op": "replace", "path": "/state", "value": "inactive"}]
    ),
    _s("patch-state-active", "PATCH", f"{P}/<<bob>>", json=[{"op": "replace", "path": "/state", "value": "active"}]),
    _s("patch-unknown", "PATCH", f"{P}/{NOBODY}", json=[{"op": "remove", "path": "/traits/x"}]),
]

_PUT = f"{P}/<<carol>>"
PUT = [
    _s(
        "put",
        "PUT",
        _PUT,
        json={"schema_id": "phone", "traits": {"phone": "+4915112345679"}, "metadata_public": {"a": 1}},
    ),
    _s("put-unknown-fields", "PUT", _PUT, json={"traits": {"phone": "+4915112345679"}, "whatever": 1}),
    _s("put-state", "PUT", _PUT, json={"traits": {"phone": "+4915112345679"}, "state": "inactive"}),
    _s("put-text-plain", "PUT", _PUT, content=b"{}", headers={"content-type": "text/plain"}),
    _s("put-empty", "PUT", _PUT, content=b"", headers={"content-type": "application/json"}),
    _s("put-broken", "PUT", _PUT, content=b"{", headers={"content-type": "application/json"}),
    _s("put-wrong-kind", "PUT", _PUT, json={"traits": "x"}),
    _s("put-invalid", "PUT", _PUT, json={"traits": {"phone": 5}}),
    _s("put-bad-state", "PUT", _PUT, json={"traits": {"phone": "+4915112345679"}, "state": "gone"}),
    _s("put-duplicate", "PUT", f"{P}/<<bob>>", json={"schema_id": "default", "traits": {"email": "alice@example.com"}}),
    _s("put-unknown", "PUT", f"{P}/{NOBODY}", json={"traits": {}}),
    _s(
        "put-password",
        "PUT",
        f"{P}/<<bob>>",
        json={
            "schema_id": "username",
            "traits": {"username": "bob_the_builder", "email": "bob@example.com"},
            "credentials": {"password": {"config": {"hashed_password": HASHES["pbkdf2-sha256"]}}},
        },
    ),
    _get("get-bob-password", f"{P}/<<bob>>", ("include_credential", "password")),
]


def _login(name: str, identity: str, identifier: str) -> Step:
    return Step(name=name, method="LOGIN", identity=identity, identifier=identifier, password=PASSWORD)


LOGINS = [
    _login("s-alice-1", "alice", "alice@example.com"),
    _login("s-alice-2", "alice", "alice@example.com"),
    _login("s-bob", "bob", "bob_the_builder"),
    *[_login(f"s-{f}", f"import.{i}", email) for i, (f, email) in enumerate(HASH_USERS)],
]
N_SESSIONS = len(LOGINS)

S = "/admin/sessions"
SESSIONS = [
    _get("sessions", S),
    _get("sessions-size-1", S, ("page_size", "1"), walk=True),
    _get("sessions-size-2", S, ("page_size", "2"), walk=True),
    _get("sessions-size-500", S, ("page_size", "500")),
    _get("sessions-size-over-max", S, ("page_size", "1001")),
    _get("sessions-size-not-a-number", S, ("page_size", "x")),
    _get("sessions-bad-token", S, ("page_token", "!!")),
    _get("sessions-token-without-id", S, ("page_token", "Zm9vPWJhcg")),
    _get("sessions-expand-identity", S, ("page_size", "2"), ("expand", "identity")),
    _get("sessions-expand-both", S, ("page_size", "2"), ("expand", "Identity"), ("expand", "devices")),
    _get("sessions-expand-bad", S, ("expand", "nope")),
    _get("sessions-active", S, ("active", "true"), ("page_size", "3")),
    _get("sessions-inactive", S, ("active", "false")),
    _get("sessions-active-bad", S, ("active", "maybe")),
    _get("session", f"{S}/<<s-alice-1>>"),
    _get("session-expand", f"{S}/<<s-alice-1>>", ("expand", "identity"), ("expand", "devices")),
    _get("session-expand-bad", f"{S}/<<s-alice-1>>", ("expand", "nope")),
    _get("session-unknown", f"{S}/{NOBODY}"),
    _get("session-bad-uuid", f"{S}/nope"),
    _s("extend", "PATCH", f"{S}/<<s-alice-1>>/extend"),
    _s("extend-unknown", "PATCH", f"{S}/{NOBODY}/extend"),
    _s("extend-bad-uuid", "PATCH", f"{S}/nope/extend"),
    _s("disable", "DELETE", f"{S}/<<s-alice-2>>"),
    _s("disable-again", "DELETE", f"{S}/<<s-alice-2>>"),
    _s("disable-unknown", "DELETE", f"{S}/{NOBODY}"),
    _s("disable-bad-uuid", "DELETE", f"{S}/nope"),
    _get("session-disabled", f"{S}/<<s-alice-2>>"),
    _get("sessions-inactive-after", S, ("active", "false")),
    _get("identity-sessions", f"{P}/<<alice>>/sessions"),
    _get("identity-sessions-size-1", f"{P}/<<alice>>/sessions", ("page_size", "1")),
    _get("identity-sessions-page-1", f"{P}/<<alice>>/sessions", ("page", "1"), ("per_page", "1")),
    _get("identity-sessions-active", f"{P}/<<alice>>/sessions", ("active", "true")),
    _get("identity-sessions-bad-uuid", f"{P}/nope/sessions"),
    _s("manage-sessions", "POST", S, json={"action": "disable", "sessions": ["<<s-bob>>"]}),
    _s("delete-identity-sessions", "DELETE", f"{P}/<<bob>>/sessions"),
    _s("delete-identity-sessions-again", "DELETE", f"{P}/<<bob>>/sessions"),
    _s("delete-identity-sessions-bad-uuid", "DELETE", f"{P}/nope/sessions"),
    _get("bob-sessions-after", f"{P}/<<bob>>/sessions"),
]

R = "/admin/recovery"
RECOVERY = [
    _s("recovery-code", "POST", f"{R}/code", json={"identity_id": "<<alice>>"}),
    _s(
        "recovery-code-api",
        "POST",
        f"{R}/code",
        json={"identity_id": "<<alice>>", "expires_in": "1h30m", "flow_type": "api"},
    ),
    _s("recovery-code-bad-duration", "POST", f"{R}/code", json={"identity_id": "<<alice>>", "expires_in": "1d"}),
    _s("recovery-code-past", "POST", f"{R}/code", json={"identity_id": "<<alice>>", "expires_in": "-1h"}),
    _s("recovery-code-unknown", "POST", f"{R}/code", json={"identity_id": NOBODY}),
    _s("recovery-link", "POST", f"{R}/link", json={"identity_id": "<<alice>>", "expires_in": "10m"}),
    _s("recovery-link-unknown", "POST", f"{R}/link", json={"identity_id": NOBODY}),
    _s("recovery-link-bad-duration", "POST", f"{R}/link", json={"identity_id": "<<alice>>", "expires_in": "soon"}),
    _s("recovery-link-past", "POST", f"{R}/link", json={"identity_id": "<<alice>>", "expires_in": "0s"}),
    _s("test-login-flow", "POST", "/admin/test-login-flows", json={"provider_id": "google"}),
]

_CRED = f"{P}/<<dave>>/credentials"
DELETE = [
    _s("delete-credential-none", "DELETE", f"{P}/<<carol>>/credentials/totp"),
    _s("delete-credential-code", "DELETE", f"{P}/<<alice>>/credentials/code"),
    _s("delete-credential-last-factor", "DELETE", f"{P}/<<alice>>/credentials/password"),
    _s("delete-credential-oidc-no-identifier", "DELETE", f"{_CRED}/oidc"),
    _s("delete-credential-oidc-unknown", "DELETE", f"{_CRED}/oidc", params=[("identifier", "google:nope")]),
    _s("delete-credential-password", "DELETE", f"{_CRED}/password"),
    _get("dave-after", f"{P}/<<dave>>"),
    _s("delete-credential-unknown-identity", "DELETE", f"{P}/{NOBODY}/credentials/password"),
    _s("delete-identity", "DELETE", f"{P}/<<carol>>"),
    _s("delete-identity-again", "DELETE", f"{P}/<<carol>>"),
    _s("delete-identity-bad-uuid", "DELETE", f"{P}/nope"),
    _get("list-after-delete", P, ("page_size", "500"), walk=True),
]

SEQUENCE: list[Step] = [
    *EMPTY,
    *SCHEMAS,
    *CREATE,
    *BATCH,
    *READ,
    *LIST,
    *PATCH,
    *PUT,
    *LOGINS,
    *SESSIONS,
    *RECOVERY,
    *DELETE,
]
