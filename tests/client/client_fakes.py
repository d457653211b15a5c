"""Fakes shared by the client-layer tests: a fake clock, a recording handler, JSON responses."""

from __future__ import annotations

import base64
import json
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


FIRST = "00000000-0000-0000-0000-000000000000"


def keyset_server(ids: list[str], *, max_size: int = 500, link_base: str = "") -> Handler:
    """A fake keyset list endpoint with Kratos's rules (wire notes §1): id > token, size+1 lookahead.

    Links carry every query parameter the request had, with the paging ones overwritten, and only the
    link of a page with rows after it has ``rel="next"``.
    """
    ordered = sorted(ids)

    def respond(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        # A lone per_page is Kratos's page_size; once a page_token is sent, per_page is ignored.
        lone_per_page = "page_token" not in params and "page_size" not in params
        asked = int(params.get("page_size") or (params.get("per_page") if lone_per_page else None) or "250")
        size = min(asked if asked > 0 else 250, max_size)
        token = params.get("page_token") or FIRST
        rest = [i for i in ordered if i > token]
        page, more = rest[:size], len(rest) > size
        path = request.url.path

        def link(last: str, rel: str) -> str:
            query = params.set("page_size", str(size)).set("page_token", last)
            return f'<{link_base}{path}?{query}>; rel="{rel}"'

        links = [link(FIRST, "first")] + ([link(page[-1], "next")] if more else [])
        return json_response(200, [{"id": i} for i in page], {"link": ",".join(links), "x-request-id": token})

    return respond


def offset_server(total: int, *, max_size: int = 1000, hostile_next: bool = True) -> Handler:
    """A fake offset endpoint (identity sessions / schemas) whose Link ``next`` is untrustworthy (wire notes §1)."""

    def respond(request: httpx.Request) -> httpx.Response:
        size = min(int(request.url.params.get("page_size", "250")), max_size)
        offset = _offset_of(request.url.params.get("page_token"))
        items = [{"id": f"s{n}"} for n in range(offset, min(offset + size, total))]
        # Ory's quirk: total = 0 still gets a `next` link (and so does the last page here), so a client
        # must not trust it.
        link = f'</x?page_token={_offset_token(offset + size)}>; rel="next"' if hostile_next else ""
        return json_response(200, items, {"link": link, "x-total-count": str(total)})

    return respond


def _offset_token(offset: int) -> str:
    """Kratos's offset token: base64url, no padding, of ``{"offset":"<n>","v":2}``."""
    return base64.urlsafe_b64encode(f'{{"offset":"{offset}","v":2}}'.encode()).rstrip(b"=").decode()


def _offset_of(token: str | None) -> int:
    """The offset in a token; as in Kratos, a token that does not parse means offset 0."""
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["offset"])
    except (ValueError, KeyError, TypeError):
        return 0
