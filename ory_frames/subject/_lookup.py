"""find_subject: the one identity a data-subject request names, by identity id, external id or credential identifier."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from .._errors import InvalidInputError, NotFoundError
from ._errors import AmbiguousSubjectError

if TYPE_CHECKING:
    from ory_frames.client import Client

SubjectLookup = Literal["auto", "id", "external_id", "credentials_identifier"]

# How each lookup is named in messages, in the order they are asked.
LOOKUP_LABELS: dict[str, str] = {
    "id": "identity id",
    "external_id": "external id",
    "credentials_identifier": "credential identifier",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(text: str) -> bool:
    """Whether text is a UUID, the form of every identity id Ory issues."""
    return bool(_UUID.match(text))


@dataclass(frozen=True)
class Match:
    """The identity a query names, how it matched, and its JSON if a GET already returned it."""

    identity_id: str
    matched_by: tuple[str, ...]
    identity: dict[str, Any] | None  # as GET by id or by external id sent it; None if only a list matched


def check_query(identity: object, by: object) -> str:
    """The query without surrounding blanks; InvalidInputError, before any request, if it cannot name anyone."""
    if by not in get_args(SubjectLookup):
        choices = ", ".join(repr(name) for name in get_args(SubjectLookup))
        raise InvalidInputError(f"by={by!r} is not one of {choices}")
    if not isinstance(identity, str):
        raise InvalidInputError(
            f"identity must be an identity id, an external id or a credential identifier (text), "
            f"not {type(identity).__name__}"
        )
    query = identity.strip()
    if not query:
        raise InvalidInputError(
            "identity is empty: give an identity id, an external id or an identifier such as an email"
        )
    if by == "id" and not is_uuid(query):
        raise InvalidInputError(f"{query!r} is not an identity id (Ory's identity ids are UUIDs)")
    return query


def lookups_for(query: str, by: SubjectLookup) -> tuple[str, ...]:
    """The lookups asked for a query: all that apply with ``by="auto"`` (the id only when it is a UUID)."""
    if by != "auto":
        return (by,)
    if is_uuid(query):
        return ("id", "external_id", "credentials_identifier")
    return ("external_id", "credentials_identifier")


def find_subject(client: Client, query: str, *, by: SubjectLookup = "auto") -> Match | None:
    """The one identity ``query`` names, or None when none does.

    Every applicable lookup is asked, in this order: ``GET /admin/identities/{id}`` (only for a UUID),
    ``GET /admin/identities/by/external/{externalID}`` (wire notes §12), and ``GET /admin/identities
    ?credentials_identifier=`` (an exact match on any credential identifier, which Ory normalises, e.g.
    lower-cased emails; wire notes §2). Asking all of them, rather than stopping at the first hit, is what
    lets a query that names two people (one's id is the other's external id, one's external id is the
    other's username) be refused instead of silently resolved by order.

    Raises
    ------
    AmbiguousSubjectError
        The lookups found more than one identity; nothing else is read.
    """
    found: dict[str, tuple[list[str], dict[str, Any] | None]] = {}

    def add(how: str, doc: dict[str, Any], *, whole: bool) -> None:
        ident = str(doc.get("id", ""))
        if not ident:
            return
        hows, known = found.setdefault(ident, ([], None))
        hows.append(how)
        if known is None and whole:
            found[ident] = (hows, doc)

    def single(how: str, call: Callable[[], Any]) -> None:
        try:
            model = call()
        except NotFoundError:  # "Unable to locate the resource" (wire notes §§3, 12)
            return
        add(how, dict(model.raw), whole=True)

    for how in lookups_for(query, by):
        if how == "id":
            single(how, lambda: client.get_identity(query))
        elif how == "external_id":
            single(how, lambda: client.get_identity_by_external_id(query))
        else:
            # A list item is the list view of an identity, not the GET view (wire notes §3): read again later.
            for item in client.list_identities(credentials_identifier=query):
                add(how, item, whole=False)
    if not found:
        return None
    if len(found) > 1:
        candidates = [(ident, tuple(hows)) for ident, (hows, _doc) in found.items()]
        listed = "; ".join(f"{ident} (by {', '.join(LOOKUP_LABELS[h] for h in hows)})" for ident, hows in candidates)
        raise AmbiguousSubjectError(
            f"{query!r} names {len(candidates)} identities: {listed}. Name one by its identity id, "
            "or pass by='id', by='external_id' or by='credentials_identifier'",
            candidates,
        )
    ident, (hows, doc) = next(iter(found.items()))
    return Match(ident, tuple(hows), doc)


def not_found_text(query: str, by: SubjectLookup) -> str:
    """Why nothing was found, naming the lookups that were tried."""
    tried = ", ".join(LOOKUP_LABELS[how] for how in lookups_for(query, by))
    return f"no identity matches {query!r} (tried: {tried})"
