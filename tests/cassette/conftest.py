"""Cassette fixtures: the client's HTTP tests replay recorded exchanges from ``cassettes/client/`` (no server).

- Default: replay only (vcrpy ``record_mode="none"``); a missing cassette fails the test.
- ``ORY_FRAMES_RECORD=1`` (``make record``): each test gets a fresh deterministic sandbox
  (``running(seed_identities=30, seed=5, api_key=<random key>)``) and its cassette is recorded anew.
- ``ORY_FRAMES_RECORD=1`` with ``ORY_SDK_URL`` (and ``ORY_API_KEY``) set: the read-only tests record from
  that project; tests that write are skipped. Real recordings hold the project's identities (personal
  data, scrubbed of credentials only): keep them local, commit sandbox recordings.

Requests are matched on method, path, query and body (never host or port), and every recording is
rebased onto ``REPLAY_BASE_URL``. Tests derive ids from earlier responses in the same cassette, so what
they send is the same at record and at replay time.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr

# tests/secret_scan.py is shared by every test folder; make it importable when only this folder is run.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cassette_scrub import REPLAY_BASE_URL, request_hook, response_hook
from cassette_support import Target

from ory_frames.client._client import Client

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes" / "client"
SEED = 5  # seed 5 with 30 identities has OIDC tokens, TOTP and lookup codes to scrub
SEED_IDENTITIES = 30
RECORDING = os.environ.get("ORY_FRAMES_RECORD") == "1"
MATCH_ON = ("method", "path", "query", "body")


@pytest.fixture
def target() -> Iterator[Target]:
    """The server behind this test: none (replay), a fresh seeded sandbox, or ``ORY_SDK_URL``."""
    if not RECORDING:
        yield Target(REPLAY_BASE_URL, None, recording=False, real=False)
        return
    project = os.environ.get("ORY_SDK_URL")
    if project:
        yield Target(project, os.environ.get("ORY_API_KEY") or None, recording=True, real=True)
        return
    from ory_frames.sandbox import running

    key = f"ory_apikey_recording_{secrets.token_hex(16)}"
    with running(seed_identities=SEED_IDENTITIES, seed=SEED, api_key=key) as url:
        yield Target(url, key, recording=True, real=False)


def cassette_path(node_name: str) -> Path:
    """The cassette file of a test (parametrized names made filesystem-safe)."""
    return CASSETTE_DIR / (re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_") + ".json")


@pytest.fixture
def client(request: pytest.FixtureRequest, target: Target) -> Iterator[Client]:
    """A Client whose HTTP exchanges are replayed from (or recorded to) this test's cassette.

    Tests that write also request the ``writes`` fixture; against a real project they are skipped
    before their cassette is touched. At replay time every recorded exchange must be used.
    """
    if target.real and "writes" in request.fixturenames:
        pytest.skip("writes: only recorded from the sandbox, never against a real project")
    path = cassette_path(request.node.name)
    if target.recording:
        CASSETTE_DIR.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    elif not path.exists():
        pytest.fail(f"cassette {path.name} is missing: run `make record` (ORY_FRAMES_RECORD=1) to record it")
    recorder = vcr.VCR(
        serializer="json",
        record_mode="all" if target.recording else "none",
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=request_hook([target.api_key or ""]),
        before_record_response=response_hook([target.api_key or ""]),
    )
    with (
        recorder.use_cassette(str(path)) as cassette,
        Client(target.base_url, api_key=target.api_key, retries=2 if target.recording else 0) as ory,
    ):
        yield ory
        if not target.recording and not cassette.all_played:
            pytest.fail(f"{path.name}: the test made fewer requests than were recorded; re-record it")


@pytest.fixture
def writes(target: Target) -> None:
    """Marks a test that changes server state (skipped when recording against a real project)."""
