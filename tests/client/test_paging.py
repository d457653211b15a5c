"""Link headers, offset tokens and the iter_* walks (wire notes §1)."""

from __future__ import annotations

import threading

import httpx
import pytest
from client_fakes import BASE, FIRST, json_response, keyset_server, offset_server

from ory_frames import (
    InvalidInputError,
    Page,
    ServerError,
    UnexpectedResponseError,
    iter_identities,
    iter_identity_schemas,
    iter_identity_sessions,
    iter_sessions,
)
from ory_frames.pages._offsets import decode_offset_token, encode_offset_token
from ory_frames.pages._paginators import next_token_from_link, parse_link_header


def test_kratos_link_header():
    # The docs' example: relative links, parts joined by "," without a space.
    header = (
        f'</admin/identities?page_size=100&page_token={FIRST}>; rel="first",'
        '</admin/identities?page_size=100&page_token=30f8507f-aaaa>; rel="next"'
    )
    assert parse_link_header(header) == {
        "first": f"/admin/identities?page_size=100&page_token={FIRST}",
        "next": "/admin/identities?page_size=100&page_token=30f8507f-aaaa",
    }
    assert next_token_from_link(header, BASE) == "30f8507f-aaaa"


def test_no_next_or_no_link_means_last_page():
    assert next_token_from_link(f'</admin/identities?page_size=1&page_token={FIRST}>; rel="first"', BASE) is None
    assert next_token_from_link(None, BASE) is None
    assert next_token_from_link("", BASE) is None


def test_same_host_absolute_link_is_accepted():
    header = f'<{BASE}/admin/sessions?page_token=abc>; rel="next"'
    assert next_token_from_link(header, BASE) == "abc"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin/identities?page_token=abc",
        "//evil.example/admin/identities?page_token=abc",
        "http://acme.projects.oryapis.com/admin/identities?page_token=abc",  # scheme downgrade
        "https://acme.projects.oryapis.com:8443/admin/identities?page_token=abc",
    ],
)
def test_link_to_another_origin_is_refused(target):
    with pytest.raises(UnexpectedResponseError, match="another host"):
        next_token_from_link(f'<{target}>; rel="next"', BASE)


@pytest.mark.parametrize(
    "header",
    [
        "/admin/identities?page_token=abc; rel=next",  # no angle brackets
        '</admin/identities?page_token=abc; rel="next"',  # unterminated
        "</admin/identities?page_token=abc>",  # no rel
        '</a>; rel="next" garbage',
    ],
)
def test_malformed_link_is_refused(header):
    with pytest.raises(UnexpectedResponseError):
        next_token_from_link(header, BASE)


def test_next_without_token_is_refused():
    with pytest.raises(UnexpectedResponseError, match="page_token"):
        next_token_from_link('</admin/identities?page_size=5>; rel="next"', BASE)


def test_offset_tokens():
    # wire notes §1: offset 250 is eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ.
    assert encode_offset_token(250) == "eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ"
    assert decode_offset_token("eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ") == 250
    assert decode_offset_token(None) == 0
    with pytest.raises(InvalidInputError):
        decode_offset_token("not-a-token")


def test_page_protocol():
    page = Page([{"id": "a"}, {"id": "b"}], None, 2, "req", None, {})
    assert len(page) == 2
    assert [item["id"] for item in page] == ["a", "b"]


IDS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(1, 24)]


@pytest.mark.parametrize("prefetch", [True, False])
def test_iter_identities_walks_every_page(make_client, prefetch):
    client, recorder = make_client(keyset_server(IDS))
    pages = list(iter_identities(client, page_size=5, prefetch=prefetch))
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [item["id"] for p in pages for item in p] == IDS
    assert pages[-1].next_token is None
    assert all(p.page_size == 5 for p in pages)
    assert len(recorder.requests) == 5


def test_exact_multiple_has_no_extra_request(make_client):
    client, recorder = make_client(keyset_server(IDS[:20]))
    assert [len(p) for p in iter_identities(client, page_size=5)] == [5, 5, 5, 5]
    assert len(recorder.requests) == 4


def test_default_page_size_is_the_maximum(make_client):
    client, recorder = make_client(keyset_server(IDS))
    list(iter_identities(client))
    assert recorder.requests[0].url.params["page_size"] == "500"
    client2, recorder2 = make_client(lambda r: json_response(200, []))
    list(iter_sessions(client2))
    list(iter_identity_sessions(client2, "abc"))
    list(iter_identity_schemas(client2))
    assert [r.url.params["page_size"] for r in recorder2.requests] == ["1000", "1000", "1000"]
    assert recorder2.requests[2].url.path == "/schemas"


def test_iter_identities_passes_filters(make_client):
    client, recorder = make_client(keyset_server(IDS))
    list(iter_identities(client, ids=IDS[:2], include_credential=["password", "oidc"], consistency="strong"))
    params = recorder.requests[0].url.params
    assert params.get_list("ids") == IDS[:2]
    assert params.get_list("include_credential") == ["password", "oidc"]
    assert params["consistency"] == "strong"


def test_resume_with_next_token(make_client):
    client, _ = make_client(keyset_server(IDS))
    first = next(iter(iter_identities(client, page_size=10, prefetch=False)))
    rest = list(iter_identities(client, page_size=10, page_token=first.next_token))
    assert [i["id"] for p in [first, *rest] for i in p] == IDS


def test_same_token_forever_is_detected(make_client):
    link = '</admin/identities?page_size=1&page_token=aaaa>; rel="next"'
    client, recorder = make_client(lambda r: json_response(200, [{"id": "x"}], {"link": link}))
    with pytest.raises(UnexpectedResponseError, match="twice"):
        list(iter_identities(client, page_size=1))
    assert len(recorder.requests) == 2


def test_hostile_link_stops_iteration(make_client):
    client, recorder = make_client(keyset_server(IDS, link_base="https://evil.example"))
    with pytest.raises(UnexpectedResponseError, match="another host"):
        list(iter_identities(client, page_size=5))
    assert len(recorder.requests) == 1
    assert all(r.url.host == "acme.projects.oryapis.com" for r in recorder.requests)


def test_prefetch_fetches_next_page_while_caller_works(make_client):
    client, recorder = make_client(keyset_server(IDS))
    iterator = iter_identities(client, page_size=5)
    next(iterator)
    # The second request is in flight (or done) while the caller holds page 1, and no third one.
    for _ in range(200):
        if len(recorder.requests) == 2:
            break
        threading.Event().wait(0.005)
    assert len(recorder.requests) == 2
    iterator.close()


def test_early_stop_sends_at_most_one_extra_request_and_leaks_no_thread(make_client):
    before = {t.ident for t in threading.enumerate()}
    client, recorder = make_client(keyset_server(IDS))
    iterator = iter_identities(client, page_size=5)
    next(iterator)
    iterator.close()
    assert len(recorder.requests) <= 2
    leaked = [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("ory_frames")]
    assert leaked == []


def test_error_in_prefetch_surfaces_to_the_caller(make_client):
    base = keyset_server(IDS)

    def respond(request: httpx.Request) -> httpx.Response:
        if "page_token" in request.url.params:
            return json_response(400, {"error": {"code": 400, "message": "boom"}})
        return base(request)

    client, _ = make_client(respond)
    iterator = iter_identities(client, page_size=5)
    assert len(next(iterator)) == 5
    with pytest.raises(Exception, match="boom"):
        next(iterator)


def test_error_on_first_page(make_client):
    client, _ = make_client(lambda r: json_response(503, {"error": {"code": 503, "message": "down"}}), retries=0)
    with pytest.raises(ServerError):
        next(iter_sessions(client))


@pytest.mark.parametrize(("total", "pages"), [(0, [0]), (7, [3, 3, 1]), (9, [3, 3, 3, 0])])
def test_offset_endpoints_stop_on_empty_or_short_page(make_client, total, pages):
    client, recorder = make_client(offset_server(total))
    got = list(iter_identity_sessions(client, "abc", page_size=3, active=True))
    assert [len(p) for p in got] == pages
    assert got[0].total_count == total
    assert [i["id"] for p in got for i in p] == [f"s{n}" for n in range(total)]
    assert len(recorder.requests) == len(pages)
    assert recorder.requests[0].url.params["active"] == "true"
    assert recorder.requests[0].url.path == "/admin/identities/abc/sessions"


def test_offset_resume(make_client):
    client, _ = make_client(offset_server(10))
    first = next(iter(iter_identity_schemas(client, page_size=4, prefetch=False)))
    assert first.next_token == encode_offset_token(4)
    rest = list(iter_identity_schemas(client, page_size=4, page_token=first.next_token))
    assert [i["id"] for p in rest for i in p] == [f"s{n}" for n in range(4, 10)]


def test_offset_page_size_is_clamped_so_short_pages_are_detected(make_client):
    # Asking for 5000 would make every 1000-item page look "short"; the client clamps first.
    client, recorder = make_client(offset_server(2500))
    got = list(iter_identity_sessions(client, "abc", page_size=5000))
    assert [len(p) for p in got] == [1000, 1000, 500]
    assert recorder.requests[0].url.params["page_size"] == "1000"


def test_bad_arguments_fail_before_any_request(make_client):
    client, recorder = make_client(offset_server(3))
    with pytest.raises(InvalidInputError):
        iter_identity_sessions(client, "abc", page_token="garbage")
    with pytest.raises(InvalidInputError):
        iter_identities(client, page_size=0)
    assert recorder.requests == []
