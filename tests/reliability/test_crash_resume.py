"""An export process killed with SIGKILL at random points, then rerun with ``resume=True``, writes exactly what an
uninterrupted run writes; nothing half-written ever appears under the final name.

Size: the shared 5 000 identities (about 8 000 sessions), small pages and parts so a kill lands mid-stream.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from drift_support import running
from reliability_support import assert_same_rows

from ory_frames import Client, export_identities, export_sessions
from ory_frames.export._files import PARTIAL_SUFFIX, STATE_SUFFIX

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGKILL is POSIX", allow_module_level=True)

SINCE: list[Any] = [None]  # when the reference was read (sessions that expired since then read inactive)

# The child process: one export, with many flushes (parts) so that kills fall between and inside them.
CHILD = """
import sys
from ory_frames import Client, export_identities, export_sessions
url, kind, path = sys.argv[1:4]
with Client(url) as client:
    if kind == "identities":
        export_identities(client, path, page_size=50, batch_rows=250, resume=True)
    else:
        export_sessions(client, path, page_size=100, batch_rows=500, resume=True)
print("done")
"""


def _check_final(path: Path, want: pa.Table) -> bool:
    """Whether the final file exists; if it does, it must be the whole export."""
    if not path.exists():
        return False
    assert_same_rows(pq.read_table(path), want, since=SINCE[0])
    return True


def _parts(state: Path) -> int:
    """Parts flushed so far, from the export's state file (-1 while unreadable)."""
    try:
        return int(json.loads(state.read_bytes())["parts"])
    except (OSError, ValueError, KeyError):
        return -1


def _kill_at_random(url: str, kind: str, path: Path, want: pa.Table, parts: int, delay: float) -> str:
    """Start the child; SIGKILL it ``delay`` s after it flushed ``parts`` parts; check the final name meanwhile."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, kind, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    state = Path(str(path) + STATE_SUFFIX)
    try:
        deadline = time.monotonic() + 60
        while not state.exists() and not path.exists() and child.poll() is None:
            assert time.monotonic() < deadline, "the export never started"
            time.sleep(0.005)
        while _parts(state) < parts and child.poll() is None:
            _check_final(path, want)
            time.sleep(0.002)
        kill_at = time.monotonic() + delay
        while time.monotonic() < kill_at and child.poll() is None:
            _check_final(path, want)
            time.sleep(0.002)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            outcome = "killed mid-export" if state.exists() else "killed after the export"
        else:
            outcome = "finished"
            assert child.returncode == 0, child.stderr.read().decode(errors="replace")[-2000:]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()
    # At kill time: the final name is absent, or holds the complete export (rename is the last step).
    _check_final(path, want)
    return outcome


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("kind", "kills"), [("identities", 3), ("sessions", 2)])
def test_sigkill_then_resume(
    kind: str, kills: int, seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path
) -> None:
    want: pa.Table = clean_exports[kind]
    SINCE[0] = clean_exports["since"]
    rng = random.Random(f"kill-{kind}")
    outcomes: list[str] = []
    with running(db=seeded_db) as url:
        batch_rows = 250 if kind == "identities" else 500
        total_parts = -(-want.num_rows // batch_rows)
        for n in range(kills):
            path = tmp_path / f"{kind}-{n}.parquet"
            # A random point: after a random number of flushed parts (the last one: while joining them), plus
            # a random fraction of a flush interval, so kills land inside fetches, part writes and state writes.
            parts = rng.randint(0, total_parts)
            outcome = _kill_at_random(url, kind, path, want, parts, delay=rng.uniform(0.0, 0.05))
            outcomes.append(outcome)
            with Client(url) as client:
                export = export_identities if kind == "identities" else export_sessions
                size = {"page_size": 50 if kind == "identities" else 100, "batch_rows": batch_rows}
                if Path(str(path) + STATE_SUFFIX).exists() or not path.exists():
                    result = export(client, path, resume=True, **size)  # type: ignore[operator]
                    assert result.rows == want.num_rows
            assert_same_rows(pq.read_table(path), want, since=SINCE[0])
            assert not Path(str(path) + STATE_SUFFIX).exists()
            assert not Path(str(path) + PARTIAL_SUFFIX).exists()
    assert "killed mid-export" in outcomes, outcomes
