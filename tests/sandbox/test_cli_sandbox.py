"""`ory-frames sandbox`: the options, the refusal to open an interface by accident, and the banner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from drift_support import drift_enabled

from ory_frames.cli import build_parser, main

KEY = "k3y-that-is-never-printed"


def test_new_options_parse() -> None:
    args = build_parser().parse_args(
        ["sandbox", "--port", "0", "--latency", "12.5", "--max-body-bytes", "1024", "--insecure-no-api-key"]
    )
    assert (args.latency, args.max_body_bytes, args.insecure_no_api_key) == (12.5, 1024, True)
    defaults = build_parser().parse_args(["sandbox", "--port", "0"])
    assert (defaults.latency, defaults.max_body_bytes, defaults.insecure_no_api_key) == (0.0, None, False)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--latency", "-3"], "not between 0 and 600000 ms"),
        (["--latency", "slow"], "'slow' is not a number of milliseconds"),
        (["--max-body-bytes", "-1"], "-1 is negative"),
    ],
)
def test_bad_option_values_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "0", *argv]) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_an_open_interface_without_a_key_is_refused_with_one_line(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "--port", "0", "--host", host, "--seed-identities", "5"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was seeded, built or bound
    assert captured.err.count("\n") == 1 and captured.err.startswith("ory-frames sandbox: refusing to serve")
    assert "--api-key" in captured.err and "--insecure-no-api-key" in captured.err


@contextmanager
def cli_sandbox(*argv: str) -> Iterator[tuple[str, str]]:
    """Run `ory-frames sandbox --port 0 ARGV` in a subprocess; yield (its banner line, a loopback URL to it)."""
    drift = ["--drift"] if drift_enabled() and "--drift" not in argv else []
    cmd = [sys.executable, "-m", "ory_frames.cli", "sandbox", "--port", "0", *drift, *argv]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("Ory sandbox on http://"), banner or proc.communicate(timeout=15)[1]
        port = banner.split()[3].rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield banner, url
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert KEY not in banner + out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_banner_says_the_interface_and_that_a_key_is_required() -> None:
    with cli_sandbox("--api-key", KEY, "--latency", "5") as (banner, url):
        assert "interface 127.0.0.1 (loopback only); API key required;" in banner
        assert "latency 5 ms" in banner and "bodies up to" not in banner
        assert httpx.get(f"{url}/admin/identities").status_code == 401


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_an_open_interface_is_served_only_when_asked_and_the_banner_says_so() -> None:
    with cli_sandbox("--host", "0.0.0.0", "--insecure-no-api-key", "--max-body-bytes", "2048") as (banner, url):
        assert banner.startswith("Ory sandbox on http://0.0.0.0:")
        assert "interface 0.0.0.0 (every interface); NO API KEY: anyone who can reach it" in banner
        assert "bodies up to 2048 bytes" in banner
        assert httpx.get(f"{url}/admin/identities").status_code == 200
        assert httpx.post(f"{url}/admin/identities", content=b"x" * 4096).status_code == 413


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_drift_flag_serves_fields_no_client_knows() -> None:
    with cli_sandbox("--drift", "--seed", "3", "--seed-identities", "4") as (banner, url):
        assert "drift mode (seed 3)" in banner
        identities = httpx.get(f"{url}/admin/identities").json()
        assert len(identities) == 4 and all("region" in i and "lifecycle" in i for i in identities)
        error = httpx.get(f"{url}/admin/identities/00000000-0000-0000-0000-000000000001").json()["error"]
        assert error["id"] and error["code"] == 404
