"""The RecoveryForm in a real browser: a notebook served by Voila, driven in headless Chromium by Playwright.

Needs Chromium, Voila and Playwright: ``scripts/install-browser.sh`` installs them. Playwright drives the
system Chromium (``/usr/bin/chromium``); it never downloads a browser of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "ory_pat_browser_test_0123456789"
NOTEBOOK_CODE = """\
from ory_frames import Client
from ory_frames.widgets import RecoveryForm

# ORY_SDK_URL and ORY_API_KEY come from the environment (the test's sandbox).
RecoveryForm(Client())
"""

if CHROMIUM is None:
    pytest.skip("chromium is not installed; run scripts/install-browser.sh", allow_module_level=True)

from drift_support import running  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from ory_frames import Client  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_notebook(path: Path) -> None:
    notebook: dict[str, Any] = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {
                "cell_type": "code",
                "id": "recovery-form",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": NOTEBOOK_CODE,
            }
        ],
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A seeded sandbox and a Voila server showing the notebook; yields (voila URL, sandbox URL)."""
    with running(seed_identities=4, api_key=API_KEY) as sandbox_url:
        _write_notebook(tmp_path / "recovery.ipynb")
        port = _free_port()
        env = {**os.environ, "ORY_SDK_URL": sandbox_url, "ORY_API_KEY": API_KEY}
        log = (tmp_path / "voila.log").open("w")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voila",
                "recovery.ipynb",
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                "--VoilaConfiguration.show_tracebacks=True",
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 30
            while True:  # wait until Voila listens
                try:
                    httpx.get(f"{url}api", timeout=1.0)
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError((tmp_path / "voila.log").read_text()) from None
                    time.sleep(0.1)
            yield url, sandbox_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def test_recovery_code_in_the_browser(voila: tuple[str, str], tmp_path: Path) -> None:
    url, sandbox_url = voila
    with Client(sandbox_url, api_key=API_KEY) as client:
        identity = next(i for i in client.list_identities() if (i.get("traits") or {}).get("email"))
    email = identity["traits"]["email"]

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # an empty profile of our own
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1000, "height": 700},
        )
        try:
            page = context.new_page()
            page.goto(url, timeout=30_000)
            field = page.locator(".ory-identity-input input")
            field.fill(email, timeout=30_000)
            field.press("Tab")  # the field sends its value when it loses focus
            page.locator(".ory-found").wait_for(timeout=15_000)
            assert identity["id"] in page.locator(".ory-found").inner_text()

            page.locator("button.ory-recovery-send").click()
            code_text = page.locator(".ory-recovery-code").inner_text(timeout=15_000)
            link_text = page.locator(".ory-recovery-link").inner_text()
            page.screenshot(path=str(tmp_path / "recovery-form.png"), full_page=True)
        finally:
            context.close()

    assert re.fullmatch(r"\d{6}", code_text), code_text
    flow = re.search(r"[?&]flow=([0-9a-f-]{36})", link_text)
    assert flow is not None, link_text
    with Client(sandbox_url, api_key=API_KEY) as client:  # the sandbox's own routes need the key too
        stats = client.get_json("/__sandbox/stats")
        issued = client.get_json("/__sandbox/recoveries", {"identity_id": identity["id"]})
    # The server created exactly one recovery code, for this request.
    created = {route: counts for route, counts in stats["by_route"].items() if "recovery/code" in route}
    assert sum(counts.get("201", 0) for counts in created.values()) == 1, stats
    # ... and the code on the page is the one the server issued for this identity.
    assert [r["recovery_code"] for r in issued if r["method"] == "code"] == [code_text]
    assert flow.group(1) in issued[0]["recovery_link"]
    assert (tmp_path / "recovery-form.png").stat().st_size > 0
