"""One seeded sandbox per module and clients bound to it; a transport that records what was sent."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

if importlib.util.find_spec("ipywidgets") is None:  # the widgets extra is not installed
    collect_ignore_glob = ["test_*.py"]

from drift_support import running

from ory_frames import Client

API_KEY = "ory_pat_widgets_test_0123456789"


class RecordingTransport(httpx.BaseTransport):
    """Sends through a real HTTP transport and remembers each request; calls `on_request` before sending."""

    def __init__(self, on_request: Callable[[httpx.Request], None] | None = None) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[tuple[str, str]] = []
        self.on_request = on_request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if self.on_request is not None:
            self.on_request(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture(scope="module")
def sandbox_url(server_mode: str) -> Iterator[str]:
    with running(seed_identities=30, oidc_providers=("google", "github"), api_key=API_KEY) as url:
        yield url


@pytest.fixture
def client(sandbox_url: str) -> Iterator[Client]:
    with Client(sandbox_url, api_key=API_KEY, retries=0) as bound:
        yield bound


@pytest.fixture
def make_recording_client(
    sandbox_url: str,
) -> Iterator[Callable[[Callable[[httpx.Request], None] | None], tuple[Client, RecordingTransport]]]:
    """A client whose requests are recorded (and shown to a hook before they go out), with its recorder.

    Every client made is closed when the test ends.
    """
    made: list[Client] = []

    def make(on_request: Callable[[httpx.Request], None] | None = None) -> tuple[Client, RecordingTransport]:
        transport = RecordingTransport(on_request)
        made.append(Client(sandbox_url, api_key=API_KEY, transport=transport, retries=0))
        return made[-1], transport

    yield make
    for bound in made:
        bound.close()


@pytest.fixture
def api_key() -> str:
    return API_KEY


MakeRecordingClient = Callable[[Callable[[httpx.Request], None] | None], tuple[Client, RecordingTransport]]
FindIdentity = Callable[[Client, Callable[[dict[str, Any]], bool]], dict[str, Any]]


@pytest.fixture
def first_identity() -> FindIdentity:
    """The first seeded identity (full JSON) that satisfies a predicate."""

    def find(client: Client, where: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for item in client.list_identities():
            if where(dict(item)):
                return dict(item)
        raise AssertionError("no seeded identity fits; raise seed_identities")

    return find
