"""GET /admin/identities: keyset and legacy paging, Link headers, filters (wire notes §1, §2)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ory_client
import pytest
from sandbox_helpers import assert_error, assert_success, link_parts, make_identity, spec_validate

# Compares answers with Ory's exact wire shapes (and ory-client's strict models): drift changes them.
pytestmark = pytest.mark.conformance

NIL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def seeded(app: Any) -> list[dict[str, Any]]:
    org = str(uuid.uuid4())
    docs = [make_identity(f"user{i:03d}@example.com", organization_id=org if i % 5 == 0 else None) for i in range(23)]
    app.state.store.insert_identities(docs)
    return docs


def _follow(client: Any, url: str) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    while url:
        resp = client.get(url)
        body = assert_success(resp)
        pages += 1
        seen.extend(i["id"] for i in body)
        links = link_parts(resp.headers["link"])
        assert links["first"].endswith(f"page_token={NIL}")
        url = links.get("next", "")
    return seen, pages


def test_keyset_follows_links_to_every_identity_once(client: Any, seeded: list[dict[str, Any]]) -> None:
    seen, pages = _follow(client, "/admin/identities?page_size=5")
    assert seen == sorted(d["id"] for d in seeded)  # id ascending (wire notes §1)
    assert pages == 5


def test_exact_multiple_has_no_next_on_last_page(client: Any, app: Any) -> None:
    app.state.store.insert_identities([make_identity() for _ in range(10)])
    _, pages = _follow(client, "/admin/identities?page_size=5")
    assert pages == 2


def test_keyset_link_format_and_no_total(client: Any, seeded: list[dict[str, Any]]) -> None:
    resp = client.get("/identities", params=[("page_size", "3"), ("consistency", "eventual"), ("a", "x y")])
    header = resp.headers["link"]
    assert header.startswith("</admin/identities?a=x+y&consistency=eventual&page_size=3&page_token=" + NIL)
    assert '; rel="first",</admin/' in header  # joined with "," and no space
    assert "x-total-count" not in resp.headers
    for item in resp.json():
        assert "credentials" not in item and "metadata_admin" in item
        ory_client.Identity.from_dict(item)
        spec_validate(item, "identity")


@pytest.mark.parametrize(("size", "effective"), [("9999", 500), ("0", 250), ("-3", 250), ("", 250)])
def test_page_size_clamped_or_defaulted(client: Any, size: str, effective: int) -> None:
    resp = client.get(f"/admin/identities?page_size={size}")
    assert f"page_size={effective}&" in resp.headers["link"]


def test_empty_result_still_has_link(client: Any) -> None:
    resp = client.get("/admin/identities")
    assert assert_success(resp) == []
    assert resp.headers["link"] == f'</admin/identities?page_size=250&page_token={NIL}>; rel="first"'


def test_bad_page_size_and_token(client: Any) -> None:
    assert_error(client.get("/admin/identities?page_size=x"), 400, reason='strconv.Atoi: parsing "x": invalid syntax')
    assert_error(
        client.get("/admin/identities?page_token=abc"),
        400,
        reason="The page token is invalid, do not craft your own page tokens",
    )


def test_per_page_alone_is_renamed_to_page_size(client: Any, seeded: list[dict[str, Any]]) -> None:
    resp = client.get("/admin/identities?per_page=4")
    assert len(resp.json()) == 4
    assert "per_page" not in resp.headers["link"] and "page_size=4" in resp.headers["link"]
    assert "x-total-count" not in resp.headers


def test_legacy_mode(client: Any, seeded: list[dict[str, Any]]) -> None:
    ordered = sorted(d["id"] for d in seeded)
    resp = client.get("/admin/identities?page=1&per_page=10")
    assert [i["id"] for i in assert_success(resp)] == ordered[10:20]
    assert resp.headers["x-total-count"] == "23"
    links = link_parts(resp.headers["link"])
    assert set(links) == {"first", "next", "prev", "last"}
    assert dict(parse_qsl(urlsplit(links["next"]).query)) == {"page": "2", "per_page": "10"}
    # page_size wins over page: keyset mode (wire notes §1, mode rule 1)
    assert "x-total-count" not in client.get("/admin/identities?page=1&page_size=10").headers
    assert_error(
        client.get("/admin/identities?page=3&per_page=500"),
        400,
        reason="Legacy pagination is not supported for enumerating over 1000 items. "
        "Please switch to using page_token and page_size.",
    )
    # X-Total-Count ignores organization_id (wire notes §1)
    org = seeded[0]["organization_id"]
    resp = client.get(f"/admin/identities?page=0&per_page=100&organization_id={org}")
    assert len(resp.json()) == 5 and resp.headers["x-total-count"] == "23"


def test_ids_filter(client: Any, seeded: list[dict[str, Any]]) -> None:
    wanted = [seeded[3]["id"], seeded[1]["id"], seeded[3]["id"], str(uuid.uuid4())]
    resp = client.get("/admin/identities", params=[("ids", i) for i in wanted])
    assert [i["id"] for i in resp.json()] == sorted({seeded[3]["id"], seeded[1]["id"]})
    assert "ids=" in resp.headers["link"]
    assert_error(
        client.get("/admin/identities", params=[("ids", str(uuid.uuid4())) for _ in range(501)]),
        400,
        reason="The number of ids to filter must not exceed 500.",
    )
    assert_error(client.get("/admin/identities?ids=nope"), 400, reason="Invalid UUID value `nope` for parameter `ids`.")


def test_credentials_identifier_exact_and_normalised(client: Any, seeded: list[dict[str, Any]]) -> None:
    body = assert_success(client.get("/admin/identities?credentials_identifier=USER007@example.com"))
    assert [i["id"] for i in body] == [seeded[7]["id"]]
    assert "config" not in body[0]["credentials"]["password"]
    assert client.get("/admin/identities?credentials_identifier=user007@example").json() == []
    total = client.get("/admin/identities?page=0&credentials_identifier=user007@example.com").headers["x-total-count"]
    assert total == "1"  # the number of rows on the page (wire notes §1)


def test_similar_prefix_escapes_like(client: Any, seeded: list[dict[str, Any]]) -> None:
    body = client.get("/admin/identities?preview_credentials_identifier_similar=user01").json()
    assert len(body) == 10 and all("credentials" in i for i in body)
    assert client.get("/admin/identities?preview_credentials_identifier_similar=user_1").json() == []


def test_organization_filter(client: Any, seeded: list[dict[str, Any]]) -> None:
    org = seeded[0]["organization_id"]
    assert len(client.get(f"/admin/identities?organization_id={org}").json()) == 5
    assert client.get(f"/admin/identities?organization_id={uuid.uuid4()}").json() == []
    assert_error(
        client.get("/admin/identities?organization_id=zz"),
        400,
        reason="Invalid UUID value `zz` for parameter `organization_id`.",
    )


def test_combining_filters_is_rejected(client: Any) -> None:
    assert_error(
        client.get(f"/admin/identities?ids={uuid.uuid4()}&credentials_identifier=a"),
        400,
        reason="You cannot combine multiple filters in this API",
    )


def test_include_credential_in_list(client: Any, seeded: list[dict[str, Any]]) -> None:
    body = client.get("/admin/identities?include_credential=password&page_size=2").json()
    assert body[0]["credentials"]["password"]["config"]["hashed_password"].startswith("$2a$")
    assert_error(
        client.get("/admin/identities?include_credential=magic"),
        400,
        reason="Invalid value `magic` for parameter `include_credential`.",
    )
