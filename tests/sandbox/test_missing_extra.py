"""Without the `sandbox` extra, `import ory_frames.sandbox` works and first use names the extra to install."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
sys.modules["starlette"] = None  # as if `pip install 'ory-frames[sandbox]'` had not been run
sys.modules["uvicorn"] = None
from ory_frames import sandbox
for use in (lambda: sandbox.create_app, lambda: sandbox.running().__enter__(), lambda: sandbox.serve(port=0)):
    try:
        use()
    except ImportError as exc:
        print(exc)
    else:
        print("no error")
try:
    from ory_frames.sandbox import create_app
except ImportError as exc:
    print(exc)
"""


def test_a_missing_extra_is_named_on_first_use() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout + done.stderr
    assert all("pip install 'ory-frames[sandbox]'" in line for line in lines), lines
