"""`ory-frames` command line: usage errors, runtime errors and serving the sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ory_frames.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "required: COMMAND"),
        (["sandbox"], "--port"),
        (["sandbox", "--port", "http"], "'http' is not an integer"),
        (["sandbox", "--port", "70000"], "not a TCP port"),
        (["sandbox", "--port", "1", "--rate-limits", "gold"], "invalid choice: 'gold'"),
        (["sandbox", "--port", "1", "--faults", "503=2"], "between 0 and 1"),
        (["sandbox", "--port", "1", "--seed-identities", "-5"], "-5 is negative"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert expected in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--help"]) == 0
    assert "--oidc-provider" in capsys.readouterr().out


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "0", "--oidc-provider", "okta", "--oidc-provider", "x"])
    assert (args.host, args.db, args.seed_identities, args.api_key) == ("127.0.0.1", ":memory:", 0, None)
    assert args.oidc_providers == ["okta", "x"]


def test_runtime_error_is_one_line_without_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "missing-dir" / "sandbox.db"
    code = main(["sandbox", "--port", "0", "--db", str(db), "--api-key", "top-secret-key"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("ory-frames sandbox: ") and err.count("\n") == 1
    assert "Traceback" not in err and "top-secret-key" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_sandbox_serves_until_interrupted() -> None:
    cmd = [sys.executable, "-m", "ory_frames.cli", "sandbox", "--port", "0", "--seed-identities", "20"]
    cmd += ["--api-key", "k3y-never-printed"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Ory sandbox on http://127.0.0.1:"), line or proc.communicate(timeout=15)[1]
        url = line.split()[3]
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        listed = httpx.get(f"{url}/admin/identities", headers={"Authorization": "Bearer k3y-never-printed"})
        assert listed.status_code == 200 and len(listed.json()) == 20
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "k3y-never-printed" not in line + out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_errors_name_the_flags_not_python_arguments_or_classes() -> None:
    from ory_frames._errors import InvalidInputError
    from ory_frames.cli._common import error_line

    # The library's own messages keep their Python words; the command line names its flags instead.
    assert error_line(FileExistsError("out.parquet exists; pass overwrite=True to replace it")) == (
        "out.parquet exists; run the same command with --overwrite to replace it"
    )
    assert error_line(InvalidInputError("no Ory URL: pass base_url=... or set ORY_SDK_URL")) == (
        "no Ory URL: pass --url or set ORY_SDK_URL"
    )
    other = InvalidInputError("s.json belongs to a different export; delete it or export without resume=True")
    line = error_line(other)
    assert line.endswith("delete it or export without --resume")
    missing = ImportError("the sandbox needs starlette and uvicorn: pip install 'ory-frames[sandbox]'")
    assert error_line(missing) == str(missing)
    # an exception the library does not raise on purpose is a bug: its class name helps the report
    assert "KeyError" in error_line(KeyError("x"))


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [
        (1, "identities", "1 identity"),
        (1, "sessions", "1 session"),
        (0, "identities", "0 identities"),
        (2500, "sessions", "2500 sessions"),
    ],
)
def test_counts_read_in_the_singular_for_one(n: int, noun: str, text: str) -> None:
    from ory_frames.cli._common import count_of

    assert count_of(n, noun) == text
