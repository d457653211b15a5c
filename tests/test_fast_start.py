"""A fast start: `import ory_frames` and `ory-frames [COMMAND] --help` import no heavy or optional library.

Structural checks, not timings: ``python -X importtime`` names every module a fresh interpreter
imports, and the slow ones (jsonschema, starlette, ...) or pandas and pyarrow must not be among them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ory_frames.cli._export import FORMATS
from ory_frames.export._files import EXTENSIONS

NOT_ON_IMPORT = ("jsonschema", "starlette", "uvicorn", "faker", "ipywidgets")
NOT_FOR_HELP = ("pandas", "pyarrow", *NOT_ON_IMPORT)
COMMANDS = ("demo", "export", "apply", "sandbox", "subject", "subject report", "subject erase")


def imported_modules(*args: str) -> set[str]:
    """Every module a fresh interpreter imports to run ``python -X importtime ARGS`` (which must succeed)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert len(lines) > 20, done.stderr[-2000:]  # importtime really reported
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def top_level(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_import_ory_frames_loads_no_optional_library() -> None:
    modules = imported_modules("-c", "import ory_frames")
    assert "ory_frames" in modules
    assert not top_level(modules) & set(NOT_ON_IMPORT)


def test_help_loads_neither_pandas_nor_pyarrow() -> None:
    modules = imported_modules("-m", "ory_frames.cli", "--help")
    assert {
        "ory_frames.cli._export",
        "ory_frames.cli._apply",
        "ory_frames.cli._demo",
    } <= modules  # cli runs as __main__
    assert not top_level(modules) & set(NOT_FOR_HELP)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_loads_neither_pandas_nor_pyarrow(command: str) -> None:
    modules = imported_modules("-m", "ory_frames.cli", *command.split(), "--help")
    assert not top_level(modules) & set(NOT_FOR_HELP)


def test_the_first_use_of_a_name_imports_its_module() -> None:
    code = (
        "import sys, ory_frames\n"
        "assert 'pandas' not in sys.modules and 'ory_frames.frames' not in sys.modules\n"
        "import pandas as pd\n"
        "assert not hasattr(pd.DataFrame, 'ory')\n"
        "read = ory_frames.read_identities\n"
        "assert 'ory_frames.frames' in sys.modules and ory_frames.sessions_frame.__module__ == 'ory_frames'\n"
        "assert hasattr(pd.DataFrame, 'ory')  # the accessor comes with the frames\n"
        "assert ory_frames.ExportResult.__module__ == 'ory_frames'\n"
        "assert 'jsonschema' not in sys.modules\n"
        "schema = {'type': 'object', 'properties': {'traits': {'type': 'object'}}}\n"
        "empty = ory_frames.identities_frame([])\n"
        "ory_frames.plan_changes(empty, empty.copy(), schemas={'default': schema})\n"
        "assert 'jsonschema' in sys.modules  # planning validates: imported where first used\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_pandas_imported_first_registers_the_accessor_with_the_package() -> None:
    code = "import pandas as pd, ory_frames\nassert hasattr(pd.DataFrame, 'ory')\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_export_command_offers_every_export_format() -> None:
    assert tuple(EXTENSIONS) == FORMATS
