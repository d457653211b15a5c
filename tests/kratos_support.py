"""A real Ory Kratos for the tests: find the binary ``scripts/install-kratos.sh`` built, start it, seed it.

``running_kratos()`` starts the binary with ``scripts/kratos-config/kratos.yml`` (the sandbox's four identity
schemas) on two free loopback ports and stops it afterwards; each start is a fresh, empty Kratos. The
config's in-memory SQLite answers concurrent writes with 400 "Unable to serialize access due to a
concurrent update in another session" (a shared-cache table lock, which no busy timeout waits out), so the
tests give each Kratos a SQLite file instead, in WAL mode with immediate write transactions and a busy
timeout, copied from one migrated per test process (``kratos migrate sql``, about two seconds, once).

``seed_kratos()`` fills it the way
a project gets its users, through the API only: the sandbox's deterministic seed documents become batch
creates (``PATCH /admin/identities``: traits, state, metadata, addresses, imported credentials), and
sessions come from real self-service login flows on the public port, so every id and timestamp is
Kratos' own.

The binary is looked up as ``build/kratos/kratos-<version>``, the version being the one
``tools/kratos/go.mod`` requires, or taken from ``ORY_FRAMES_KRATOS_BIN``.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "scripts" / "kratos-config"
BIN_ENV = "ORY_FRAMES_KRATOS_BIN"
# Every seeded identity with a password credential gets this one, imported in plain text (Kratos hashes
# it with the config's cheap bcrypt), so that the seeder can log in as any of them.
SEED_PASSWORD = "ory-frames seed password 7"
BATCH = 200  # Ory's limit for a batch that carries plain-text passwords (docs/wire-notes.md §4)


def kratos_version() -> str:
    """The Kratos version tools/kratos/go.mod pins (``v1.3.1``)."""
    text = (ROOT / "tools" / "kratos" / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"^\s*github\.com/ory/kratos\s+(\S+)", text, re.MULTILINE)
    if match is None:
        raise RuntimeError("tools/kratos/go.mod requires no github.com/ory/kratos version")
    return match.group(1)


def kratos_binary() -> Path | None:
    """The installed Kratos binary, or None when ``scripts/install-kratos.sh`` has not been run."""
    given = os.environ.get(BIN_ENV)
    path = Path(given) if given else ROOT / "build" / "kratos" / f"kratos-{kratos_version()}"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Kratos:
    """A running Kratos: its admin and public base URLs and its log file."""

    admin_url: str
    public_url: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


_TEMPLATE: dict[str, Path] = {}
_DSN_OPTIONS = "_fk=true&_txlock=immediate&_busy_timeout=10000&_journal_mode=WAL"


def _migrated_database(binary: Path) -> Path:
    """A SQLite file with Kratos' schema, made once per process (removed at exit) and copied per Kratos."""
    if "db" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="kratos-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "kratos.sqlite"
        done = subprocess.run(
            [str(binary), "migrate", "sql", "-e", "--yes"],
            cwd=CONFIG_DIR,
            # No WAL here: the copies must find every migration in the main file, not in a -wal beside it.
            env={**os.environ, "DSN": f"sqlite://{path}?_fk=true"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kratos migrate sql failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        _TEMPLATE["db"] = path
    return _TEMPLATE["db"]


@contextmanager
def running_kratos(*, ready_timeout: float = 60.0, env: dict[str, str] | None = None) -> Iterator[Kratos]:
    """Start a fresh Kratos on free loopback ports, wait until it is ready, and stop it afterwards.

    ``env`` overrides configuration keys the way Kratos reads them from the environment
    (``SESSION_LIFESPAN=1h``).
    """
    binary = kratos_binary()
    if binary is None:
        raise RuntimeError("no Kratos binary: run `bash scripts/install-kratos.sh` first")
    admin_port, public_port = _free_port(), _free_port()
    admin, public = f"http://127.0.0.1:{admin_port}", f"http://127.0.0.1:{public_port}"
    child_env = {
        **os.environ,
        "SERVE_ADMIN_PORT": str(admin_port),
        "SERVE_ADMIN_BASE_URL": admin + "/",
        "SERVE_PUBLIC_PORT": str(public_port),
        "SERVE_PUBLIC_BASE_URL": public + "/",
        "SQA_OPT_OUT": "true",
        **(env or {}),
    }
    template = _migrated_database(binary)
    with tempfile.TemporaryDirectory(prefix="kratos-") as tmp:
        database = Path(tmp) / "kratos.sqlite"
        shutil.copyfile(template, database)
        child_env.setdefault("DSN", f"sqlite://{database}?{_DSN_OPTIONS}")
        log_path = Path(tmp) / "kratos.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(binary), "serve", "--config", "kratos.yml", "--dev", "--sqa-opt-out"],
                cwd=CONFIG_DIR,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        server = Kratos(admin, public, log_path, proc)
        try:
            _wait_ready(server, ready_timeout)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(server: Kratos, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"Kratos exited with {server.process.returncode}:\n{server.log_tail()}")
            try:
                admin = http.get(server.admin_url + "/admin/health/ready")
                public = http.get(server.public_url + "/health/ready")
                if admin.status_code == public.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"Kratos was not ready within {timeout} s:\n{server.log_tail()}")


# ---- seeding through the API -------------------------------------------------------------------------


def create_body(doc: dict[str, Any], *, sessions: bool = True) -> dict[str, Any]:
    """The batch-create body of one sandbox seed document, as a project migrating its users would send it.

    Passwords are imported in plain text (``SEED_PASSWORD``) so the seeder can log in; OIDC links are
    imported with their provider and subject. Ids, timestamps and the other credential types are Kratos'
    to make: they cannot be imported.
    """
    body: dict[str, Any] = {
        "schema_id": doc["schema_id"],
        "traits": doc["traits"],
        # Created active when the seeder is to log in (seed_kratos sets the seeded state afterwards).
        "state": "active" if sessions else doc["state"],
        "metadata_public": doc.get("metadata_public"),
        "metadata_admin": doc.get("metadata_admin"),
        "verifiable_addresses": [
            {"value": a["value"], "via": a["via"], "verified": a["verified"], "status": a["status"]}
            for a in doc.get("verifiable_addresses") or []
        ],
        "recovery_addresses": [{"value": a["value"], "via": a["via"]} for a in doc.get("recovery_addresses") or []],
    }
    creds = doc.get("credentials") or {}
    imported: dict[str, Any] = {}
    if "password" in creds:
        imported["password"] = {"config": {"password": SEED_PASSWORD}}
    if "oidc" in creds:
        providers = creds["oidc"]["config"]["providers"]
        links = [{"provider": p["provider"], "subject": p["subject"]} for p in providers]
        imported["oidc"] = {"config": {"providers": links}}
    if imported:
        body["credentials"] = imported
    return body


def login(http: httpx.Client, public_url: str, identifier: str, password: str = SEED_PASSWORD) -> dict[str, Any]:
    """A real self-service login (API flow) on the public port; returns Kratos' answer with the session."""
    flow = http.get(public_url + "/self-service/login/api")
    flow.raise_for_status()
    answer = http.post(
        public_url + "/self-service/login",
        params={"flow": flow.json()["id"]},
        json={"method": "password", "identifier": identifier, "password": password},
    )
    if answer.status_code != 200:
        raise RuntimeError(f"login as {identifier!r} failed: {answer.status_code} {answer.text[:300]}")
    result: dict[str, Any] = answer.json()
    return result


@dataclass
class Seeded:
    """What seed_kratos made: the ids of Kratos' identities in creation order and the sessions it logged in."""

    identity_ids: list[str]
    sessions: list[dict[str, Any]]


def seed_kratos(server: Kratos, identities: int, *, seed: int = 0, sessions: bool = True) -> Seeded:
    """Create ``identities`` users (the sandbox's seed documents for ``seed``) and their sessions.

    With ``sessions``, identities are created active; each one with a password logs in as often as the
    sandbox would give it sessions, sessions the sandbox seeds as inactive are revoked, and identities the
    sandbox seeds as inactive are then deactivated, all through the API. Without, each identity is created
    in its seeded state.
    """
    from ory_frames.sandbox._seed import iter_seed_docs

    docs = list(iter_seed_docs(identities, seed=seed))
    created: list[str] = []
    made_sessions: list[dict[str, Any]] = []
    with httpx.Client(timeout=60.0) as http:
        for start in range(0, len(docs), BATCH):
            chunk = docs[start : start + BATCH]
            answer = http.patch(
                server.admin_url + "/admin/identities",
                json={"identities": [{"create": create_body(doc, sessions=sessions)} for doc, _ in chunk]},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"seeding failed: {answer.status_code} {answer.text[:500]}")
            for item in answer.json()["identities"]:
                if item.get("action") != "create":
                    raise RuntimeError(f"seeding failed for one identity: {item}")
                created.append(item["identity"])
        if sessions:
            for doc, session_docs in docs:
                ids = (doc.get("credentials") or {}).get("password", {}).get("identifiers") or []
                if not ids:
                    continue
                for session_doc in session_docs:
                    session = login(http, server.public_url, ids[0])["session"]
                    if not session_doc.get("active", True):
                        http.delete(server.admin_url + f"/admin/sessions/{session['id']}").raise_for_status()
                    made_sessions.append(session)
        for (doc, _), ident in zip(docs, created, strict=True):
            if sessions and doc["state"] != "active":
                patch = [{"op": "replace", "path": "/state", "value": doc["state"]}]
                http.patch(server.admin_url + f"/admin/identities/{ident}", json=patch).raise_for_status()
    return Seeded(created, made_sessions)
