"""Pure parts of sharding: the slices of the UUID space, the range rule of a shard's pages, the fraction done."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest

from ory_frames import UnexpectedResponseError
from ory_frames.pages._fetch_ahead import Cursor
from ory_frames.pages._paginators import IdentityShardPaginator, is_id_token, items_to_stop
from ory_frames.pages._shards import shard_cursors, uuid_fraction

SPACE = 1 << 128


def u(fraction: float) -> str:
    """The UUID at ``fraction`` of the UUID space."""
    return str(uuid.UUID(int=int(SPACE * fraction)))


def items(*fractions: float) -> list[dict[str, Any]]:
    return [{"id": u(f)} for f in fractions]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16])
def test_shards_tile_the_uuid_space(n: int) -> None:
    cursors = shard_cursors(n)
    assert len(cursors) == n and cursors[0].start is None and cursors[-1].stop is None
    for before, after in itertools.pairwise(cursors):
        assert before.stop == after.start == after.token  # each starts where the previous one stops
    assert all(c.start is None or uuid.UUID(c.start).int == SPACE * k // n for k, c in enumerate(cursors))


@pytest.mark.parametrize(
    ("page", "stop", "kept", "ends"),
    [
        (items(0.1, 0.2, 0.3), 0.5, 3, False),  # all below: the range goes on
        (items(0.1, 0.2, 0.6, 0.7), 0.5, 2, True),  # the first id past the stop ends it
        (items(0.6, 0.7), 0.5, 0, True),  # nothing left of this page
        (items(0.1, 0.5), 0.5, 2, True),  # the stop itself is kept (ranges are (start, stop]), and ends it
        ([], 0.5, 0, False),
    ],
)
def test_a_shard_keeps_the_ids_up_to_its_stop(page: list[Any], stop: float, kept: int, ends: bool) -> None:
    before = list(page)
    assert items_to_stop(page, u(stop)) == (kept, ends)
    assert page == before  # the page itself is left as it is


def test_an_item_without_an_id_is_left_for_the_page_decoder_to_refuse() -> None:
    page: list[Any] = [{"id": u(0.1)}, ["not", "an", "object"], {"id": u(0.9)}]
    assert items_to_stop(page, u(0.5)) == (3, False)


def test_plain_uuid_tokens_are_recognised() -> None:
    ident = u(0.3)
    assert is_id_token(ident, {"id": ident})
    assert is_id_token(ident.upper(), {"id": ident})  # ids compare without regard to case
    assert not is_id_token(ident, {"id": u(0.4)})  # a token that is not the last id
    assert not is_id_token("b3BhcXVl", {"id": "b3BhcXVl"})  # not a UUID: an opaque token
    assert not is_id_token(ident.replace("-", ""), {"id": ident.replace("-", "")})  # not the canonical form
    assert not is_id_token(None, {"id": ident}) and not is_id_token(ident, None)


def _answer(token: str | None) -> httpx.Response:
    """An answer of GET /admin/identities whose Link names ``token`` as the next page's (wire notes §1)."""
    link = f'</admin/identities?page_size=3&page_token={token}>; rel="next"' if token else ""
    request = httpx.Request("GET", "http://ory.test/admin/identities")
    return httpx.Response(200, headers={"link": link} if link else {}, request=request)


def test_a_shard_paginator_stops_at_its_bound_and_refuses_ids_out_of_order() -> None:
    paginator = IdentityShardPaginator(page_size=3, start=u(0.2), stop=u(0.5))
    first = items(0.25, 0.3, 0.35)
    paginator.update_state(_answer(u(0.35)), first)
    assert paginator.next_token == u(0.35)
    second = items(0.4, 0.55, 0.6)
    paginator.update_state(_answer(u(0.6)), second)
    assert paginator.next_token is None and paginator.page_items(second) == items(0.4)
    assert len(second) == 3  # the answer itself is left as it is
    backwards = IdentityShardPaginator(page_size=3, start=u(0.2), stop=None)
    with pytest.raises(UnexpectedResponseError, match="out of order"):
        page = items(0.1, 0.3)  # 0.1 is not after the token 0.2
        backwards.update_state(_answer(u(0.3)), page)


@pytest.mark.parametrize(
    ("cursors", "expected"),
    [
        ([Cursor()], 0.0),  # nothing read
        ([Cursor(position=u(0.25))], 0.25),  # one cursor: the last id read
        ([Cursor(position=u(0.25), done=True)], 1.0),  # done: all of its range, whatever the last id
        # two shards (0, 0.5] and (0.5, 1]: 0.2 of the first, 0.1 of the second
        ([Cursor(stop=u(0.5), position=u(0.2)), Cursor(start=u(0.5), stop=None, position=u(0.6))], 0.3),
        ([Cursor(stop=u(0.5), done=True), Cursor(start=u(0.5), token=u(0.5))], 0.5),  # one done, one not started
        ([Cursor(position="not-a-uuid")], None),
    ],
)
def test_the_fraction_done_sums_what_each_cursor_covered(cursors: list[Cursor], expected: float | None) -> None:
    got = uuid_fraction(cursors)
    assert got == expected if expected is None else got == pytest.approx(expected, abs=1e-12)


def test_the_fraction_done_of_evenly_spread_ids_follows_the_count() -> None:
    # the ids of a real project are random v4 UUIDs: after reading k of n, the fraction is about k/n
    ids = sorted(str(uuid.uuid5(uuid.NAMESPACE_DNS, f"user{i}")) for i in range(4000))
    for k in (400, 2000, 3600):
        assert uuid_fraction([Cursor(position=ids[k - 1])]) == pytest.approx(k / len(ids), abs=0.03)
