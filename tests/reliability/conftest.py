"""Fixtures for the reliability tests: one seeded sandbox database shared by every test, and its clean exports.

Sizes are chosen so the whole folder runs in well under 4 minutes on a 2-core machine: 5 000 identities
(about 8 000 sessions) instead of the issue's 50 000 / 20 000, which `benchmarks/soak.py` runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest
from drift_support import running, seeded_template
from reliability_support import fast_client

from ory_frames import export_identities, export_sessions

IDENTITIES = 5_000
SEED = 11


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding IDENTITIES seeded identities and their sessions; apps open it with seed_identities=0.

    Seeding once (the seeder stamps documents with the current time) lets a faulty and a fault-free sandbox
    serve byte-identical data.
    """
    path = tmp_path_factory.mktemp("sandbox-db") / "seeded.sqlite"
    # Seeded once per run, copied per process (pytest-xdist's workers): about ten seconds each otherwise.
    shutil.copyfile(seeded_template(IDENTITIES, seed=SEED), path)
    return str(path)


@pytest.fixture(scope="session")
def clean_exports(seeded_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Fault-free exports of the seeded data: ``{"identities": Table, "sessions": Table}``."""
    out = tmp_path_factory.mktemp("clean")
    since = datetime.now(timezone.utc)
    with running(db=seeded_db) as url:
        client, _ = fast_client(url)
        with client:
            export_identities(client, out / "identities.parquet", page_size=100)
            export_sessions(client, out / "sessions.parquet", page_size=200)
    yield {
        "identities": pq.read_table(out / "identities.parquet"),
        "sessions": pq.read_table(out / "sessions.parquet"),
        "dir": out,
        "since": since,
    }
