"""`make fuzz`: Schemathesis over Kratos' and Ory Network's OpenAPI specs against a freshly started sandbox.

For each spec (copies under tests/data/openapi, see tests/data/PROVENANCE.md) this starts a seeded sandbox with
an API key, runs Schemathesis' CLI over the identity admin operations (the `identity` tag, 21 operations) with
every check the sandbox can honour, and stops the sandbox. The checks and operations left out, because the specs
get Kratos wrong, are in tests/fuzz/schemathesis.toml and docs/wire-notes.md ("What the specs get wrong").

Generation is deterministic and bounded (`--max-examples` per operation), so the run stops by itself and finds
the same cases each time: about two minutes on two cores. Exit status 0 only if both runs found nothing.

    python tests/fuzz/run.py [--max-examples N] [--spec kratos|ory]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ory_frames.sandbox import running

HERE = Path(__file__).resolve().parent
SPECS = {
    "kratos": HERE.parent / "data" / "openapi" / "kratos-openapi.json",
    "ory": HERE.parent / "data" / "openapi" / "ory-openapi.json",
}
CONFIG = HERE / "schemathesis.toml"
API_KEY = "fuzz-api-key"  # with a key set the sandbox answers 401 without it, so the auth checks can run
SEED = 18  # the sandbox's seeded data; Schemathesis' own generation is deterministic
SEED_IDENTITIES = 50
PROVIDERS = ("google", "github")  # the sandbox's default OIDC providers
CREDENTIAL_TYPES = ("password", "oidc", "totp", "lookup_secret", "webauthn", "passkey", "code", "saml", "deviceauthn")


# Values the specs do not allow but Kratos sends: these are marked nullable in the copy of the spec the run uses,
# so that every other part of those answers is still checked against the spec. (component, path inside it, why)
NULLABLE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # session/session.go:129, Session.Identity `json:"identity"` (no omitempty): null unless expanded
    ("session", ("properties", "identity"), "session/session.go:129"),
    # session/session.go:132, Session.Devices `json:"devices"`: null unless expanded
    ("session", ("properties", "devices"), "session/session.go:132"),
    # session/session.go:54, :57, :60, Device.IPAddress, UserAgent and Location are *string without omitempty
    ("sessionDevice", ("properties", "ip_address"), "session/session.go:54"),
    ("sessionDevice", ("properties", "user_agent"), "session/session.go:57"),
    ("sessionDevice", ("properties", "location"), "session/session.go:60"),
    # identity/handler.go:903 and :910, batchPatchIdentities: one answer per item, left nil for a null `create`
    ("batchPatchIdentitiesResponse", ("properties", "identities", "items"), "identity/handler.go:903"),
)


def tolerant_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the NULLABLE places marked `nullable` (a `$ref` is wrapped in `allOf`, as OpenAPI 3.0 wants)."""
    for component, path, _source in NULLABLE:
        parent = spec["components"]["schemas"][component]
        for key in path[:-1]:
            parent = parent[key]
        node = parent[path[-1]]
        parent[path[-1]] = {"allOf": [node], "nullable": True} if "$ref" in node else {**node, "nullable": True}
    return spec


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def seeded_ids_config(url: str) -> str:
    """Config that makes half the generated ids name seeded identities, sessions and external ids.

    Without it nearly every path id is unknown and the operations stop at their 404; with it they reach the
    rest of their logic too. The ids are read from the fresh sandbox, so they follow its seed.
    """
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        identities = http.get("/admin/identities", params={"page_size": 100}).raise_for_status().json()
        sessions = http.get("/admin/sessions", params={"page_size": 100}).raise_for_status().json()
    identity_ids = [i["id"] for i in identities]
    external_ids = [i["external_id"] for i in identities if i.get("external_id")] or ["none"]
    session_ids = [s["id"] for s in sessions] or identity_ids
    half = "probability = 0.5"
    return f"""
[dictionaries.identities]
values = {_toml_list(identity_ids)}

[dictionaries.sessions]
values = {_toml_list(session_ids)}

[dictionaries.credential_types]
values = {_toml_list(list(CREDENTIAL_TYPES))}

[dictionaries.providers]
values = {_toml_list(list(PROVIDERS))}

[dictionaries.external_ids]
values = {_toml_list(external_ids)}

[[operations]]
include-path = [
  "/admin/identities/{{id}}",
  "/admin/identities/{{id}}/credentials/{{type}}",
  "/admin/identities/{{id}}/sessions",
]
parameters."path.id" = {{ dictionary = "identities", {half} }}

[[operations]]
include-path = ["/admin/sessions/{{id}}", "/admin/sessions/{{id}}/extend"]
parameters."path.id" = {{ dictionary = "sessions", {half} }}

[[operations]]
include-operation-id = "deleteIdentityCredentials"
parameters."path.type" = {{ dictionary = "credential_types", {half} }}

[[operations]]
include-operation-id = "createTestLoginFlow"
parameters."body.provider_id" = {{ dictionary = "providers", {half} }}

[[operations]]
include-operation-id = "getIdentityByExternalID"
parameters."path.externalID" = {{ dictionary = "external_ids", {half} }}

[[operations]]
include-operation-id = ["createRecoveryCodeForIdentity", "createRecoveryLinkForIdentity"]
parameters."body.identity_id" = {{ dictionary = "identities", {half} }}
"""


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else "schemathesis"


def run_spec(name: str, max_examples: int) -> int:
    """Fuzz one spec against a sandbox of its own; returns Schemathesis' exit status."""
    with (
        tempfile.TemporaryDirectory(prefix="ory-frames-fuzz-") as scratch,  # Hypothesis' and Schemathesis' files
        running(seed_identities=SEED_IDENTITIES, seed=SEED, api_key=API_KEY) as url,
    ):
        spec_copy = Path(scratch) / SPECS[name].name
        spec_copy.write_text(json.dumps(tolerant_spec(json.loads(SPECS[name].read_text()))))
        config = Path(scratch) / CONFIG.name
        config.write_text(CONFIG.read_text() + seeded_ids_config(url))
        command = [
            _schemathesis(),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            str(spec_copy),
            "--url",
            url,
            "--header",
            f"Authorization: Bearer {API_KEY}",
            "--include-tag",
            "identity",
            "--max-examples",
            str(max_examples),
            "--workers",
            "1",
        ]
        print(f"== {name}: {SPECS[name].name} against {url}", flush=True)
        started = time.monotonic()
        status = subprocess.run(command, cwd=scratch, check=False).returncode
        print(f"== {name}: exit status {status} after {time.monotonic() - started:.0f} s", flush=True)
        return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-examples", type=int, default=40, help="test cases per operation and phase")
    parser.add_argument("--spec", choices=sorted(SPECS), action="append", help="only this spec (repeatable)")
    args = parser.parse_args(argv)
    failed = [name for name in args.spec or sorted(SPECS) if run_spec(name, args.max_examples) != 0]
    if failed:
        print(f"fuzz: Schemathesis reported failures for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
