"""The query of a list call, defined once: the filters of identities and of sessions, and their one normal form.

Every ``iter_*``, ``iter_*_batches``, ``read_*`` and ``export_*`` of identities takes
``**filters: Unpack[IdentityFilters]``, those of sessions ``**filters: Unpack[SessionFilters]``, and
the command line builds its filter flags from the same names. :func:`identity_filters` and
:func:`session_filters` check the names (an unknown one is the ``TypeError`` Python raises for an
unexpected keyword) and turn the values into the plain dict that is sent, recorded in
``df.attrs["ory_frames"]["filters"]`` and in an export's resume state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from ._types import DEFAULT_SESSION_EXPAND, Consistency, CredentialType, SessionExpand

__all__ = [
    "IDENTITY_FILTER_NAMES",
    "SESSION_FILTER_NAMES",
    "IdentityFilters",
    "SessionFilters",
    "identity_filters",
    "session_filters",
]


class IdentityFilters(TypedDict, total=False):
    """The filters of ``GET /admin/identities``, as keyword arguments of every read of identities.

    Taken as ``**filters`` by :func:`~ory_frames.iter_identities`, :func:`~ory_frames.iter_identity_batches`,
    :func:`~ory_frames.read_identities` and :func:`~ory_frames.export_identities` (and as flags by
    ``ory-frames export identities``); every one is optional and None means not given.

    Attributes
    ----------
    ids
        Identity ids (UUIDs), at most 500 (wire notes §2).
    credentials_identifier
        An exact identifier (an email, a username, ``provider:subject`` for oidc/saml), as Kratos
        normalises it; the identities found carry ``credentials`` without ``config``.
    preview_credentials_identifier_similar
        An identifier prefix (experimental in Ory).
    organization_id
        An organisation's UUID; an unknown one gives no identity.
    include_credential
        Credential types whose ``config`` is wanted, e.g. ``["password"]``: each becomes a
        ``credentials.<type>.config`` column. Configs hold secrets; no other column ever does. This is
        no filter: it adds to every identity, and may go with any of the above.
    consistency
        ``"strong"`` or ``"eventual"`` (Ory Network only).

    Notes
    -----
    At most one of ``ids``, ``credentials_identifier``, ``preview_credentials_identifier_similar`` and
    ``organization_id``: Ory refuses combinations with a 400 (wire notes §2). The first three name the
    identities wanted, so one cursor reads them whatever ``shards`` says.

    Examples
    --------
    >>> from ory_frames import IdentityFilters
    >>> wanted: IdentityFilters = {"credentials_identifier": "ada@example.com", "include_credential": ["password"]}
    >>> sorted(wanted)
    ['credentials_identifier', 'include_credential']
    """

    ids: Sequence[str] | None
    credentials_identifier: str | None
    preview_credentials_identifier_similar: str | None
    organization_id: str | None
    include_credential: Sequence[CredentialType | str] | None
    consistency: Consistency | None


class SessionFilters(TypedDict, total=False):
    """The filters of ``GET /admin/sessions``, as keyword arguments of every read of sessions.

    Taken as ``**filters`` by :func:`~ory_frames.iter_sessions`, :func:`~ory_frames.iter_session_batches`,
    :func:`~ory_frames.read_sessions` and :func:`~ory_frames.export_sessions` (and as flags by
    ``ory-frames export sessions``); both are optional.

    Attributes
    ----------
    active
        ``True``: active and unexpired sessions only; ``False``: inactive or expired ones only; None
        (the default): all (wire notes §1). With ``"identity"`` expanded, Ory also reports ``active``
        false for sessions of an inactive identity, which this filter does not look at, so
        ``active=True`` may return rows whose ``active`` is false, as Kratos does (wire notes §8).
    expand
        ``"identity"`` and/or ``"devices"``; by default both, ``("identity", "devices")``.
        ``"identity"`` fills ``identity_id`` and adds ``identity.schema_id``, ``identity.state`` and
        ``identity.traits.*`` (the identity schemas are fetched once); ``"devices"`` fills
        ``devices``, ``device_count`` and ``last_ip``. The default expands both because without
        ``"identity"`` Ory's list answer has ``"identity": null`` (wire notes §8): nothing would say
        whose session a row is. ``()`` or None asks for no expansion; then ``identity_id`` and
        ``devices`` are null.

    Examples
    --------
    >>> from ory_frames import SessionFilters
    >>> mine: SessionFilters = {"active": True, "expand": "identity"}
    >>> sorted(mine)
    ['active', 'expand']
    """

    active: bool | None
    expand: SessionExpand | Sequence[SessionExpand] | None


# The names, in the order of the definitions above (what the command line's flags are keyed by).
IDENTITY_FILTER_NAMES: tuple[str, ...] = tuple(IdentityFilters.__annotations__)
SESSION_FILTER_NAMES: tuple[str, ...] = tuple(SessionFilters.__annotations__)


def _check_names(function: str, filters: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """A name that is not a filter of ``names`` is the TypeError Python raises for an unexpected keyword."""
    for name in filters:
        if name not in names:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")


def identity_filters(function: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`IdentityFilters` given to ``function`` as plain values, every name present (None: not given).

    ``ids`` as a list; ``include_credential`` as a list, or None when empty. The same dict is sent,
    recorded in ``df.attrs`` and in an export's state (whose ``params`` a resume compares).
    """
    _check_names(function, filters, IDENTITY_FILTER_NAMES)
    ids = filters.get("ids")
    include_credential = filters.get("include_credential")
    return {
        "ids": list(ids) if ids is not None else None,
        "credentials_identifier": filters.get("credentials_identifier"),
        "preview_credentials_identifier_similar": filters.get("preview_credentials_identifier_similar"),
        "organization_id": filters.get("organization_id"),
        "include_credential": list(include_credential) if include_credential else None,
        "consistency": filters.get("consistency"),
    }


def session_filters(function: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`SessionFilters` given to ``function`` as plain values: ``active``, and ``expand`` as a list or None.

    ``expand`` not given is :data:`~ory_frames._types.DEFAULT_SESSION_EXPAND`; one name, a sequence, and
    None or ``()`` (no expansion, sent and recorded as None) are all taken.
    """
    _check_names(function, filters, SESSION_FILTER_NAMES)
    expand = filters.get("expand", DEFAULT_SESSION_EXPAND)
    expands = [expand] if isinstance(expand, str) else list(expand or ())
    return {"active": filters.get("active"), "expand": expands or None}
