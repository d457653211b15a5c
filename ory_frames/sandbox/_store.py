"""SQLite storage of identities and sessions, with pre-serialised wire views for fast paging."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timezone
from typing import Any, Literal

import orjson

from ._identity_doc import parse_time, render_identity
from ._wire import schema_id_to_url_part

IdentityView = Literal["list", "creds", "full"]
# Identifier kinds matched by `credentials_identifier` after normalisation (wire notes §2) and as given.
NORMALISED_KINDS = ("password", "webauthn", "code", "passkey")
VERBATIM_KINDS = ("oidc", "saml")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
  id TEXT PRIMARY KEY, external_id TEXT UNIQUE, organization_id TEXT,
  full_json BLOB NOT NULL, list_json BLOB NOT NULL, creds_json BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS identities_org ON identities(organization_id, id);
CREATE TABLE IF NOT EXISTS identifiers (
  kind TEXT NOT NULL, value TEXT NOT NULL, identity_id TEXT NOT NULL, PRIMARY KEY (kind, value)
);
CREATE INDEX IF NOT EXISTS identifiers_value ON identifiers(value);
CREATE INDEX IF NOT EXISTS identifiers_identity ON identifiers(identity_id);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, identity_id TEXT NOT NULL, created_key TEXT NOT NULL, expires_ts REAL NOT NULL,
  active INTEGER NOT NULL, doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_order ON sessions(created_key DESC, id);
CREATE INDEX IF NOT EXISTS sessions_identity ON sessions(identity_id, created_key DESC);
"""


class UniqueViolation(Exception):
    """An identifier, address or external_id already belongs to another identity."""


def created_key(timestamp: str) -> str:
    """The sortable UTC key of a timestamp, in the session page token's `YYYY-MM-DD HH:MM:SS.ffffff` form."""
    return parse_time(timestamp).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _index_rows(doc: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    ident = doc["id"]
    rows: dict[tuple[str, str], str] = {}
    for ctype, cred in (doc.get("credentials") or {}).items():
        if ctype in ("totp", "lookup_secret"):
            continue  # their identifier is the identity id; nothing to look up or keep unique
        for value in cred.get("identifiers") or []:
            rows[(ctype, str(value))] = ident
    for addr in doc.get("verifiable_addresses") or []:
        rows[(f"verify:{addr.get('via')}", str(addr.get("value")))] = ident
    for addr in doc.get("recovery_addresses") or []:
        rows[(f"recover:{addr.get('via')}", str(addr.get("value")))] = ident
    return [(k, v, i) for (k, v), i in rows.items()]


OWNER_ONLY = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def owner_only(path: str) -> None:
    """Create the file with mode 0600, or narrow an existing one to it: it will hold password hashes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)  # the umask can only take bits away
    os.close(fd)
    os.chmod(path, OWNER_ONLY)


class Store:
    """Identities and sessions in one SQLite database, guarded by a lock."""

    def __init__(self, db: str = ":memory:", *, public_url: str = "http://127.0.0.1:4433") -> None:
        self.public_url = public_url.rstrip("/")
        self._lock = threading.RLock()
        on_disk = db not in ("", ":memory:")
        if on_disk:
            owner_only(db)
        self._conn = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL" if on_disk else "PRAGMA journal_mode=MEMORY")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA busy_timeout=10000")  # another process holding the file waits, not a 500
        self._conn.execute("PRAGMA case_sensitive_like=ON")
        self._conn.executescript(_SCHEMA)
        if on_disk:  # SQLite gives new side files the database's mode; narrow ones left by an earlier run
            for suffix in SQLITE_SIDE_FILES:
                if os.path.exists(db + suffix):
                    os.chmod(db + suffix, OWNER_ONLY)
        self.test_login_flows: dict[str, dict[str, Any]] = {}
        self.recoveries: list[dict[str, Any]] = []  # issued recovery codes and links, for /__sandbox/recoveries

    # ---- helpers -----------------------------------------------------------------------------------------------

    def schema_url(self, schema_id: str) -> str:
        """`<public url>/schemas/<base64url(schema_id)>` (wire notes §3)."""
        return f"{self.public_url}/schemas/{schema_id_to_url_part(schema_id)}"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _row(self, doc: Mapping[str, Any]) -> tuple[Any, ...]:
        url = self.schema_url(doc["schema_id"])
        return (
            doc["id"],
            doc.get("external_id") or None,
            doc.get("organization_id"),
            orjson.dumps(doc),
            orjson.dumps(render_identity(doc, url, credentials=False)),
            orjson.dumps(render_identity(doc, url, credentials=True)),
        )

    def _write(self, conn: sqlite3.Connection, docs: Iterable[Mapping[str, Any]], *, replace: bool) -> None:
        rows, index = [], []
        for doc in docs:
            rows.append(self._row(doc))
            index.extend(_index_rows(doc))
            if replace:
                conn.execute("DELETE FROM identifiers WHERE identity_id = ?", (doc["id"],))
        try:
            if replace:
                conn.executemany(
                    "UPDATE identities SET external_id = ?, organization_id = ?, full_json = ?, list_json = ?,"
                    " creds_json = ? WHERE id = ?",
                    [(*r[1:], r[0]) for r in rows],
                )
            else:
                conn.executemany("INSERT INTO identities VALUES (?,?,?,?,?,?)", rows)
            conn.executemany("INSERT INTO identifiers VALUES (?,?,?)", index)
        except sqlite3.IntegrityError as exc:
            raise UniqueViolation(str(exc)) from None

    # ---- bulk entry points (the seeder's contract, docs/architecture.md) ---------------------------------------

    def insert_identities(self, docs: Iterable[dict[str, Any]]) -> None:
        """Insert full identity docs (credentials with config); raises UniqueViolation on a duplicate."""
        with self._tx() as conn:
            self._write(conn, docs, replace=False)

    def insert_sessions(self, docs: Iterable[dict[str, Any]]) -> None:
        """Insert session docs `{id, identity_id, active, expires_at, …, created_at, updated_at}`."""
        rows = [
            (
                d["id"],
                d["identity_id"],
                created_key(d["created_at"]),
                parse_time(d["expires_at"]).timestamp(),
                1 if d.get("active", True) else 0,
                orjson.dumps(d),
            )
            for d in docs
        ]
        with self._tx() as conn:
            conn.executemany("INSERT INTO sessions VALUES (?,?,?,?,?,?)", rows)

    # ---- identities ----------------------------------------------------------------------------------------------

    def add_identity(self, doc: dict[str, Any]) -> None:
        """Insert one identity; raises UniqueViolation."""
        self.insert_identities([doc])

    def add_identities_each(self, docs: Sequence[dict[str, Any] | None]) -> list[bool | None]:
        """Insert each doc on its own; per item True (created), False (duplicate) or None (no doc)."""
        out: list[bool | None] = []
        with self._lock:
            for doc in docs:
                if doc is None:
                    out.append(None)
                    continue
                try:
                    self.insert_identities([doc])
                except UniqueViolation:
                    out.append(False)
                else:
                    out.append(True)
        return out

    def replace_identity(self, doc: dict[str, Any]) -> None:
        """Overwrite an existing identity and re-index it; raises UniqueViolation."""
        with self._tx() as conn:
            self._write(conn, [doc], replace=True)

    def delete_identity(self, identity_id: str) -> bool:
        """Delete an identity with its identifiers and sessions; False if it did not exist."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM identities WHERE id = ?", (identity_id,))
            conn.execute("DELETE FROM identifiers WHERE identity_id = ?", (identity_id,))
            conn.execute("DELETE FROM sessions WHERE identity_id = ?", (identity_id,))
            return cur.rowcount > 0

    def identity_doc(self, identity_id: str) -> dict[str, Any] | None:
        """The full stored doc, or None."""
        with self._lock:
            row = self._conn.execute("SELECT full_json FROM identities WHERE id = ?", (identity_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def identity_view(self, identity_id: str, view: IdentityView) -> bytes | None:
        """The serialised view of one identity, or None."""
        with self._lock:
            row = self._conn.execute(f"SELECT {view}_json FROM identities WHERE id = ?", (identity_id,)).fetchone()
        return bytes(row[0]) if row else None

    def id_by_external_id(self, external_id: str) -> str | None:
        """The identity id holding this external_id, or None."""
        with self._lock:
            row = self._conn.execute("SELECT id FROM identities WHERE external_id = ?", (external_id,)).fetchone()
        return str(row[0]) if row else None

    def count_identities(self) -> int:
        """Number of identities in the project."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM identities").fetchone()[0])

    def list_identities(
        self,
        *,
        view: IdentityView,
        limit: int,
        after: str | None = None,
        offset: int = 0,
        ids: Sequence[str] | None = None,
        identifier: str | None = None,
        identifier_prefix: str | None = None,
        organization_id: str | None = None,
    ) -> list[tuple[str, bytes]]:
        """One page of identity views in id order, by keyset (`after`) or offset, under at most one filter."""
        where: list[str] = []
        args: list[Any] = []
        if after is not None:
            where.append("id > ?")
            args.append(after)
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if organization_id is not None:
            where.append("organization_id = ?")
            args.append(organization_id)
        for value, op in ((identifier, "= ?"), (identifier_prefix, "LIKE ? ESCAPE '\\'")):
            if value is None:
                continue
            norm, raw = value.strip().lower(), value
            if op != "= ?":
                norm, raw = _like_prefix(norm), _like_prefix(raw)
            where.append(
                "id IN (SELECT identity_id FROM identifiers WHERE "
                f"(kind IN ({','.join('?' * len(NORMALISED_KINDS))}) AND value {op}) OR "
                f"(kind IN ({','.join('?' * len(VERBATIM_KINDS))}) AND value {op}))"
            )
            args.extend([*NORMALISED_KINDS, norm, *VERBATIM_KINDS, raw])
        sql = f"SELECT id, {view}_json FROM identities"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ? OFFSET ?"
        args.extend([limit, offset])
        with self._lock:
            return [(str(r[0]), bytes(r[1])) for r in self._conn.execute(sql, args)]

    def identity_states(self, identity_ids: Iterable[str]) -> dict[str, str]:
        """State per identity id, for computing session `active`."""
        wanted = list(set(identity_ids))
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                sql = f"SELECT id, list_json FROM identities WHERE id IN ({','.join('?' * len(chunk))})"
                for ident, blob in self._conn.execute(sql, chunk):
                    out[ident] = orjson.loads(blob).get("state", "active")
        return out

    # ---- sessions ------------------------------------------------------------------------------------------------

    def session(self, session_id: str) -> dict[str, Any] | None:
        """The stored session doc (with stored `active`), or None."""
        with self._lock:
            row = self._conn.execute("SELECT doc, active FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        doc: dict[str, Any] = orjson.loads(row[0])
        doc["active"] = bool(row[1])
        return doc

    def _active_clause(self, active: bool | None, now: float) -> tuple[str, list[Any]]:
        if active is None:
            return "", []
        if active:
            return " AND active = 1 AND expires_ts > ?", [now]
        return " AND (active = 0 OR expires_ts <= ?)", [now]

    def list_sessions(
        self, *, limit: int, after_key: str, after_id: str, active: bool | None, now: float
    ) -> list[dict[str, Any]]:
        """Sessions ordered by created_at DESC, id ASC, strictly after the (created_at, id) cursor (wire notes §1)."""
        clause, extra = self._active_clause(active, now)
        sql = (
            "SELECT doc, active FROM sessions WHERE (created_key < ? OR (created_key = ? AND id > ?))"
            f"{clause} ORDER BY created_key DESC, id ASC LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, [after_key, after_key, after_id, *extra, limit]).fetchall()
        return [{**orjson.loads(d), "active": bool(a)} for d, a in rows]

    def identity_sessions(
        self, identity_id: str, *, limit: int, offset: int, active: bool | None, now: float
    ) -> tuple[list[dict[str, Any]], int]:
        """One offset page of an identity's sessions (created_at DESC) and the matching total."""
        clause, extra = self._active_clause(active, now)
        base = f"FROM sessions WHERE identity_id = ?{clause}"
        with self._lock:
            total = int(self._conn.execute(f"SELECT COUNT(*) {base}", [identity_id, *extra]).fetchone()[0])
            rows = self._conn.execute(
                f"SELECT doc, active {base} ORDER BY created_key DESC, id ASC LIMIT ? OFFSET ?",
                [identity_id, *extra, limit, offset],
            ).fetchall()
        return [{**orjson.loads(d), "active": bool(a)} for d, a in rows], total

    def update_session(self, session_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Apply `change` to a stored session doc and save it; None if unknown."""
        with self._lock:
            doc = self.session(session_id)
            if doc is None:
                return None
            change(doc)
            self._conn.execute(
                "UPDATE sessions SET active = ?, expires_ts = ?, doc = ? WHERE id = ?",
                (1 if doc["active"] else 0, parse_time(doc["expires_at"]).timestamp(), orjson.dumps(doc), session_id),
            )
            return doc

    def delete_identity_sessions(self, identity_id: str) -> int:
        """Hard-delete an identity's sessions; returns how many."""
        with self._tx() as conn:
            return int(conn.execute("DELETE FROM sessions WHERE identity_id = ?", (identity_id,)).rowcount)

    def manage_sessions(
        self,
        action: Literal["disable", "delete"],
        *,
        identity_ids: Sequence[str] | None = None,
        session_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> int:
        """Disable or delete sessions by identity, by session id, or all (both None) up to `limit` rows."""
        if identity_ids is not None:
            cond, args = f"identity_id IN ({','.join('?' * len(identity_ids))})", list(identity_ids)
        elif session_ids is not None:
            cond, args = f"id IN ({','.join('?' * len(session_ids))})", list(session_ids)
        else:
            cond, args = "1 = 1", []
        if action == "disable":
            cond += " AND active = 1"  # only sessions active before the call count (wire notes §8)
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        with self._tx() as conn:
            picked = [r[0] for r in conn.execute(f"SELECT id FROM sessions WHERE {cond} ORDER BY id{lim}", args)]
            for i in range(0, len(picked), 500):
                chunk = picked[i : i + 500]
                marks = ",".join("?" * len(chunk))
                if action == "delete":
                    conn.execute(f"DELETE FROM sessions WHERE id IN ({marks})", chunk)
                else:
                    conn.execute(f"UPDATE sessions SET active = 0 WHERE id IN ({marks})", chunk)
                    rows = conn.execute(f"SELECT id, doc FROM sessions WHERE id IN ({marks})", chunk).fetchall()
                    for sid, blob in rows:
                        doc = orjson.loads(blob)
                        doc["active"] = False
                        conn.execute("UPDATE sessions SET doc = ? WHERE id = ?", (orjson.dumps(doc), sid))
        return len(picked)

    def count_sessions(self) -> int:
        """Number of stored sessions."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
