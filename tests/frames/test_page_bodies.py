"""The body check (convert._page_bodies) passes a page only when the record-by-record detection finds nothing."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pyarrow as pa
import pytest

from ory_frames._schema import trait_columns
from ory_frames.convert._records import AAL_CATEGORIES, STATE_CATEGORIES, IdentityConverter, SessionConverter
from ory_frames.convert._unknown_fields import identity_extras, session_extras, trait_tree
from ory_frames.convert._values import ConversionProblems

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "name": {"type": "object", "properties": {"first": {"type": "string"}, "last": {"type": "string"}}},
                "age": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {"oneOf": [{"type": "string"}, {"type": "object"}]},
            },
        }
    },
}
_TRAITS = trait_columns({"default": SCHEMA})
_TREE = trait_tree(info.path for info in _TRAITS.values())


def _set(path: str, value: Any) -> Any:
    """A change of one record at a dotted path (``traits.name.middle``; a number indexes a list)."""

    def change(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = record
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value

    return change


# Each change, whether the record-by-record detection finds something in the page it makes (wire notes
# §3, §8: what Ory documents is known; the rest goes to extra_fields or a new category), and whether the
# body check passes the page (never when the detection finds something; an empty state is no news but is
# not a known value, so that page is looked at record by record).
IDENTITY_CHANGES = [
    ("nothing", lambda r: None, False, True),
    ("a new top-level field", _set("lifecycle", {"stage": "dormant"}), True, False),
    ("a documented field without a column", _set("schema_url", "http://x/schemas/default"), False, True),
    ("region, sent by Ory Network", _set("region", "eu-central"), False, True),
    ("a new state", _set("state", "deleted"), True, False),
    ("an empty state (no note, but not a known value)", _set("state", ""), False, False),
    ("an undeclared trait", _set("traits.nickname", "Ada"), True, False),
    ("an undeclared nested trait", _set("traits.name.middle", "Augusta"), True, False),
    ("a scalar where the schema has an object", _set("traits.name", "Ada Lovelace"), True, False),
    ("null where the schema has an object", _set("traits.name", None), False, True),
    ("a JSON trait holding an object", _set("traits.extra", {"deep": {"x": 1}}), False, True),
    ("a new key in an address", _set("verifiable_addresses.0.checked_by", "robot"), True, False),
    (
        "the legacy expires_at of an address",
        _set("verifiable_addresses.0.expires_at", "2020-01-01T00:00:00Z"),
        False,
        True,
    ),
    ("a new via", _set("verifiable_addresses.0.via", "pigeon"), True, False),
    ("a new credential type", _set("credentials.telepathy", {"type": "telepathy"}), True, False),
    ("a known credential type", _set("credentials.totp", {"type": "totp"}), False, True),
    ("metadata of any shape", _set("metadata_public", [1, {"a": None}]), False, True),
]


def _records(make: Any) -> list[dict[str, Any]]:
    records = [make.identity(n, with_secrets=n % 2 == 0) for n in range(6)]
    records[0]["traits"].update(age=41, tags=["a", "b"], name={"first": "Ada", "last": "Lovelace"})
    records[2]["traits"] = None
    records[3].update(verifiable_addresses=None, recovery_addresses=[], external_id="", state="inactive")
    records[5]["metadata_admin"] = {"note": "x"}
    return records


def _detection_finds(records: list[dict[str, Any]]) -> bool:
    problems = ConversionProblems()
    extras = identity_extras(records, problems, states=STATE_CATEGORIES, traits=_TREE)
    return bool(problems.unknown or problems.undeclared or extras.null_count != len(records))


@pytest.mark.parametrize(
    ("change", "finds", "passes"), [c[1:] for c in IDENTITY_CHANGES], ids=[c[0] for c in IDENTITY_CHANGES]
)
def test_identity_body_check_agrees_with_the_record_detection(
    make: Any, change: Any, finds: bool, passes: bool
) -> None:
    records = _records(make)
    change(records[1])
    assert _detection_finds(records) is finds
    body = orjson.dumps(records)
    assert IdentityConverter(_TRAITS)._known.only_known(body) is passes


@pytest.mark.parametrize("change", [c[1] for c in IDENTITY_CHANGES], ids=[c[0] for c in IDENTITY_CHANGES])
def test_identity_batches_are_the_same_with_and_without_the_body(make: Any, change: Any) -> None:
    records = _records(make)
    change(records[1])
    body = orjson.dumps(records)
    with_body, without = IdentityConverter(_TRAITS), IdentityConverter(_TRAITS)
    # the body may hold more records than the page (a shard clips the page's tail)
    one = with_body.convert(copy.deepcopy(records[:4]), content=body)
    two = without.convert(copy.deepcopy(records[:4]))
    assert one.equals(two) and one.schema == two.schema
    assert with_body.problems == without.problems
    pages = with_body.convert_pages([records[:3], records[3:]], [body, body])
    assert pages.equals(without.convert_pages([records[:3], records[3:]]))


def test_a_body_that_is_not_the_records_array_only_means_detection_by_record(make: Any) -> None:
    conv = IdentityConverter(_TRAITS)
    for body in (None, b"", b"not json", b"{}", b"[1]", b"null"):
        assert not conv._known.only_known(body)


SESSION_CHANGES = [
    ("nothing", lambda s: None, False),
    ("a new top-level field", _set("country", "DE"), True),
    ("a new key in a device", _set("devices.0.asn", 64500), True),
    ("a new aal", _set("authenticator_assurance_level", "aal9"), True),
    ("a new state of the identity", _set("identity.state", "deleted"), True),
    ("an identity field unknown to the frame", _set("identity.region", "eu"), False),
]


@pytest.mark.parametrize(
    ("change", "finds"), [(c, f) for _, c, f in SESSION_CHANGES], ids=[n for n, _, _ in SESSION_CHANGES]
)
def test_session_body_check_agrees_with_the_record_detection(make: Any, change: Any, finds: bool) -> None:
    ident = make.identity(0)
    sessions = [make.session(n, identity=ident) for n in range(3)]
    change(sessions[1])
    problems = ConversionProblems()
    extras = session_extras(sessions, problems, aal_values=AAL_CATEGORIES, states=STATE_CATEGORIES)
    assert bool(problems.unknown or extras.null_count != len(sessions)) is finds
    conv = SessionConverter(_TRAITS)
    assert conv._known.only_known(orjson.dumps(sessions)) is not finds
    other = SessionConverter(_TRAITS)
    batch = conv.convert(copy.deepcopy(sessions), content=orjson.dumps(sessions))
    assert batch.equals(other.convert(sessions)) and isinstance(batch, pa.RecordBatch)
    assert conv.problems == other.problems
