"""Answers the Identity API never gives end in a clear OryFramesError subclass, never a hang or a wrong frame.

Each case is a handler behind ``httpx.MockTransport``; pytest-timeout turns a hang into a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from ory_frames import (
    Client,
    OryFramesError,
    TransportError,
    UnexpectedResponseError,
    iter_identities,
    iter_sessions,
    read_identities,
    read_sessions,
)
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport

BASE = "https://acme.projects.oryapis.com"
KEY = "ory_apikey_malformed_0123456789abcdef"
_TRAITS = {"email": {"type": "string"}, "name": {"type": "object", "properties": {"first": {"type": "string"}}}}
SCHEMAS = [
    {"id": "default", "schema": {"type": "object", "properties": {"traits": {"type": "object", "properties": _TRAITS}}}}
]


def identity(n: int, **over: Any) -> dict[str, Any]:
    doc = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "schema_id": "default",
        "schema_url": f"{BASE}/schemas/ZGVmYXVsdA",
        "state": "active",
        "traits": {"email": f"u{n}@example.org", "name": {"first": "A"}},
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    }
    doc.update(over)
    return doc


def client_for(identities: Callable[[httpx.Request], httpx.Response]) -> tuple[Client, list[httpx.Request]]:
    """A client whose /schemas answers normally and whose /admin/identities and /admin/sessions use ``identities``."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/schemas":
            return httpx.Response(200, json=SCHEMAS)
        return identities(request)

    transport = RetryTransport(
        httpx.MockTransport(handler), policy=RetryPolicy(retries=2, base=0.0, cap=0.0), sleep=lambda _: None
    )
    return Client(BASE, api_key=KEY, transport=transport), sent


def one_page(body: bytes | Any, *, headers: dict[str, str] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    content = body if isinstance(body, bytes) else orjson.dumps(body)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": "application/json", **(headers or {})})

    return handle


class _CutStream(httpx.SyncByteStream):
    """A body that stops mid-JSON with a dropped connection."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def _cut(request: httpx.Request) -> httpx.Response:
    body = orjson.dumps([identity(n) for n in range(10)])
    return httpx.Response(200, stream=_CutStream(body[: len(body) // 2]), headers={"content-length": str(len(body))})


def _link(target: str) -> Callable[[httpx.Request], httpx.Response]:
    return one_page([identity(1)], headers={"link": f'<{target}>; rel="next"'})


def _repeating(request: httpx.Request) -> httpx.Response:
    # Every page names the same next token: a server stuck in a loop.
    link = '</admin/identities?page_size=1&page_token=same>; rel="next"'
    return httpx.Response(200, json=[identity(1)], headers={"link": link})


CASES: dict[str, tuple[Callable[[httpx.Request], httpx.Response], type[OryFramesError]]] = {
    "invalid JSON": (one_page(b"[{'id': 1}"), UnexpectedResponseError),
    "HTML error page with 200": (one_page(b"<html>Bad gateway</html>"), UnexpectedResponseError),
    "page is an object": (one_page({"identities": [identity(1)]}), UnexpectedResponseError),
    "page of strings": (one_page(["a", "b"]), UnexpectedResponseError),
    "page is null": (one_page(b"null"), UnexpectedResponseError),
    "body cut mid-JSON (same length)": (one_page(orjson.dumps([identity(1)])[:40]), UnexpectedResponseError),
    "body cut mid-JSON (connection dropped)": (_cut, TransportError),
    "link to another host": (_link("https://evil.example/admin/identities?page_token=x"), UnexpectedResponseError),
    "link downgrades to http": (
        _link("http://acme.projects.oryapis.com/admin/identities?page_token=x"),
        UnexpectedResponseError,
    ),
    "link to another port": (
        _link("https://acme.projects.oryapis.com:8443/admin/identities?page_token=x"),
        UnexpectedResponseError,
    ),
    "link without a token": (_link("/admin/identities?page_size=1"), UnexpectedResponseError),
    "malformed link": (
        one_page([identity(1)], headers={"link": "</x?page_token=a; rel=next"}),
        UnexpectedResponseError,
    ),
    "same token repeated": (_repeating, UnexpectedResponseError),
    "huge page (100k items for 500 asked)": (one_page([identity(n) for n in range(100_000)]), UnexpectedResponseError),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", list(CASES))
def test_malformed_answer_is_a_clear_error(case: str) -> None:
    handler, expected = CASES[case]
    client, sent = client_for(handler)
    with client, pytest.raises(expected) as info:
        read_identities(client)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert all(r.url.host == "acme.projects.oryapis.com" and r.url.scheme == "https" for r in sent)


@pytest.mark.timeout(20)
def test_hostile_link_is_never_followed_by_the_paginators() -> None:
    client, sent = client_for(_link("https://evil.example/admin/sessions?page_token=x"))
    with client, pytest.raises(UnexpectedResponseError):
        list(iter_sessions(client, page_size=1))
    assert [r.url.host for r in sent] == ["acme.projects.oryapis.com"]
    client, sent = client_for(_link("//evil.example/admin/identities?page_token=x"))  # scheme-relative
    with client, pytest.raises(UnexpectedResponseError):
        list(iter_identities(client, page_size=1))
    assert {r.url.host for r in sent} == {"acme.projects.oryapis.com"}


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("case", "doc"),
    [
        ("state not a string", identity(1, state=5)),  # a new state string is kept (tests/drift)
        ("created_at not a time", identity(1, created_at="yesterday")),
    ],
)
def test_mistyped_values_are_never_silently_wrong(case: str, doc: dict[str, Any]) -> None:
    # _convert's contract: a value that does not fit its column is read as null and reported in a warning
    # naming the row and column (ConversionProblems), so the frame is never silently wrong.
    client, _ = client_for(one_page([identity(0), doc]))
    with client, pytest.warns(UserWarning, match="did not fit their column") as caught:
        frame = read_identities(client)
    assert {w.category.__name__ for w in caught} == {"ConversionWarning"}  # ory_frames' own warning, nothing else
    assert len(frame) == 2
    assert frame.iloc[0]["id"] == identity(0)["id"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "doc",
    [
        {k: v for k, v in identity(1).items() if k != "id"},
        identity(1, traits="not an object"),
        identity(1, traits=["a", "list"]),
        identity(1, id=12345),
    ],
    ids=["id missing", "traits a string", "traits a list", "id is a number"],
)
def test_records_without_id_or_traits_object_are_an_error(doc: dict[str, Any]) -> None:
    client, _ = client_for(one_page([identity(0), doc]))
    with client, pytest.raises(OryFramesError):
        read_identities(client)


@pytest.mark.timeout(20)
def test_session_page_that_is_an_object() -> None:
    client, _ = client_for(one_page({"sessions": []}))
    with client, pytest.raises(UnexpectedResponseError):
        read_sessions(client)
