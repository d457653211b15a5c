"""The schema model (ory_frames._schema): references, allOf, types, formats, the Kratos extension.

Each case is an identity schema and what both sides make of it: the Arrow type of the frame column
(read side) and the JSON Schema ``type`` write-back converts the column's cells to (write side).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from ory_frames._schema import (
    JSON_TYPE,
    MAX_DEPTH,
    KratosExtension,
    column_of_pointer,
    column_of_tokens,
    escape_token,
    iter_nodes,
    kratos_extension,
    pointer,
    pointer_of_column,
    representable,
    split_pointer,
    trait_column,
    trait_columns,
    trait_path,
    trait_pointer,
    unescape_token,
    walk_traits,
)
from ory_frames.writeback._validate import load_schemas

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
TS = pa.timestamp("us", tz="UTC")
STRING, EMAIL = {"type": "string"}, {"type": "string", "format": "email"}


def identity_schema(traits: Any, *, draft: str = DRAFT_07, **root: Any) -> dict[str, Any]:
    """An identity schema whose ``properties.traits`` is ``traits``."""
    return {"$schema": draft, "type": "object", "properties": {"traits": traits}, **root}


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def chain(n: int) -> dict[str, Any]:
    """Definitions d0 -> d1 -> ... -> d<n>, the last one a string."""
    defs: dict[str, Any] = {f"d{i}": ref(f"d{i + 1}") for i in range(n)}
    defs[f"d{n}"] = STRING
    return defs


def nested(depth: int) -> dict[str, Any]:
    """An object nested ``depth`` levels deep (keys l1, l2, ...), with a string at the bottom."""
    node: dict[str, Any] = STRING
    for level in range(depth, 0, -1):
        node = obj(**{f"l{level}": node})
    return node


DEEP_COLUMN = "traits." + ".".join(f"l{i}" for i in range(1, MAX_DEPTH + 1))

# (id, schema, {column: (Arrow type, write-back type, note fragment or None)}): every column of the schema.
CASES: list[tuple[str, dict[str, Any], dict[str, tuple[pa.DataType, Any, str | None]]]] = [
    # --- local references --------------------------------------------------------------------
    (
        "ref-to-definitions",
        identity_schema(obj(email=ref("email")), definitions={"email": EMAIL}),
        {"traits.email": (pa.string(), "string", None)},
    ),
    (
        "ref-to-$defs-in-items",
        identity_schema(obj(tags={"type": "array", "items": {"$ref": "#/$defs/tag"}}), **{"$defs": {"tag": STRING}}),
        {"traits.tags": (pa.list_(pa.string()), "array", None)},
    ),
    (
        "nested-refs",
        identity_schema(obj(age=ref("a")), definitions={"a": ref("b"), "b": {"type": "integer", "minimum": 0}}),
        {"traits.age": (pa.int64(), "integer", None)},
    ),
    (
        "ref-inside-a-referenced-object",
        identity_schema(obj(name=ref("name")), definitions={"name": obj(first=ref("text")), "text": STRING}),
        {"traits.name.first": (pa.string(), "string", None)},
    ),
    (
        "traits-node-by-ref",
        identity_schema(ref("traits"), definitions={"traits": obj(email=EMAIL, age={"type": "integer"})}),
        {"traits.email": (pa.string(), "string", None), "traits.age": (pa.int64(), "integer", None)},
    ),
    (
        # RFC 6901 inside a URI fragment: percent-decoded first, then ~1 -> "/" and ~0 -> "~".
        "ref-with-escaped-tokens",
        identity_schema(
            obj(a={"$ref": "#/definitions/a~1b"}, b={"$ref": "#/definitions/with%20space~0"}),
            definitions={"a/b": {"type": "boolean"}, "with space~": {"type": "number"}},
        ),
        {"traits.a": (pa.bool_(), "boolean", None), "traits.b": (pa.float64(), "number", None)},
    ),
    (
        "ref-to-another-property",
        identity_schema(obj(email=EMAIL, backup={"$ref": "#/properties/traits/properties/email"})),
        {"traits.email": (pa.string(), "string", None), "traits.backup": (pa.string(), "string", None)},
    ),
    (
        # A cycle that never reaches a type: the walk stops at once, the value is kept as JSON text.
        "ref-cycle",
        identity_schema(obj(x=ref("a")), definitions={"a": ref("b"), "b": ref("a")}),
        {"traits.x": (JSON_TYPE, None, "recursive reference '#/definitions/a'")},
    ),
    (
        # A type containing itself: one level is flattened, the recursion point is one JSON column.
        "self-containing-type",
        identity_schema(obj(owner=ref("person")), definitions={"person": obj(name=STRING, friend=ref("person"))}),
        {
            "traits.owner.name": (pa.string(), "string", None),
            "traits.owner.friend": (JSON_TYPE, None, "recursive reference '#/definitions/person'"),
        },
    ),
    (
        "ref-chain-past-the-depth-limit",
        identity_schema(obj(x=ref("d0")), definitions=chain(MAX_DEPTH + 5)),
        {"traits.x": (JSON_TYPE, None, f"more than {MAX_DEPTH} levels")},
    ),
    (
        "ref-chain-within-the-depth-limit",
        identity_schema(obj(x=ref("d0")), definitions=chain(MAX_DEPTH - 2)),
        {"traits.x": (pa.string(), "string", None)},
    ),
    (
        # The deepest object the limit allows stays one JSON value instead of splitting further.
        "objects-nested-past-the-depth-limit",
        identity_schema(obj(**nested(MAX_DEPTH + 3)["properties"])),
        {DEEP_COLUMN: (JSON_TYPE, "object", f"more than {MAX_DEPTH} levels")},
    ),
    (
        "ref-to-nothing",
        identity_schema(obj(x=ref("missing"))),
        {"traits.x": (JSON_TYPE, None, "names nothing")},
    ),
    (
        # "#name" is a plain-name fragment (an $id anchor), not a JSON Pointer: not resolved here.
        "plain-name-fragment",
        identity_schema(obj(x={"$ref": "#email"}), definitions={"email": {"$id": "#email", **EMAIL}}),
        {"traits.x": (JSON_TYPE, None, "names nothing")},
    ),
    (
        # Kratos would fetch it (http, file and base64 loaders); the model does no I/O.
        "remote-ref",
        identity_schema(obj(x={"$ref": "https://example.com/name.schema.json#/definitions/first"})),
        {"traits.x": (JSON_TYPE, None, "remote reference")},
    ),
    (
        # ory/jsonschema compiler.go: "All other properties in a "$ref" object MUST be ignored" (draft 4-7).
        "siblings-of-ref-ignored-in-draft-07",
        identity_schema(obj(x={**ref("text"), "type": "integer", "format": "date-time"}), definitions={"text": STRING}),
        {"traits.x": (pa.string(), "string", None)},
    ),
    (
        # From draft 2019-09 on, keywords beside $ref apply together with it.
        "siblings-of-ref-apply-in-2020-12",
        identity_schema(
            obj(x={"$ref": "#/$defs/text", "format": "date-time"}), draft=DRAFT_2020, **{"$defs": {"text": STRING}}
        ),
        {"traits.x": (TS, "string", None)},
    ),
    # --- allOf --------------------------------------------------------------------------------
    (
        "allOf-adds-a-format",
        identity_schema(obj(x={"allOf": [STRING, {"format": "date-time"}]})),
        {"traits.x": (TS, "string", None)},
    ),
    (
        "allOf-with-a-ref",
        identity_schema(obj(x={"allOf": [ref("text"), {"minLength": 3}]}), definitions={"text": EMAIL}),
        {"traits.x": (pa.string(), "string", None)},
    ),
    (
        # JSON Schema: every integer is a number, so number AND integer is integer.
        "allOf-number-and-integer",
        identity_schema(obj(x={"allOf": [{"type": "number"}, {"type": "integer"}]})),
        {"traits.x": (pa.int64(), "integer", None)},
    ),
    (
        "allOf-nullable-and-string",
        identity_schema(obj(x={"allOf": [{"type": ["string", "null"]}, STRING]})),
        {"traits.x": (pa.string(), "string", None)},
    ),
    (
        "allOf-of-objects-unites-properties",
        identity_schema(obj(x={"allOf": [obj(a=STRING), obj(b={"type": "integer"})]})),
        {"traits.x.a": (pa.string(), "string", None), "traits.x.b": (pa.int64(), "integer", None)},
    ),
    (
        "allOf-names-a-property-twice",
        identity_schema(obj(x={"allOf": [obj(a={"type": "number"}), obj(a={"type": "integer"})]})),
        {"traits.x.a": (pa.int64(), "integer", None)},
    ),
    (
        "allOf-at-the-traits-node",
        identity_schema({"allOf": [ref("base"), obj(age={"type": "integer"})]}, definitions={"base": obj(email=EMAIL)}),
        {"traits.email": (pa.string(), "string", None), "traits.age": (pa.int64(), "integer", None)},
    ),
    (
        # Both enums hold at once: only ["", "gold"] is left, all strings (1 and true are not "").
        "allOf-intersects-enums",
        identity_schema(obj(x={"allOf": [{"enum": ["", "gold", 1, True]}, {"enum": ["", "gold", "silver"]}]})),
        {"traits.x": (pa.string(), None, None)},
    ),
    (
        # No value is both a string and an integer: nothing to type, any JSON kept as it is.
        "allOf-with-no-common-type",
        identity_schema(obj(x={"allOf": [STRING, {"type": "integer"}]})),
        {"traits.x": (JSON_TYPE, [], None)},
    ),
    (
        "allOf-with-an-unknown-branch",
        identity_schema(obj(x={"allOf": [STRING, {"$ref": "other.json"}]})),
        {"traits.x": (JSON_TYPE, None, "remote reference 'other.json'")},
    ),
    # --- objects and arrays ---------------------------------------------------------------------
    (
        "nested-objects",
        identity_schema(obj(name=obj(first=STRING, last=STRING), address=obj(geo=obj(lat={"type": "number"})))),
        {
            "traits.name.first": (pa.string(), "string", None),
            "traits.name.last": (pa.string(), "string", None),
            "traits.address.geo.lat": (pa.float64(), "number", None),
        },
    ),
    (
        "arrays-of-scalars",
        identity_schema(
            obj(
                emails={"type": "array", "items": EMAIL},
                scores={"type": "array", "items": {"type": "integer"}},
                logins={"type": "array", "items": {"type": "string", "format": "date-time"}},
            )
        ),
        {
            "traits.emails": (pa.list_(pa.string()), "array", None),
            "traits.scores": (pa.list_(pa.int64()), "array", None),
            "traits.logins": (pa.list_(TS), "array", None),
        },
    ),
    (
        # docs/architecture.md: a key holding "." cannot be told from nesting in a column name, so an
        # object with such a key stays one JSON column, and a top-level one is left out of the columns.
        "keys-with-dots",
        identity_schema(obj(x=obj(**{"a.b": STRING}), **{"c.d": STRING}, e=STRING)),
        {"traits.x": (JSON_TYPE, "object", "a property name contains '.'"), "traits.e": (pa.string(), "string", None)},
    ),
    (
        "array-of-objects",
        identity_schema(obj(addresses={"type": "array", "items": obj(city=STRING)})),
        {"traits.addresses": (JSON_TYPE, "array", None)},
    ),
    # --- const, enum, type lists ----------------------------------------------------------------
    (
        # No "type": the column type comes from the values; write-back leaves the check to jsonschema.
        "const-and-enum-without-type",
        identity_schema(
            obj(
                plan={"const": "pro"},
                level={"const": 3},
                beta={"const": True},
                ratio={"const": 1.5},
                tier={"enum": ["", "gold"]},
                mixed={"enum": ["", 1]},
                maybe={"enum": ["", None]},
            )
        ),
        {
            "traits.plan": (pa.string(), None, None),
            "traits.level": (pa.int64(), None, None),
            "traits.beta": (pa.bool_(), None, None),
            "traits.ratio": (JSON_TYPE, None, None),
            "traits.tier": (pa.string(), None, None),
            "traits.mixed": (JSON_TYPE, None, None),
            "traits.maybe": (pa.string(), None, None),
        },
    ),
    (
        # An enum holding "" keeps "" as a value (wire notes §3: traits come back as stored).
        "typed-enum-with-empty-string",
        identity_schema(obj(tier={"type": "string", "enum": ["", "gold", "silver"]})),
        {"traits.tier": (pa.string(), "string", None)},
    ),
    (
        "type-lists",
        identity_schema(
            obj(
                a={"type": ["string", "null"]},
                b={"type": ["null", "integer"]},
                c={"type": ["string", "integer"]},
                d={"type": ["object", "null"], "properties": {"e": {"type": "boolean"}}},
            )
        ),
        {
            "traits.a": (pa.string(), ["string", "null"], None),
            "traits.b": (pa.int64(), ["null", "integer"], None),
            "traits.c": (JSON_TYPE, ["string", "integer"], None),
            "traits.d.e": (pa.bool_(), "boolean", None),
        },
    ),
    (
        "alternatives-and-boolean-schemas",
        identity_schema(
            obj(
                one={"oneOf": [STRING, {"type": "integer"}]},
                any={"type": "string", "anyOf": [{"format": "email"}, {"format": "tel"}]},
                yes=True,
                free={},
            )
        ),
        {
            "traits.one": (JSON_TYPE, None, None),
            "traits.any": (JSON_TYPE, "string", None),
            "traits.yes": (JSON_TYPE, None, None),
            "traits.free": (JSON_TYPE, None, None),
        },
    ),
]


@pytest.mark.parametrize(("schema", "expected"), [pytest.param(s, e, id=i) for i, s, e in CASES])
def test_columns_and_write_back_types(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    columns = trait_columns({"s": schema})
    info = load_schemas({"s": schema})
    assert info is not None
    assert list(columns) == list(expected)
    # Write-back also types the objects holding the columns, and nothing else.
    for extra in set(info["s"].column_types) - set(columns):
        assert any(c.startswith(extra + ".") for c in columns), extra
    for column, (arrow_type, write_type, note) in expected.items():
        assert columns[column].arrow_type == arrow_type, column
        assert info["s"].column_types.get(column) == write_type, column
        if note is None:
            assert not columns[column].notes, column
        else:
            assert any(note in n for n in columns[column].notes), (column, columns[column].notes)


FORMATS = [
    # Only date-time changes the Arrow type; other formats stay text as Ory stores them (wire notes §3).
    ("date-time", TS),
    ("email", pa.string()),
    ("tel", pa.string()),
    ("date", pa.string()),
    ("time", pa.string()),
    ("uri", pa.string()),
    ("uuid", pa.string()),
    ("no-validate", pa.string()),  # Kratos' own format name: a string it does not check
]


@pytest.mark.parametrize(("fmt", "arrow_type"), FORMATS)
def test_formats(fmt: str, arrow_type: pa.DataType) -> None:
    info = trait_columns({"s": identity_schema(obj(x={"type": "string", "format": fmt}))})["traits.x"]
    assert info.arrow_type == arrow_type
    assert info.format == ("date-time" if fmt == "date-time" else None)


def test_a_format_on_a_non_string_is_ignored() -> None:
    # JSON Schema: "format" only constrains strings.
    info = trait_columns({"s": identity_schema(obj(x={"type": "integer", "format": "date-time"}))})["traits.x"]
    assert info.arrow_type == pa.int64()


def test_leaf_schema_keeps_every_allOf_branch() -> None:
    schema = identity_schema(obj(x={"allOf": [obj(a={"type": "number", "maximum": 9}), obj(a={"type": "integer"})]}))
    info = load_schemas({"s": schema})["s"]  # type: ignore[index]
    assert info.validate_leaf("traits.x.a", 3) == []
    assert [reason for _, reason in info.validate_leaf("traits.x.a", 3.5)] == [
        "3.5 is not of type integer (schema 's')"
    ]
    assert info.validate_leaf("traits.x.a", 12)[0][1].startswith("12 is greater than the maximum of 9")


def test_write_back_reports_a_reference_loop_instead_of_recursing() -> None:
    schema = identity_schema(obj(x=ref("a")), definitions={"a": ref("b"), "b": ref("a")})
    info = load_schemas({"s": schema})["s"]  # type: ignore[index]
    assert info.validate_traits({"x": 1}, {"traits.x"}) == [
        ("traits", "schema 's' cannot be checked: its references loop without reaching a type")
    ]


def test_write_back_reports_a_remote_reference_it_cannot_fetch() -> None:
    schema = identity_schema(obj(x={"$ref": "https://example.com/x.json"}))
    info = load_schemas({"s": schema})["s"]  # type: ignore[index]
    [(column, reason)] = info.validate_traits({"x": 1}, {"traits.x"})
    assert column == "traits"
    assert reason.startswith("schema 's' cannot be checked offline") and "https://example.com/x.json" in reason


def test_walk_order_and_paths() -> None:
    schema = identity_schema(obj(b=STRING, a=obj(z=STRING, y=STRING)))
    assert [n.path for n in iter_nodes(walk_traits(schema))] == [(), ("b",), ("a",), ("a", "z"), ("a", "y")]
    assert walk_traits({"type": "object"}) is None
    assert list(iter_nodes(None)) == []


def test_root_reference_is_followed() -> None:
    schema = {
        "$schema": DRAFT_07,
        "$ref": "#/definitions/identity",
        "definitions": {"identity": identity_schema(obj(x=STRING))},
    }
    assert list(trait_columns({"s": schema})) == ["traits.x"]


# --- the ory.sh/kratos extension (Kratos schema/extension.go, identity/extension_credentials.go) -------
KRATOS = [
    ({"credentials": {"password": {"identifier": True}}}, KratosExtension(("password",))),
    (
        {
            "credentials": {"password": {"identifier": True}, "code": {"identifier": True, "via": "email"}},
            "verification": {"via": "email"},
            "recovery": {"via": "email"},
        },
        KratosExtension(("password", "code"), code_via="email", verification_via="email", recovery_via="email"),
    ),
    ({"credentials": {"webauthn": {"identifier": True}}}, KratosExtension(("webauthn",))),
    # Only password, webauthn and code carry an identifier flag in Kratos' ExtensionConfig.
    ({"credentials": {"totp": {"identifier": True, "account_name": True}}}, KratosExtension()),
    ({"credentials": {"passkey": {"display_name": True}}}, KratosExtension()),
    # Kratos decodes the flag as a JSON boolean; anything else is not `true`.
    ({"credentials": {"password": {"identifier": "yes"}}}, KratosExtension()),
    ({"credentials": {"password": {"identifier": False}}}, KratosExtension()),
    ({"verification": {"via": "sms"}}, KratosExtension(verification_via="sms")),
    ("nonsense", KratosExtension()),
]


@pytest.mark.parametrize(("raw", "expected"), KRATOS)
def test_kratos_extension(raw: Any, expected: KratosExtension) -> None:
    assert kratos_extension(raw) == expected
    assert kratos_extension(raw).is_identifier == bool(expected.identifier_credentials)


IDENTIFIED = {"ory.sh/kratos": {"credentials": {"password": {"identifier": True}}}}
IDENTIFIERS = [
    ("on-the-trait", identity_schema(obj(email={**EMAIL, **IDENTIFIED})), ["traits.email"]),
    (
        "through-a-ref",
        identity_schema(obj(email=ref("e")), definitions={"e": {**EMAIL, **IDENTIFIED}}),
        ["traits.email"],
    ),
    # ory/jsonschema compiles no extension of a "$ref" object: a sibling marker is ignored by Kratos.
    ("beside-a-ref", identity_schema(obj(email={**ref("e"), **IDENTIFIED}), definitions={"e": EMAIL}), []),
    # Kratos runs the extension of every allOf branch the value is validated against.
    (
        "in-an-allOf-branch",
        identity_schema(obj(email={"allOf": [ref("e"), IDENTIFIED]}), definitions={"e": EMAIL}),
        ["traits.email"],
    ),
    ("nested", identity_schema(obj(login=obj(name={**STRING, **IDENTIFIED}))), ["traits.login.name"]),
    # An identifier inside array items is not a scalar column to look an identity up by.
    ("array-items", identity_schema(obj(emails={"type": "array", "items": {**EMAIL, **IDENTIFIED}})), []),
]


@pytest.mark.parametrize(("schema", "columns"), [pytest.param(s, c, id=i) for i, s, c in IDENTIFIERS])
def test_identifier_columns(schema: dict[str, Any], columns: list[str]) -> None:
    info = load_schemas({"s": schema})["s"]  # type: ignore[index]
    assert info.identifier_columns == columns


def test_array_item_nodes_carry_their_extension() -> None:
    schema = identity_schema(obj(emails={"type": "array", "items": {**EMAIL, **IDENTIFIED}}))
    emails = walk_traits(schema).properties["emails"]  # type: ignore[union-attr]
    assert emails.item is not None and emails.item.kratos.identifier_credentials == ("password",)
    assert emails.item.format == "email"


# --- column names <-> JSON Pointers (RFC 6901) ---------------------------------------------------------
POINTERS = [
    (("email",), "traits.email", "/traits/email"),
    (("name", "first"), "traits.name.first", "/traits/name/first"),
    (("a/b",), "traits.a/b", "/traits/a~1b"),  # RFC 6901: "/" -> "~1"
    (("a~b",), "traits.a~b", "/traits/a~0b"),  # RFC 6901: "~" -> "~0"
    (("~1",), "traits.~1", "/traits/~01"),  # "~" is escaped first, so a literal "~1" stays two characters
    (("~/",), "traits.~/", "/traits/~0~1"),
    (("x", "ünïcødé"), "traits.x.ünïcødé", "/traits/x/ünïcødé"),
    (("",), None, "/traits/"),  # an empty key is a valid JSON key but no column name
    (("a.b",), None, "/traits/a.b"),  # docs/architecture.md: a key holding "." is never a column of its own
]


@pytest.mark.parametrize(("path", "column", "ptr"), POINTERS)
def test_trait_paths_columns_and_pointers(path: tuple[str, ...], column: str | None, ptr: str) -> None:
    assert trait_pointer(path) == ptr
    assert split_pointer(ptr) == ["traits", *path]
    assert representable(path) == (column is not None)
    if column is not None:
        assert trait_column(path) == column
        assert trait_path(column) == path
        assert pointer_of_column(column) == ptr
        assert column_of_pointer(ptr) == column


@pytest.mark.parametrize("token", ["plain", "a/b", "a~b", "~1", "~0/~1", "/", "~", ""])
def test_escape_round_trip(token: str) -> None:
    assert unescape_token(escape_token(token)) == token
    assert "/" not in escape_token(token)
    assert split_pointer(pointer(token, token)) == [token, token]


@pytest.mark.parametrize(
    ("column", "ptr"),
    [
        ("state", "/state"),
        ("metadata_public", "/metadata_public"),
        ("traits", "/traits"),
        ("traits.", None),
        ("traits.a..b", None),
        ("", None),
    ],
)
def test_pointer_of_column(column: str, ptr: str | None) -> None:
    assert pointer_of_column(column) == ptr


def test_pointer_edges() -> None:
    assert split_pointer("") == []
    with pytest.raises(ValueError, match="starts with"):
        split_pointer("traits/email")
    with pytest.raises(ValueError, match="whole identity"):
        column_of_pointer("")
    with pytest.raises(ValueError, match="does not name a column"):
        column_of_pointer("/metadata_public/plan")
    assert trait_path("traitsx") is None and trait_path("traits") is None
    # A validation error's path: array indices stay keys, the root is no column.
    assert column_of_tokens(["traits", "emails", 0]) == "traits.emails.0"
    assert column_of_tokens(["traits"]) == "traits"
    assert column_of_tokens([]) is None
