"""Fakes shared by the client-layer tests: a fake clock, a recording handler, JSON responses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

BASE = "https://acme.projects.oryapis.com"
KEY = "ory_pat_SUPERSECRETtoken1234567890"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)


class Recorder:
    """A MockTransport handler that records requests and answers from a script or a function."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            self.requests.append(request)
        return self.respond(request)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON response as Ory sends it."""
    return httpx.Response(status, json=body, headers=headers)
