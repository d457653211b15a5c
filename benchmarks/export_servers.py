"""The servers benchmarks/export.py measures, each seeded once into a SQLite file and run in its own process.

The sandbox (``seeded_db``, ``serve``) runs ``sandbox.running`` in a child interpreter, so that no variant
shares or inherits its memory.

A real Ory Kratos (``seeded_kratos_db``, ``serve_kratos``): the test harness (``tests/kratos_support.py``)
finds, starts and seeds the binary ``scripts/install-kratos.sh`` built; this adds what a benchmark needs
beside that:

- a file-backed database (``sqlite://…?_fk=true``, migrated with ``kratos migrate sql -e --yes``), as a
  self-hosted Kratos keeps its users, rather than the tests' in-memory one; it is kept in ``--db-dir`` so
  that a second run does not seed again. Seeding is ``seed_kratos`` without sessions: the sandbox's seed
  documents in batches of 200, passwords imported in plain text and hashed by Kratos (bcrypt, cost 4);
- Kratos' own time per request: at log level info, each "completed handling request" line carries
  ``took`` (nanoseconds, from the request's arrival to its last byte written);
- the CPU time of a process (user + system, all threads) from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import kratos_support  # noqa: E402
from kratos_support import kratos_version  # noqa: E402

__all__ = [
    "Served",
    "cpu_seconds",
    "kratos_version",
    "request_seconds",
    "seeded_db",
    "seeded_kratos_db",
    "serve",
    "serve_kratos",
]

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


_SEED = """
import sys
from ory_frames.sandbox._store import Store
db, size, fast = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "fast"
if fast:
    from ory_frames.sandbox._seed_fast import seed_identities_fast as seed
else:
    from ory_frames.sandbox._seed import seed_store as seed
seed(Store(db), identities=size, seed=0)
"""

_SERVER = """
import sys
from ory_frames import sandbox
with sandbox.running(db=sys.argv[1], latency_ms=float(sys.argv[2])) as url:
    print(url, flush=True)
    sys.stdin.read()
"""


def seeded_db(directory: Path, size: int, *, fast: bool) -> Path:
    """A SQLite file holding ``size`` seeded identities (``fast``: cloned, no sessions), seeded once per directory."""
    path = directory / f"identities-{size}{'-fast' if fast else ''}.sqlite"
    if path.exists():
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            if db.execute("SELECT count(*) FROM identities").fetchone()[0] == size:
                return path
        for stale in directory.glob(path.name + "*"):
            stale.unlink()
    print(f"seeding {size} identities{' (cloned)' if fast else ''} into {path} ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _SEED, str(path), str(size), "fast" if fast else "full"], check=True)
    print(f"  seeded in {time.perf_counter() - start:.0f} s", flush=True)
    return path


@dataclass
class Served:
    """A running server: its base URL, its process (whose CPU time is read), and Kratos' request log."""

    url: str
    pid: int
    log: Path | None = None


@contextlib.contextmanager
def serve(db: Path, latency_ms: float = 0) -> Iterator[Served]:
    """The sandbox on ``db`` in its own process (no variant inherits its memory: ru_maxrss survives exec)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(db), str(latency_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        url = proc.stdout.readline().strip()
        if not url:
            raise RuntimeError("the sandbox did not start")
        yield Served(url, proc.pid)
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=120)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process ``pid`` has used so far (all its threads); None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat(5)


def _dsn(db: Path) -> str:
    return f"sqlite://{db.resolve()}?_fk=true"


def _identities(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        return int(con.execute("SELECT count(*) FROM identities").fetchone()[0])


def seeded_kratos_db(directory: Path, size: int) -> Path:
    """A Kratos SQLite file holding ``size`` identities (the sandbox's seed documents, seed 0), seeded once."""
    path = directory / f"kratos-{kratos_support.kratos_version()}-{size}.sqlite"
    if path.exists():
        with contextlib.suppress(sqlite3.Error):
            if _identities(path) == size:
                return path
        for stale in directory.glob(path.name + "*"):
            stale.unlink()
    binary = kratos_support.kratos_binary()
    if binary is None:
        raise RuntimeError("no Kratos binary: run `bash scripts/install-kratos.sh` first")
    print(f"seeding Kratos with {size} identities into {path} ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [str(binary), "migrate", "sql", "-e", "--yes", "--config", "kratos.yml"],
        cwd=kratos_support.CONFIG_DIR,
        env={**os.environ, "DSN": _dsn(path)},
        check=True,
        capture_output=True,
    )
    with kratos_support.running_kratos(env={"DSN": _dsn(path)}) as server:
        kratos_support.seed_kratos(server, size, seed=0, sessions=False)
    print(f"  seeded in {time.perf_counter() - start:.0f} s", flush=True)
    return path


@contextlib.contextmanager
def serve_kratos(db: Path) -> Iterator[Served]:
    """Kratos on ``db`` (its admin URL), logging every request (``took``) at level info."""
    with kratos_support.running_kratos(env={"DSN": _dsn(db), "LOG_LEVEL": "info"}) as server:
        yield Served(server.admin_url, server.process.pid, server.log_path)


def request_seconds(log: Path, offset: int, path: str = "/admin/identities") -> list[float]:
    """Kratos' own time for each request to ``path`` its log recorded past byte ``offset``."""
    took = []
    with log.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("msg") == "completed handling request" and entry["http_request"]["path"] == path:
                    took.append(entry["http_response"]["took"] / 1e9)
    return took
