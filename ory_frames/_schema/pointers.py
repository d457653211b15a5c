"""Column names <-> JSON Pointers (RFC 6901): the one place that escapes ``~`` and ``/`` and joins trait keys with dots.

A trait column is ``traits.`` + the keys of its JSON path joined by ``.`` (``traits.name.first``); its
pointer is ``/traits/name/first``. Keys holding a literal ``.`` cannot be told apart from nesting in a
column name (docs/architecture.md), so such keys never become columns of their own. Any other column
is a top-level field of the identity JSON (wire notes §3): ``state`` <-> ``/state``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "TRAITS",
    "TRAITS_PREFIX",
    "column_of_pointer",
    "column_of_tokens",
    "escape_token",
    "is_trait_column",
    "pointer",
    "pointer_of_column",
    "representable",
    "split_pointer",
    "trait_column",
    "trait_path",
    "trait_pointer",
    "unescape_token",
]

TRAITS = "traits"
TRAITS_PREFIX = TRAITS + "."


def escape_token(token: str) -> str:
    """Escape one reference token: ``~`` -> ``~0`` first, then ``/`` -> ``~1`` (RFC 6901 section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token`: ``~1`` -> ``/`` first, then ``~0`` -> ``~`` (RFC 6901 section 4)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str) -> str:
    """Join raw (unescaped) reference tokens into a JSON Pointer; no token is the whole document, ``""``."""
    return "".join("/" + escape_token(t) for t in tokens)


def split_pointer(ptr: str) -> list[str]:
    """The raw (unescaped) reference tokens of a JSON Pointer; ``""`` is the whole document."""
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise ValueError(f"a JSON Pointer starts with '/': {ptr!r}")
    return [unescape_token(t) for t in ptr[1:].split("/")]


def representable(path: Sequence[str]) -> bool:
    """Whether a trait path can be a column name of its own: no key is empty or holds a ``.``."""
    return all(key and "." not in key for key in path)


def trait_column(path: Sequence[str]) -> str:
    """The column of a trait path: ``("name", "first")`` -> ``traits.name.first``; ``()`` -> ``traits``."""
    return ".".join((TRAITS, *path))


def trait_pointer(path: Sequence[str]) -> str:
    """The JSON Pointer of a trait path: ``("a/b",)`` -> ``/traits/a~1b``."""
    return pointer(TRAITS, *path)


def is_trait_column(column: str) -> bool:
    """True for a flattened trait column such as ``traits.email`` or ``traits.name.first``."""
    return column.startswith(TRAITS_PREFIX) and len(column) > len(TRAITS_PREFIX)


def trait_path(column: str) -> tuple[str, ...] | None:
    """The trait keys of a trait column (``traits.name.first`` -> ``("name", "first")``), else None.

    None too for a column with an empty key (``traits.a..b``): no trait path is spelt that way.
    """
    if not is_trait_column(column):
        return None
    keys = tuple(column[len(TRAITS_PREFIX) :].split("."))
    return None if "" in keys else keys


def pointer_of_column(column: str) -> str | None:
    """The JSON Pointer a column stands for (``traits.a/b`` -> ``/traits/a~1b``, ``state`` -> ``/state``).

    None for a name that is no column of the identity JSON: empty, or ``traits.`` with an empty key.
    Which pointers write-back may touch is write-back's business (``writeback/_pointers.py``).
    """
    if column.startswith(TRAITS_PREFIX):
        path = trait_path(column)
        return None if path is None else trait_pointer(path)
    return pointer(column) if column and "." not in column else None


def column_of_tokens(tokens: Sequence[str | int]) -> str | None:
    """The column of a raw JSON path such as a validation error's ``absolute_path``; None for the root.

    ``["traits", "name", "first"]`` -> ``traits.name.first``; ``["state"]`` -> ``state``. Array indices
    are kept as keys (``["traits", "emails", 0]`` -> ``traits.emails.0``).
    """
    return ".".join(str(t) for t in tokens) if tokens else None


def column_of_pointer(ptr: str) -> str:
    """The column a pointer stands for: the inverse of :func:`pointer_of_column`.

    Raises ValueError for the empty pointer (the whole identity) and for a pointer below a top-level
    field other than ``traits`` (``/metadata_public/x`` is inside a column, not a column).
    """
    tokens = split_pointer(ptr)
    if not tokens:
        raise ValueError("the empty pointer names the whole identity, not a column")
    if tokens[0] == TRAITS and len(tokens) > 1:
        return trait_column(tokens[1:])
    if len(tokens) == 1:
        return tokens[0]
    raise ValueError(f"pointer {ptr!r} does not name a column")
