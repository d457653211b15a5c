"""The filters' one normal form: what every read sends, records in ``df.attrs`` and in an export's resume state."""

from __future__ import annotations

from typing import Any

import pytest

from ory_frames._query import identity_filters, session_filters
from ory_frames._types import DEFAULT_SESSION_EXPAND

NO_IDENTITY_FILTER: dict[str, Any] = {
    "ids": None,
    "credentials_identifier": None,
    "preview_credentials_identifier_similar": None,
    "organization_id": None,
    "include_credential": None,
    "consistency": None,
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {}),
        ({"ids": ("a", "b")}, {"ids": ["a", "b"]}),
        # an empty ids list stays a list (recorded as such in states written before the one definition)
        ({"ids": []}, {"ids": []}),
        ({"include_credential": ("password", "oidc")}, {"include_credential": ["password", "oidc"]}),
        ({"include_credential": []}, {}),  # no credential config wanted: as if not given
        (
            {"credentials_identifier": "a@x.io", "consistency": "strong"},
            {"credentials_identifier": "a@x.io", "consistency": "strong"},
        ),
        ({"organization_id": None}, {}),
    ],
)
def test_identity_filters_as_plain_values(given: dict[str, Any], expected: dict[str, Any]) -> None:
    assert identity_filters("read_identities", given) == {**NO_IDENTITY_FILTER, **expected}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"active": None, "expand": list(DEFAULT_SESSION_EXPAND)}),
        ({"active": True}, {"active": True, "expand": ["identity", "devices"]}),
        ({"expand": "identity"}, {"active": None, "expand": ["identity"]}),
        ({"expand": ("devices",), "active": False}, {"active": False, "expand": ["devices"]}),
        # no expansion, however it is said, is sent and recorded as None (wire notes §8)
        ({"expand": ()}, {"active": None, "expand": None}),
        ({"expand": None}, {"active": None, "expand": None}),
    ],
)
def test_session_filters_as_plain_values(given: dict[str, Any], expected: dict[str, Any]) -> None:
    assert session_filters("read_sessions", given) == expected


def test_the_normal_form_is_a_fixed_point() -> None:
    once = identity_filters("f", {"ids": ("a",), "include_credential": ["password"]})
    assert identity_filters("f", once) == once
    sessions = session_filters("f", {"expand": "devices"})
    assert session_filters("f", sessions) == sessions


@pytest.mark.parametrize(
    ("normalise", "name"),
    [(identity_filters, "active"), (identity_filters, "page_token"), (session_filters, "ids"), (session_filters, "x")],
)
def test_a_name_that_is_no_filter_is_a_type_error(normalise: Any, name: str) -> None:
    with pytest.raises(TypeError, match=rf"^read_things\(\) got an unexpected keyword argument '{name}'$"):
        normalise("read_things", {name: 1})
