"""Execute the notebooks in place and save them with their outputs, ready to commit.

Usage: ``python notebooks/execute.py [NOTEBOOK.ipynb ...]`` (default: every ``notebooks/*.ipynb``).

The notebooks run against a fresh local sandbox: ``ORY_SDK_URL`` / ``ORY_API_KEY`` are removed from
the kernel's environment. Before saving, outputs are made safe and quiet for a code host:

- cells tagged ``clear-output`` lose their outputs (none is tagged today: the forms notebook masks
  recovery codes and links itself);
- interactive widget outputs keep a one-line text stand-in, and no widget state is stored, because
  a widget's state holds every value it displays (a recovery code, for one);
- execution timings are not recorded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 180  # seconds per cell


def kernel_env() -> dict[str, str]:
    """The kernel's environment: this one without the variables that would point it at a real project."""
    env = {k: v for k, v in os.environ.items() if k not in ("ORY_SDK_URL", "ORY_API_KEY", "ORY_FRAMES_ALLOW_WRITES")}
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def execute(path: Path, *, timeout: int = CELL_TIMEOUT) -> Any:
    """Run a notebook top to bottom in its own folder and return it, outputs included (not saved)."""
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        allow_errors=True,  # errors stay in the outputs, where error_outputs() finds them
        store_widget_state=False,
    )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_env())  # the kernel inherits the environment it is started from
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def sanitise(nb: Any) -> Any:
    """Outputs fit to commit: tagged cells cleared, widgets reduced to a text stand-in, no widget state."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "clear-output" in cell.metadata.get("tags", []):
            cell.outputs = []
            continue
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {"text/plain": "(an interactive form: run the notebook to use it)"}
    return nb


def error_outputs(nb: Any) -> list[str]:
    """``ename: evalue`` of every error output in the notebook."""
    return [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        nb = sanitise(execute(path.resolve()))
        errors = error_outputs(nb)
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
        nbformat.write(nb, path)  # type: ignore[no-untyped-call]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
