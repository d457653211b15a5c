"""The load check of `benchmarks/sandbox.py`, short: concurrent clients mixing reads and writes on a SQLite file.

No answer may be a 5xx or a dropped connection, and every write the server acknowledged must read back.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from drift_support import running

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "sandbox.py"
KEY = "load-test-key"


def _benchmark() -> ModuleType:
    """benchmarks/sandbox.py, loaded from its file (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("sandbox_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_concurrent_reads_and_writes_lose_nothing(tmp_path: Path) -> None:
    bench = _benchmark()
    with running(db=str(tmp_path / "load.db"), seed_identities=200, api_key=KEY) as url:
        report = asyncio.run(bench.run_load(url, clients=12, seconds=4.0, api_key=KEY, seed=1))
    print("\n".join(report.lines()))
    assert report.requests > 100 and report.by_status[200] > 0
    assert report.server_errors == 0 and not report.dropped, report.lines()
    assert report.writes_acknowledged > 20 and not report.missing, report.missing[:5]
    assert report.writes_verified == report.writes_acknowledged
    assert {"create_identity", "patch_identity", "get_identity"} <= set(report.by_operation)
    assert report.ok()
