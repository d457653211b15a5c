"""What every read shares: the list filters, the identity schemas, session expansion and the progress bar.

:mod:`ory_frames.frames` (``read_*``), :mod:`ory_frames.export` (``export_*``) and the command line
take the filters of the ``iter_*`` functions under the same names, with the same types and defaults
(wire notes §2), and fetch their pages through the functions below. Pages are counted here, at the
edge: the paging core only yields them, and a ``tqdm.auto`` bar is drawn around it when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._paging import iter_identities, iter_identity_schemas, iter_identity_sessions, iter_sessions
from ._schema import normalize_schemas
from ._types import Consistency, CredentialType, JSONObject, SessionExpand

if TYPE_CHECKING:
    from ._client import Client
    from ._paging import Page

__all__ = [
    "IDENTITY_FILTERS",
    "SESSION_FILTERS",
    "expand_list",
    "fetch_schemas",
    "identity_filters",
    "identity_pages",
    "identity_session_pages",
    "session_pages",
    "with_progress",
]

# The filters of GET /admin/identities and GET /admin/sessions (wire notes §2), as parameter names of
# iter_identities / read_identities / export_identities and iter_sessions / read_sessions / export_sessions.
IDENTITY_FILTERS: tuple[str, ...] = (
    "ids",
    "credentials_identifier",
    "preview_credentials_identifier_similar",
    "organization_id",
    "include_credential",
    "consistency",
)
SESSION_FILTERS: tuple[str, ...] = ("active", "expand")


def fetch_schemas(client: Client) -> dict[str, JSONObject]:
    """Every identity schema of the project, ``{schema_id: JSON Schema}`` (one paged read of ``GET /schemas``)."""
    items: list[JSONObject] = []
    for page in iter_identity_schemas(client):
        items.extend(page.items)
    return normalize_schemas(items)


def expand_list(expand: SessionExpand | Sequence[SessionExpand] | None) -> list[SessionExpand]:
    """``expand`` as a list; None and ``()`` both mean no expansion."""
    if expand is None:
        return []
    if isinstance(expand, str):
        return [expand]
    return list(expand)


def identity_filters(
    *,
    ids: Sequence[str] | None,
    credentials_identifier: str | None,
    preview_credentials_identifier_similar: str | None,
    organization_id: str | None,
    include_credential: Sequence[CredentialType | str] | None,
    consistency: Consistency | None,
) -> dict[str, Any]:
    """The identity filters as plain values (sequences as lists, empty ones as None), keyed as in ``IDENTITY_FILTERS``.

    The same dict is passed to :func:`identity_pages`, recorded in ``df.attrs`` and in an export's state.
    """
    return {
        "ids": list(ids) if ids is not None else None,
        "credentials_identifier": credentials_identifier,
        "preview_credentials_identifier_similar": preview_credentials_identifier_similar,
        "organization_id": organization_id,
        "include_credential": list(include_credential) if include_credential else None,
        "consistency": consistency,
    }


def identity_pages(
    client: Client, filters: dict[str, Any], *, page_size: int | None, page_token: str | None = None
) -> Iterator[Page]:
    """Pages of ``GET /admin/identities`` with the filters of :func:`identity_filters`, from ``page_token`` on."""
    return iter_identities(client, page_size=page_size, page_token=page_token, **filters)


def session_pages(
    client: Client,
    *,
    active: bool | None,
    expand: Sequence[SessionExpand],
    page_size: int | None,
    page_token: str | None = None,
) -> Iterator[Page]:
    """Pages of ``GET /admin/sessions``; ``expand`` comes from :func:`expand_list` (empty: expand nothing)."""
    return iter_sessions(client, active=active, expand=list(expand), page_size=page_size, page_token=page_token)


def identity_session_pages(
    client: Client, identity_id: str, *, active: bool | None, page_size: int | None
) -> Iterator[Page]:
    """Pages of ``GET /admin/identities/{id}/sessions``."""
    return iter_identity_sessions(client, identity_id, active=active, page_size=page_size)


def with_progress(pages: Iterable[Page], enabled: bool, unit: str) -> Iterator[Page]:
    """The pages as they come, drawing a ``tqdm.auto`` bar that counts their items when ``enabled``."""
    if not enabled:
        yield from pages
        return
    from tqdm.auto import tqdm

    with tqdm(unit=unit, unit_scale=True) as bar:
        for page in pages:
            yield page
            bar.update(len(page.items))
