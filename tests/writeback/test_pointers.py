"""Which columns write-back may patch, at which JSON Pointer, and Ory's denied paths."""

from __future__ import annotations

import pytest

from ory_frames._schema import column_of_pointer
from ory_frames.writeback._pointers import column_to_pointer, get_at, is_denied, set_at, unflatten


@pytest.mark.parametrize(
    ("column", "pointer"),
    [
        ("traits.email", "/traits/email"),
        ("traits.name.first", "/traits/name/first"),
        ("traits.a.b.c.d", "/traits/a/b/c/d"),
        ("traits.a/b", "/traits/a~1b"),  # RFC 6901: "/" -> "~1"
        ("traits.a~b", "/traits/a~0b"),  # RFC 6901: "~" -> "~0"
        ("traits.~1", "/traits/~01"),  # "~" escaped first, so a literal "~1" stays two characters
        ("traits.ünïcødé", "/traits/ünïcødé"),
        ("state", "/state"),
        ("schema_id", "/schema_id"),
        ("external_id", "/external_id"),
        ("metadata_public", "/metadata_public"),
        ("metadata_admin", "/metadata_admin"),
    ],
)
def test_column_to_pointer_and_back(column: str, pointer: str) -> None:
    assert column_to_pointer(column) == pointer
    assert column_of_pointer(pointer) == column


@pytest.mark.parametrize(
    "column",
    ["id", "created_at", "updated_at", "credential_types", "email", "emails", "traits.", "traits.a..b", "traitsx"],
)
def test_columns_without_patchable_path(column: str) -> None:
    assert column_to_pointer(column) is None


@pytest.mark.parametrize(
    ("pointer", "denied"),
    [
        # wire notes §6, "Denied paths" (case-insensitive glob).
        ("/id", True),
        ("/ID", True),
        ("/credentials", True),
        ("/credentials/oidc", True),
        ("/credentials/oidc/config/providers/0", True),
        ("/credentials/SAML/config", True),
        ("/stateChangedAt", True),
        # Section 6: the deny list spells /stateChangedAt, so /state_changed_at is not blocked.
        ("/state_changed_at", False),
        # Section 6: password and totp credential paths are allowed.
        ("/credentials/password/config/hashed_password", False),
        ("/traits/id", False),
        ("/identity", False),
        ("/traits/email", False),
    ],
)
def test_denied_paths(pointer: str, denied: bool) -> None:
    assert is_denied(pointer) is denied


def test_get_and_set_follow_raw_tokens() -> None:
    doc: dict[str, object] = {"traits": {"a/b": [{"x": 1}]}}
    assert get_at(doc, ["traits", "a/b", "0", "x"]) == (True, 1)
    assert get_at(doc, ["traits", "a/b", "1"]) == (False, None)
    assert get_at(doc, ["traits", "missing"]) == (False, None)
    set_at(doc, ["traits", "name", "first"], "Ada")  # missing parents are created, like Ory's add
    assert doc["traits"] == {"a/b": [{"x": 1}], "name": {"first": "Ada"}}


def test_unflatten_nests_dotted_keys() -> None:
    nested = unflatten({"name.first": "Ada", "name.last": "L", "age": 3})
    assert nested == {"name": {"first": "Ada", "last": "L"}, "age": 3}
