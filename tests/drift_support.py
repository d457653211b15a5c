"""The one way tests start a server: a sandbox (plain or drifting), or a real Kratos under ``--server kratos``.

The tests in ``DRIFT_TESTS`` run twice in one pytest run, against plain sandboxes (``[plain]``) and
against drift-mode ones (``[drift]``): ``tests/conftest.py`` parametrizes its module-scoped
``server_mode`` fixture, which sets the mode ``running()`` and ``create_app()`` use while the module's
tests of that mode run. A fixture above function scope that starts a server must take ``server_mode``,
so that it is built once per mode; ``tests/conftest.py`` fails one that does not.

Seeding costs about half a millisecond an identity, plus a second or so per seed for its name pools, in
every process that seeds. So a sandbox ``running(seed_identities=N, seed=S)`` starts is served from a copy
of a SQLite database seeded once per pytest run (``seeded_template``, shared by pytest-xdist's workers
through a file lock; the seeder's ``now`` is when that template was made, minutes at most before use). Each
sandbox gets its own copy, so tests that write still have a sandbox of their own.

``--drift`` (``ORY_FRAMES_TEST_DRIFT=1``) makes every sandbox of the run drift, as before; ``tests/conftest.py``
turns ``--drift`` and ``--server`` into environment variables, so this module (and any helper process a
test starts) sees one switch each. A test that passes ``drift=`` itself keeps its choice.

Under ``--server kratos`` (``ORY_FRAMES_TEST_SERVER=kratos``), ``running()`` starts a fresh Ory Kratos
(``tests/kratos_support.py``), seeds ``seed_identities`` users through its API and yields its admin URL.
Options that only the sandbox has (fault injection, rate limits, latency, drift, a fixed clock, ...)
are refused there with an error: a test that needs one carries ``@pytest.mark.sandbox_only(reason)``
and is skipped against Kratos with that reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ENV = "ORY_FRAMES_TEST_DRIFT"
SERVER_ENV = "ORY_FRAMES_TEST_SERVER"
SERVERS = ("sandbox", "kratos")
# Options of sandbox.running() that mean nothing to a real Kratos and change nothing a test observes
# there: Kratos has no API key (a key the client sends is ignored, as Ory Network's proxy would have
# checked it), and OIDC providers of test login flows are its configuration's.
_HARMLESS = {"api_key", "oidc_providers", "seed_identities", "seed", "host", "port"}

# The read, export, write-back, forms and CLI tests that talk to a sandbox: each runs against plain and
# against drift-mode sandboxes (fields and enum values Ory may add later; README "Drift mode"), except those
# marked ``conformance``. Paths from the repository root, files or folders; the Makefile's DRIFT_TESTS names
# the same ones for the pass against a real Kratos (tests/test_suite_setup.py checks that they agree).
DRIFT_TESTS = (
    "tests/drift",
    "tests/frames/test_arrow_out.py",
    "tests/frames/test_export.py",
    "tests/frames/test_oddities.py",
    "tests/frames/test_output_format.py",
    "tests/writeback/test_sandbox.py",
    "tests/writeback/test_create_rows.py",
    "tests/widgets",
    "tests/client/test_sandbox_e2e.py",
    "tests/test_cli.py",
    "tests/test_cli_apply.py",
    "tests/test_cli_export.py",
    "tests/test_cli_subject.py",
    "tests/test_subject.py",
)
MODES = ("plain", "drift")

_mode: list[str] = []  # the mode of the module whose tests run now (tests/conftest.py's server_mode fixture)
started = [0]  # how many servers running() and create_app() have started (the fixture check in tests/conftest.py)
templates: list[Path] = []  # the folder of this run's seeded databases, once tests/conftest.py has set it


def drift_run() -> bool:
    """Whether ``--drift`` (``ORY_FRAMES_TEST_DRIFT=1``) makes every sandbox of this run drift."""
    return os.environ.get(ENV, "") not in ("", "0")


def drift_enabled() -> bool:
    """Whether the sandboxes started now drift: the current ``server_mode``, else ``--drift``."""
    if _mode:
        return _mode[-1] == "drift"
    return drift_run()


@contextmanager
def mode(name: str) -> Iterator[None]:
    """Start ``running()`` and ``create_app()`` sandboxes in mode ``name`` (``plain`` or ``drift``) meanwhile."""
    if name not in MODES:
        raise ValueError(f"server mode {name!r}: expected one of {', '.join(MODES)}")
    _mode.append(name)
    try:
        yield
    finally:
        _mode.pop()


def server_kind() -> str:
    """The server the sandbox-facing tests talk to: ``"sandbox"`` (default) or ``"kratos"``."""
    kind = os.environ.get(SERVER_ENV, "") or "sandbox"
    if kind not in SERVERS:
        raise ValueError(f"{SERVER_ENV}={kind!r}: expected one of {', '.join(SERVERS)}")
    return kind


def on_kratos() -> bool:
    """Whether this run talks to a real Kratos instead of the sandbox."""
    return server_kind() == "kratos"


@contextmanager
def running(**kwargs: Any) -> Iterator[str]:
    """``sandbox.running`` with ``drift`` as the run asks (unless given); a real Kratos under ``--server kratos``."""
    if on_kratos():
        with running_kratos_seeded(**kwargs) as url:
            yield url
        return
    kwargs.setdefault("drift", drift_enabled())
    started[0] += 1
    with sandbox_running(**kwargs) as url:
        yield url


@contextmanager
def sandbox_running(**kwargs: Any) -> Iterator[str]:
    """``ory_frames.sandbox.running(**kwargs)``, seeded from this run's template (``seeded_template``) if it can be."""
    from ory_frames import sandbox

    identities = kwargs.get("seed_identities") or 0
    if not (templates and identities and kwargs.get("db") is None and kwargs.get("public_url") is None):
        with sandbox.running(**kwargs) as url:
            yield url
        return
    # Stored documents hold schema URLs under the default public URL, so only sandboxes with that one share.
    template = seeded_template(identities, seed=kwargs.get("seed", 0), now=kwargs.get("now"))
    with tempfile.TemporaryDirectory(prefix="sandbox-") as folder:
        db = Path(folder) / "seeded.sqlite"
        shutil.copyfile(template, db)
        with sandbox.running(**{**kwargs, "seed_identities": 0, "db": str(db)}) as url:
            yield url


def seeded_template(identities: int, *, seed: int = 0, now: datetime | None = None) -> Path:
    """A SQLite database with ``identities`` seeded identities and their sessions, made once per run; copy it.

    The store is what ``sandbox.create_app(seed_identities=identities, seed=seed, now=now)`` seeds; without
    ``now``, the seeder's moment is when the first process to ask made it. pytest-xdist's workers share it
    (the folder tests/conftest.py sets, and a lock file per database).
    """
    import fcntl

    from ory_frames.sandbox._seed import seed_store
    from ory_frames.sandbox._store import Store

    if not templates:
        raise RuntimeError("seeded_template() needs the folder tests/conftest.py sets for the run")
    name = f"seeded-{identities}-{seed}-{'now' if now is None else now.isoformat().replace(':', '')}"
    path = templates[0] / f"{name}.sqlite"
    with open(templates[0] / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            partial = templates[0] / f"{name}.partial"
            store = Store(str(partial))
            seed_store(store, identities=identities, seed=seed, now=now)
            # Everything into the one file (no -wal beside it), which is then copied.
            store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store._conn.execute("PRAGMA journal_mode=DELETE")
            store._conn.close()
            partial.rename(path)
    return path  # nothing opens it: sandboxes get copies


@contextmanager
def running_kratos_seeded(**kwargs: Any) -> Iterator[str]:
    """A fresh real Kratos seeded with ``seed_identities`` users of ``seed``; yields its admin URL."""
    import kratos_support

    unknown = sorted(k for k, v in kwargs.items() if k not in _HARMLESS and v not in (None, False, 0))
    if unknown:
        raise RuntimeError(
            f"running({', '.join(unknown)}=...) needs the sandbox: mark the test "
            "@pytest.mark.sandbox_only(reason) so that --server kratos skips it with that reason"
        )
    started[0] += 1
    with kratos_support.running_kratos() as server:
        if kwargs.get("seed_identities"):
            kratos_support.seed_kratos(server, kwargs["seed_identities"], seed=kwargs.get("seed", 0))
        yield server.admin_url


def create_app(**kwargs: Any) -> Any:
    """``ory_frames.sandbox.create_app`` with ``drift`` set as the run asks (unless given)."""
    from ory_frames import sandbox

    kwargs.setdefault("drift", drift_enabled())
    started[0] += 1
    return sandbox.create_app(**kwargs)
