"""Pure wire helpers: Go parsing, query encoding and the offset Link quirks table (wire notes §1, §9, §13)."""

from __future__ import annotations

import pytest

from ory_frames.sandbox import _wire as w


def _rels(header: str) -> list[str]:
    return [part.split('rel="')[1].rstrip('"') for part in header.split(",")]


@pytest.mark.parametrize(
    ("page", "per_page", "total", "rels"),
    [
        (0, 10, 35, ["next", "last"]),  # first page: no `first`
        (1, 10, 35, ["first", "next", "prev", "last"]),
        (3, 10, 35, ["first", "prev"]),
        (0, 10, 7, ["first"]),
        (0, 10, 0, ["first", "next", "prev"]),  # an empty result still links to next and to page -1
    ],
)
def test_offset_link_quirks(page: int, per_page: int, total: int, rels: list[str]) -> None:
    assert _rels(w.offset_link("/p", [], page=page, per_page=per_page, total=total)) == rels


def test_offset_link_single_page_uses_total_and_four_params() -> None:
    header = w.offset_link("/p", [("active", "true")], page=0, per_page=10, total=7)
    assert (
        header == '</p?active=true&page=0&page_size=7&page_token=eyJvZmZzZXQiOiIwIiwidiI6Mn0&per_page=7>; rel="first"'
    )


def test_offset_tokens() -> None:
    assert w.offset_token(250) == "eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ"
    assert w.parse_offset_token("eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ") == 250
    assert w.parse_offset_token("%%%") == 0


def test_encode_query_is_go_values_encode() -> None:
    assert w.encode_query([("b", "2"), ("a", "x y/z"), ("b", "1")]) == "a=x+y%2Fz&b=2&b=1"


@pytest.mark.parametrize(
    ("text", "error"),
    [("x", 'strconv.Atoi: parsing "x": invalid syntax'), ("1.5", 'strconv.Atoi: parsing "1.5": invalid syntax')],
)
def test_go_atoi_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace(".", r"\.")):
        w.go_atoi(text)
    assert w.go_atoi("+7") == 7


def test_parse_uuid_messages() -> None:
    with pytest.raises(ValueError, match='incorrect UUID length 10 in string "not-a-uuid"'):
        w.parse_uuid("not-a-uuid")
    with pytest.raises(ValueError, match="incorrect UUID format"):
        w.parse_uuid("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz")
    assert w.parse_uuid("{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}") == "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def test_error_body_field_order() -> None:
    err = w.WireError(404, reason="r", details={"a": 1})
    assert list(err.body("req")) == ["code", "status", "request", "reason", "details", "message"]
    assert err.body()["message"] == "The requested resource could not be found"


def test_schema_id_url_part() -> None:
    assert w.schema_id_to_url_part("default") == "ZGVmYXVsdA"
    assert w.url_part_to_schema_id("ZGVmYXVsdA") == "default"
