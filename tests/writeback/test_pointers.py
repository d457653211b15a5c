"""Column names <-> JSON Pointers, escaping, and Ory's denied paths."""

from __future__ import annotations

import pytest

from ory_frames.writeback._pointers import (
    column_to_pointer,
    escape_token,
    is_denied,
    pointer_to_column,
    split_pointer,
    unescape_token,
)


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
    assert pointer_to_column(pointer) == column


@pytest.mark.parametrize(
    "column",
    ["id", "created_at", "updated_at", "credential_types", "email", "emails", "traits.", "traits.a..b", "traitsx"],
)
def test_columns_without_patchable_path(column: str) -> None:
    assert column_to_pointer(column) is None


@pytest.mark.parametrize("token", ["plain", "a/b", "a~b", "~1", "~0/~1", "/", "~"])
def test_escape_round_trip(token: str) -> None:
    assert unescape_token(escape_token(token)) == token
    assert "/" not in escape_token(token)


def test_split_pointer() -> None:
    assert split_pointer("") == []
    assert split_pointer("/traits/a~1b/c~0d") == ["traits", "a/b", "c~d"]
    with pytest.raises(ValueError, match="starts with"):
        split_pointer("traits/email")


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
