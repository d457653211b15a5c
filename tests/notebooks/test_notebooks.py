"""The notebooks run top to bottom against a fresh sandbox, and what is committed is safe to publish."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

EXPECTED = {"01-explore-user-base", "02-export-to-parquet", "03-bulk-edit-traits", "04-admin-forms", "05-move-users"}
NOTEBOOK_TIMEOUT = 120  # seconds per notebook; the four take about 40 s together
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ids = [p.stem for p in NOTEBOOK_PATHS]


def _text(nb: Any) -> str:
    return json.dumps(nb, ensure_ascii=False) if not isinstance(nb, str) else nb


def test_every_notebook_is_here() -> None:
    assert {p.stem for p in NOTEBOOK_PATHS} == EXPECTED


@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=ids)
def test_notebook_runs_without_errors(
    path: Path,
    execute_module: ModuleType,
    find_secrets: Callable[[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even with a real project configured in the environment, the test kernel gets the sandbox.
    monkeypatch.setenv("ORY_SDK_URL", "https://must-not-be-used.projects.oryapis.com")
    nb = execute_module.execute(path, timeout=NOTEBOOK_TIMEOUT)
    assert execute_module.error_outputs(nb) == []
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "talking to a local sandbox" in streams
    assert all(c.outputs for c in nb.cells if c.cell_type == "code" and c.source.startswith("if DRIVE:"))
    saved = execute_module.sanitise(nb)
    assert find_secrets(_text(saved)) == []


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=ids)
def test_committed_outputs_are_safe(path: Path, find_secrets: Callable[[str], list[str]]) -> None:
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code), "run notebooks/execute.py and commit the result"
    assert find_secrets(text) == []
    assert "widgets" not in nb["metadata"] and WIDGET_VIEW not in text  # widget state holds what forms showed
    assert not re.search(r"127\.0\.0\.1:(?!4433\b)\d+", text), "the sandbox's random port leaked into an output"
    assert not re.search(r"(/(?:work|tmp|home|root)/|[A-Z]:\\\\)", text), "an absolute path leaked into an output"
    assert not [o for c in code for o in c["outputs"] if o.get("output_type") == "error"]


def test_plots_are_committed() -> None:
    nb = json.loads((NOTEBOOKS / "01-explore-user-base.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4


def test_write_notebook_refuses_a_real_project_without_the_flag() -> None:
    nb = json.loads((NOTEBOOKS / "03-bulk-edit-traits.ipynb").read_text(encoding="utf-8"))
    setup = "".join(nb["cells"][1]["source"])
    assert 'os.environ.get("ORY_FRAMES_ALLOW_WRITES") != "1"' in setup and "raise RuntimeError" in setup
    assert "ORY_FRAMES_ALLOW_WRITES=1" in "".join(nb["cells"][0]["source"])
