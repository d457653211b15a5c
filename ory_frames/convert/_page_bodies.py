"""Whether a page's body holds only what ory_frames knows, checked on the bytes at C speed (msgspec, pure).

Finding unknown fields record by record (:mod:`ory_frames.convert._unknown_fields`) walks every key of every
record and of every address, device and authentication method in Python. Nearly every page has none,
so each page's JSON body is first decoded once by msgspec into Structs that forbid unknown fields and
skip the values (``msgspec.Raw``): known fields only (Ory's OpenAPI, as in ``_unknown_fields``), known
``state``, ``via``, ``authenticator_assurance_level`` and credential type values, and traits that
the frame's trait columns cover (a Struct per object level of :class:`~ory_frames.convert._unknown_fields.TraitTree`).
If that decode succeeds, no record of the page has anything ``extra_fields`` or a ConversionWarning
would report; if it fails (for any reason: a new field, a new value, an odd type), the page takes the
record-by-record detection, which says exactly what is new. A page a shard clips (wire notes §1) is a
part of the body checked, so what holds for the body holds for it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal, get_args

import msgspec

from ory_frames._types import CredentialType
from ory_frames.convert._unknown_fields import IDENTITY_FIELDS, NESTED_FIELDS, SESSION_FIELDS, TraitTree

__all__ = ["KnownShapes", "identity_shapes", "session_shapes"]

_VIAS = ("email", "sms")  # identity/address.go: AddressTypeEmail, AddressTypeSMS (as _unknown_fields._VIAS)


def _struct(name: str, fields: Mapping[str, Any], *, forbid: bool = True) -> type[msgspec.Struct]:
    """A Struct of ``fields`` (JSON key -> type, each optional) that refuses any other key (unless not ``forbid``).

    Keys are renamed from positional attribute names, so that any JSON key (``first-name``) fits.
    """
    keys = list(fields)
    spec = [(f"f{i}", _optional(fields[key]), None) for i, key in enumerate(keys)]
    return msgspec.defstruct(
        name,
        spec,
        rename={f"f{i}": key for i, key in enumerate(keys)},
        forbid_unknown_fields=forbid,
        gc=False,
        omit_defaults=False,
    )


def _optional(kind: Any) -> Any:
    """``kind`` or null; a Raw holds any value, null included, as it is."""
    return kind if kind is msgspec.Raw else kind | None


def _literal(values: Collection[str]) -> Any:
    return Literal[tuple(values)]  # type: ignore[valid-type]


def _raw_fields(known: Collection[str], **typed: Any) -> dict[str, Any]:
    return {key: typed.get(key, msgspec.Raw) for key in sorted(known)}


def _traits_struct(tree: TraitTree, name: str = "Traits") -> type[msgspec.Struct]:
    """The Struct of one object level of the traits: leaves skipped, inner objects checked further down.

    A value where the schema has an object with properties must be an object or null (``_undeclared``).
    """
    fields: dict[str, Any] = {key: msgspec.Raw for key in tree.leaves}
    for index, (key, sub) in enumerate(tree.inner.items()):
        fields[key] = _traits_struct(sub, f"{name}{index}")
    return _struct(name, fields)


class KnownShapes:
    """A decoder of a page body that succeeds only when no record holds anything new."""

    def __init__(self, item: type[msgspec.Struct]) -> None:
        self._decoder = msgspec.json.Decoder(list[item])  # type: ignore[valid-type]

    def only_known(self, content: bytes | None) -> bool:
        """Whether ``content`` (a page's body) is an array of records holding only known fields and values."""
        if content is None:
            return False
        try:
            self._decoder.decode(content)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return False
        return True


def identity_shapes(tree: TraitTree, *, states: Collection[str]) -> KnownShapes:
    """The check of identity pages against ``IDENTITY_FIELDS`` and the frame's trait columns (``tree``)."""
    verifiable = _struct("VerifiableAddress", _raw_fields(NESTED_FIELDS["verifiable_addresses"], via=_literal(_VIAS)))
    recovery = _struct("RecoveryAddress", _raw_fields(NESTED_FIELDS["recovery_addresses"], via=_literal(_VIAS)))
    credentials: Any = dict[_literal(get_args(CredentialType)), msgspec.Raw]  # type: ignore[misc]
    identity = _raw_fields(
        IDENTITY_FIELDS,
        state=_literal(states),
        traits=_traits_struct(tree),
        credentials=credentials,
        verifiable_addresses=list[verifiable],  # type: ignore[valid-type]
        recovery_addresses=list[recovery],  # type: ignore[valid-type]
    )
    return KnownShapes(_struct("Identity", identity))


def session_shapes(*, aal_values: Collection[str], states: Collection[str]) -> KnownShapes:
    """The check of session pages against ``SESSION_FIELDS`` and the embedded identity's ``state``."""
    methods = _struct("AuthenticationMethod", _raw_fields(NESTED_FIELDS["authentication_methods"]))
    device = _struct("Device", _raw_fields(NESTED_FIELDS["devices"]))
    identity = _struct("SessionIdentity", {"state": _literal(states)}, forbid=False)  # its other fields: not extras
    session = _raw_fields(
        SESSION_FIELDS,
        authenticator_assurance_level=_literal(aal_values),
        authentication_methods=list[methods],  # type: ignore[valid-type]
        devices=list[device],  # type: ignore[valid-type]
        identity=identity,
    )
    return KnownShapes(_struct("Session", session))
