"""The three paginators (identity keyset, session keyset, offset), table by table, through a Client on MockTransport.

Each table names one paging rule of wire notes §1 and runs it against every call it applies to: the
single-page ``Client.list_*`` calls and the ``iter_*`` walks share one paginator per style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import BASE, FIRST, Handler, json_response, keyset_server, offset_server

from ory_frames import (
    Client,
    InvalidInputError,
    Page,
    UnexpectedResponseError,
    iter_identities,
    iter_identity_schemas,
    iter_identity_sessions,
    iter_sessions,
)
from ory_frames.pages._offsets import decode_offset_token, encode_offset_token
from ory_frames.pages._paginators import IdentityKeysetPaginator, PageRequest

ID = "5f1f4e1c-4a49-4a4a-8d0b-6f1d3b6c2a11"
IDS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(1, 12)]

Call = Callable[..., Any]


def empty(request: httpx.Request) -> httpx.Response:
    return json_response(200, [])


def first_page(pages: Iterator[Page]) -> Page:
    return next(iter(pages))


# --- the page-size clamp ----------------------------------------------------------------------------------
# (call, arguments, page_size sent (None: not sent), Page.page_size). A single list call sends what it is
# given and reports the size Ory applies; a walk sends the clamped size (None meaning the maximum).
CLAMP = {
    "identities: too large, sent as given": (Client.list_identities, {"page_size": 900}, "900", 500),
    "identities: nothing asked is Ory's default": (Client.list_identities, {}, None, 250),
    "identities: 0 falls back to the default": (Client.list_identities, {"page_size": 0}, "0", 250),
    "identities: lone per_page is page_size": (Client.list_identities, {"per_page": 120}, None, 120),
    "identities legacy: per_page below 1 is 1": (Client.list_identities, {"page": 2, "per_page": 0}, None, 1),
    "identities legacy: per_page clamped": (Client.list_identities, {"page": 0, "per_page": 900}, None, 500),
    "sessions: clamped to 1000": (Client.list_sessions, {"page_size": 5000}, "5000", 1000),
    "identity sessions: per_page clamped": (
        lambda c, **kw: c.list_identity_sessions(ID, **kw),
        {"page": 0, "per_page": 3000},
        None,
        1000,
    ),
    "schemas: negative is the default": (Client.list_identity_schemas, {"page_size": -1}, "-1", 250),
    "walk identities: None is the maximum": (lambda c, **kw: first_page(iter_identities(c, **kw)), {}, "500", 500),
    "walk identities: clamped before sending": (
        lambda c, **kw: first_page(iter_identities(c, **kw)),
        {"page_size": 900},
        "500",
        500,
    ),
    "walk sessions: None is the maximum": (lambda c, **kw: first_page(iter_sessions(c, **kw)), {}, "1000", 1000),
    "walk identity sessions: clamped": (
        lambda c, **kw: first_page(iter_identity_sessions(c, ID, **kw)),
        {"page_size": 2000},
        "1000",
        1000,
    ),
    "walk schemas: small sizes kept": (
        lambda c, **kw: first_page(iter_identity_schemas(c, **kw)),
        {"page_size": 7},
        "7",
        7,
    ),
}


@pytest.mark.parametrize("case", list(CLAMP))
def test_page_size_clamp(make_client: Any, case: str) -> None:
    call, kwargs, sent, effective = CLAMP[case]
    client, recorder = make_client(empty)
    page = call(client, **kwargs)
    assert recorder.requests[0].url.params.get("page_size") == sent
    assert page.page_size == effective


@pytest.mark.parametrize(
    "walk",
    [
        lambda c: iter_identities(c, page_size=0),
        lambda c: iter_sessions(c, page_size=-5),
        lambda c: iter_identity_sessions(c, ID, page_size=0),
        lambda c: iter_identity_schemas(c, page_size=-1),
    ],
)
def test_walk_refuses_a_page_size_below_one_before_any_request(make_client: Any, walk: Call) -> None:
    client, recorder = make_client(empty)
    with pytest.raises(InvalidInputError, match="page_size"):
        walk(client)
    assert recorder.requests == []


# --- the Link rule of the keyset styles --------------------------------------------------------------------
KEYSET_LISTS = {
    "identities": lambda c: c.list_identities(page_size=1),
    "sessions": lambda c: c.list_sessions(page_size=1),
}
# (Link header, next token, or the error it is)
LINKS = {
    "relative next": ('</admin/x?page_size=1&page_token=t2>; rel="next"', "t2"),
    "first and next, no space": (
        f'</admin/x?page_token={FIRST}>; rel="first",</admin/x?page_token=t2>; rel="next"',
        "t2",
    ),
    "same host, absolute": (f'<{BASE}/admin/x?page_token=t2>; rel="next"', "t2"),
    "only page_token is read": ('</elsewhere?ids=zz&page_size=9&page_token=t2&evil=1>; rel="next"', "t2"),
    "no next is the last page": (f'</admin/x?page_token={FIRST}>; rel="first"', None),
    "no Link is the last page": ("", None),
    "another host": ('<https://evil.example/admin/x?page_token=t2>; rel="next"', "another host"),
    "scheme-relative host": ('<//evil.example/admin/x?page_token=t2>; rel="next"', "another host"),
    "downgrade to http": ('<http://acme.projects.oryapis.com/admin/x?page_token=t2>; rel="next"', "another host"),
    "another port": ('<https://acme.projects.oryapis.com:8443/admin/x?page_token=t2>; rel="next"', "another host"),
    "next without a token": ('</admin/x?page_size=1>; rel="next"', "page_token"),
    "malformed": ('</admin/x?page_token=t2; rel="next"', "malformed"),
}


@pytest.mark.parametrize("style", list(KEYSET_LISTS))
@pytest.mark.parametrize("case", list(LINKS))
def test_keyset_link_rule(make_client: Any, style: str, case: str) -> None:
    header, expected = LINKS[case]
    client, _ = make_client(lambda r: json_response(200, [{"id": "a"}], {"link": header} if header else {}))
    if expected is None or expected == "t2":
        assert KEYSET_LISTS[style](client).next_token == expected
    else:
        with pytest.raises(UnexpectedResponseError, match=expected):
            KEYSET_LISTS[style](client)


KEYSET_WALKS = {
    "identities": lambda c, **kw: iter_identities(c, ids=["a", "b"], page_size=1, **kw),
    "sessions": lambda c, **kw: iter_sessions(c, active=True, page_size=1, **kw),
}


@pytest.mark.parametrize("style", list(KEYSET_WALKS))
def test_walk_sends_its_own_query_not_the_links(make_client: Any, style: str) -> None:
    links = iter(['</x?page_token=t2&evil=1&active=false&ids=zz>; rel="next"', ""])
    client, recorder = make_client(lambda r: json_response(200, [{"id": "a"}], {"link": next(links)}))
    assert len(list(KEYSET_WALKS[style](client))) == 2
    first, second = (dict(r.url.params.multi_items()) for r in recorder.requests)
    assert second == {**first, "page_token": "t2"}
    assert "evil" not in second and second.get("active") != "false"
    assert all(r.url.host == "acme.projects.oryapis.com" for r in recorder.requests)


@pytest.mark.parametrize("style", list(KEYSET_WALKS))
@pytest.mark.parametrize("target", ["https://evil.example/admin/x", "//evil.example/admin/x"])
def test_walk_never_follows_a_link_to_another_host(make_client: Any, style: str, target: str) -> None:
    client, recorder = make_client(
        lambda r: json_response(200, [{"id": "a"}], {"link": f'<{target}?page_token=t2>; rel="next"'})
    )
    with pytest.raises(UnexpectedResponseError, match="another host"):
        list(KEYSET_WALKS[style](client, prefetch=False))
    assert [r.url.host for r in recorder.requests] == ["acme.projects.oryapis.com"]


def test_keyset_empty_page_ends_the_walk_whatever_its_link(make_client: Any) -> None:
    client, recorder = make_client(lambda r: json_response(200, [], {"link": '</x?page_token=t2>; rel="next"'}))
    pages = list(iter_sessions(client))
    assert [len(p) for p in pages] == [0] and pages[0].next_token is None
    assert len(recorder.requests) == 1


# --- legacy mode of GET /admin/identities ------------------------------------------------------------------
# (arguments, query sent, next token read from the Link?) Mode rules, wire notes §1.
LEGACY = {
    "page alone is legacy": ({"page": 1}, {"page": "1"}, False),
    "page and per_page are legacy": ({"page": 0, "per_page": 2}, {"page": "0", "per_page": "2"}, False),
    "page_size wins over page": ({"page": 3, "page_size": 2}, {"page": "3", "page_size": "2"}, True),
    "page_token wins over page": ({"page": 3, "page_token": "t1"}, {"page": "3", "page_token": "t1"}, True),
    "lone per_page is keyset": ({"per_page": 2}, {"per_page": "2"}, True),
    "nothing is keyset": ({}, {}, True),
}


@pytest.mark.parametrize("case", list(LEGACY))
def test_identity_paging_mode(make_client: Any, case: str) -> None:
    kwargs, sent, keyset = LEGACY[case]
    link = '</admin/identities?page=2&per_page=2&page_size=2&page_token=t2>; rel="next"'
    client, recorder = make_client(lambda r: json_response(200, [{"id": "a"}], {"link": link, "x-total-count": "9"}))
    page = client.list_identities(**kwargs)
    assert dict(recorder.requests[0].url.params.multi_items()) == sent
    assert page.next_token == ("t2" if keyset else None)
    assert page.total_count == 9


def test_legacy_mode_does_not_read_the_link(make_client: Any) -> None:
    # Legacy pages carry offset-style links (wire notes §1); they are not ours to follow, nor to check.
    client, _ = make_client(lambda r: json_response(200, [{"id": "a"}], {"link": "<https://evil.example/>; rel=next"}))
    assert client.list_identities(page=0, per_page=1).next_token is None


def test_next_request_after_a_lone_per_page_names_page_size(make_client: Any) -> None:
    # Kratos ignores per_page once page_token is present (wire notes §1), so the next request must say
    # page_size, or its pages would silently grow to the default 250.
    client, recorder = make_client(keyset_server(IDS))
    request = PageRequest("/admin/identities", {"ids": None})
    paginator = IdentityKeysetPaginator(per_page=4)
    paginator.init_request(request)
    first = client.fetch_page(request, paginator)
    paginator.update_request(request)
    second = client.fetch_page(request, paginator)
    assert [len(first), len(second)] == [4, 4]
    assert dict(recorder.requests[1].url.params.multi_items()) == {"page_size": "4", "page_token": IDS[3]}
    assert [i["id"] for i in [*first, *second]] == IDS[:8]


# --- the offset stop rule ----------------------------------------------------------------------------------
OFFSET_WALKS = {
    "identity sessions": lambda c, **kw: iter_identity_sessions(c, ID, **kw),
    "schemas": lambda c, **kw: iter_identity_schemas(c, **kw),
}
# (total items, page size, items per page) - the untrustworthy Link `next` is on every answer
STOPS = {
    "empty result, next link and all": (0, 3, [0]),
    "short last page": (7, 3, [3, 3, 1]),
    "exact multiple needs one empty page": (9, 3, [3, 3, 3, 0]),
    "one short page": (2, 5, [2]),
}


@pytest.mark.parametrize("endpoint", list(OFFSET_WALKS))
@pytest.mark.parametrize("case", list(STOPS))
def test_offset_stop_rule(make_client: Any, endpoint: str, case: str) -> None:
    total, size, lengths = STOPS[case]
    client, recorder = make_client(offset_server(total))
    pages = list(OFFSET_WALKS[endpoint](client, page_size=size))
    assert [len(p) for p in pages] == lengths
    assert [i["id"] for p in pages for i in p] == [f"s{n}" for n in range(total)]
    assert all(p.total_count == total for p in pages)
    assert pages[-1].next_token is None
    assert [p.next_token for p in pages[:-1]] == [encode_offset_token(size * (n + 1)) for n in range(len(pages) - 1)]
    assert len(recorder.requests) == len(lengths)


@pytest.mark.parametrize(
    ("kwargs", "next_token"),
    [
        ({"page_size": 2, "page_token": encode_offset_token(2)}, encode_offset_token(4)),
        ({"page": 1, "per_page": 2}, encode_offset_token(4)),  # page is 0-based
        ({"page": -3, "per_page": 2}, encode_offset_token(2)),  # a negative page is page 0
        ({"page_size": 5}, None),  # 2 items: a short page
    ],
)
def test_offset_single_page_next_token(make_client: Any, kwargs: dict[str, Any], next_token: str | None) -> None:
    client, _ = make_client(lambda r: json_response(200, [{"id": "a"}, {"id": "b"}], {"x-total-count": "5"}))
    assert client.list_identity_sessions(ID, **kwargs).next_token == next_token
    assert client.list_identity_schemas(**kwargs).next_token == next_token


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.list_identity_schemas(page_token=t),
        lambda c, t: list(iter_identity_sessions(c, ID, page_token=t)),
    ],
)
@pytest.mark.parametrize("token", ["garbage", "eyJ4IjoxfQ", encode_offset_token(-1)])
def test_foreign_offset_token_is_refused_before_any_request(make_client: Any, call: Call, token: str) -> None:
    # Ory would silently start again at offset 0 (wire notes §1); that is a duplicate read, not a resume.
    client, recorder = make_client(empty)
    with pytest.raises(InvalidInputError, match="page_token"):
        call(client, token)
    assert recorder.requests == []


# --- resume from a cursor ----------------------------------------------------------------------------------
SESSION_IDS = [f"{n:08d}-1111-4000-8000-000000000000" for n in range(1, 9)]
RESUMES: dict[str, tuple[Handler, Callable[..., Iterator[Page]]]] = {
    "identities": (keyset_server(IDS), lambda c, **kw: iter_identities(c, **kw)),
    "sessions": (keyset_server(SESSION_IDS, max_size=1000), lambda c, **kw: iter_sessions(c, **kw)),
    "identity sessions": (offset_server(11), lambda c, **kw: iter_identity_sessions(c, ID, **kw)),
    "schemas": (offset_server(11), lambda c, **kw: iter_identity_schemas(c, **kw)),
}


@pytest.mark.parametrize("endpoint", list(RESUMES))
@pytest.mark.parametrize("stop_after", [1, 2])
def test_resume_from_a_page_cursor(make_client: Any, endpoint: str, stop_after: int) -> None:
    handler, walk = RESUMES[endpoint]
    client, recorder = make_client(handler)
    everything = [i["id"] for p in walk(client, page_size=3) for i in p]
    pages = walk(client, page_size=3, prefetch=False)
    head = [next(pages) for _ in range(stop_after)]
    pages.close()
    before = len(recorder.requests)
    rest = list(walk(client, page_size=3, page_token=head[-1].next_token))
    assert [i["id"] for p in [*head, *rest] for i in p] == everything
    assert recorder.requests[before].url.params["page_token"] == head[-1].next_token


# --- a server going round in circles -----------------------------------------------------------------------
def same_next(token: str) -> Handler:
    return lambda r: json_response(200, [{"id": "a"}], {"link": f'</x?page_size=1&page_token={token}>; rel="next"'})


@pytest.mark.parametrize("style", list(KEYSET_WALKS))
@pytest.mark.parametrize("prefetch", [True, False])
def test_same_token_twice_stops_the_walk(make_client: Any, style: str, prefetch: bool) -> None:
    client, recorder = make_client(same_next("loop"))
    with pytest.raises(UnexpectedResponseError, match="twice"):
        list(KEYSET_WALKS[style](client, prefetch=prefetch))
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("style", list(KEYSET_WALKS))
def test_the_starting_token_counts_as_seen(make_client: Any, style: str) -> None:
    client, recorder = make_client(same_next("start"))
    with pytest.raises(UnexpectedResponseError, match="twice"):
        list(KEYSET_WALKS[style](client, page_token="start"))
    assert len(recorder.requests) == 1


# --- a page larger than the page size ----------------------------------------------------------------------
OVERSIZED = {
    "identities": (lambda c: c.list_identities(page_size=900), 500),
    "identities, legacy": (lambda c: c.list_identities(page=0, per_page=3), 3),
    "sessions": (lambda c: c.list_sessions(), 250),
    "identity sessions": (lambda c: list(iter_identity_sessions(c, ID, page_size=10)), 10),
    "schemas": (lambda c: c.list_identity_schemas(page_size=2), 2),
}


@pytest.mark.parametrize("case", list(OVERSIZED))
def test_a_page_larger_than_the_page_size_is_refused(make_client: Any, case: str) -> None:
    call, size = OVERSIZED[case]
    client, _ = make_client(lambda r: json_response(200, [{"id": str(n)} for n in range(size + 1)]))
    with pytest.raises(UnexpectedResponseError, match=f"{size + 1} items on a page of at most {size}"):
        call(client)


def test_a_full_page_is_accepted(make_client: Any) -> None:
    client, _ = make_client(lambda r: json_response(200, [{"id": str(n)} for n in range(3)]))
    assert len(client.list_identities(page=0, per_page=3)) == 3


# --- what a session walk asks for --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({}, ["identity", "devices"]),  # like read_sessions (wire notes §8: no expand, no identity)
        ({"expand": "devices"}, ["devices"]),
        ({"expand": ("identity",)}, ["identity"]),
        ({"expand": None}, []),
        ({"expand": ()}, []),
    ],
)
def test_session_walk_expands_identity_and_devices_by_default(
    make_client: Any, kwargs: dict[str, Any], sent: list[str]
) -> None:
    client, recorder = make_client(empty)
    list(iter_sessions(client, **kwargs))
    assert recorder.requests[0].url.params.get_list("expand") == sent


def test_filters_from_a_generator_are_sent_with_every_page(make_client: Any) -> None:
    client, recorder = make_client(keyset_server(IDS))
    pages = list(iter_identities(client, ids=(i for i in IDS[:5]), include_credential=iter(["password"]), page_size=2))
    assert [len(p) for p in pages] == [2, 2, 2, 2, 2, 1]  # the fake server does not filter
    assert all(r.url.params.get_list("ids") == IDS[:5] for r in recorder.requests)
    assert all(r.url.params.get_list("include_credential") == ["password"] for r in recorder.requests)


# Kratos' schema listing (schema/schema.go `Schemas.List`) answers page p with up to (p + 1) * size schemas
# from p * size on, and v1.3.1 answers past the end with null (schema/handler.go `getAll`); a real Kratos
# showed both (wire notes §11).
SCHEMA_IDS = ["default", "username", "phone", "b2b", "extra"]


def kratos_schemas(null_past_the_end: bool) -> Handler:
    def respond(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params.get("page_size", "250"))
        page = decode_offset_token(request.url.params.get("page_token")) // size
        chunk = SCHEMA_IDS[page * size : page * size + (page + 1) * size]
        if not chunk and null_past_the_end:
            return httpx.Response(200, content=b"null", headers={"content-type": "application/json"})
        return json_response(200, [{"id": sid, "schema": {}} for sid in chunk])

    return respond


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("null_past_the_end", [True, False])
def test_schema_walk_reads_kratos_overlapping_pages_once_each(
    make_client: Any, size: int, null_past_the_end: bool
) -> None:
    client, _ = make_client(kratos_schemas(null_past_the_end))
    pages = list(iter_identity_schemas(client, page_size=size))
    assert [item["id"] for page in pages for item in page] == SCHEMA_IDS
    assert all(len(page) <= size for page in pages)


def test_a_schema_page_beyond_kratos_overlap_is_refused(make_client: Any) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        count = 3 if request.url.params["page_size"] == "2" else 2
        return json_response(200, [{"id": f"s{n}", "schema": {}} for n in range(count)])

    client, _ = make_client(respond)
    with pytest.raises(UnexpectedResponseError, match="3 items on a page of at most 2"):
        list(iter_identity_schemas(client, page_size=2))
    second = client.list_identity_schemas(page_size=1, page_token=encode_offset_token(1))
    assert [item["id"] for item in second] == ["s0"]  # page 1 of size 1 may carry 2: the first is this page
