"""Walks the traits of one identity JSON Schema into a tree of typed nodes, resolving ``$ref`` and ``allOf`` once.

This is the only module of the package (the sandbox aside) that reads ``$ref``. Kratos compiles
identity schemas with ory/jsonschema (draft-04/06/07; it refuses any other ``$schema``) and write-back
checks traits with ``jsonschema`` before sending; the rules below follow them (wire notes §11):

- **Local references only**: ``#`` (the whole document) and ``#/<JSON Pointer>`` (percent-decoded, then
  ``~1``/``~0`` unescaped). A remote reference (``other.json#/x``, ``https://…``, ``base64://…``) is
  not fetched, because this model does no I/O: its node is unknown, i.e. any JSON value, kept as one
  JSON text column with no write-back type, and a note says so. Kratos loads it; write-back, which
  cannot, reports the schema as not checkable offline instead of guessing.
- **Keywords beside** ``$ref`` **are ignored**, as ory/jsonschema's ``compiler.go`` does for every draft
  it accepts ("All other properties in a "$ref" object MUST be ignored") and as jsonschema's draft 4-7
  validators do. Only a document declaring draft 2019-09 or 2020-12 gets them merged with the target
  like an ``allOf``, as the validator write-back picks for it would apply them.
- ``allOf`` **branches are merged**: types intersect (an integer is a number), properties unite (a
  property named by several branches gets all their subschemas), ``required`` unites, the
  ``ory.sh/kratos`` extensions merge. ``oneOf``/``anyOf`` are kept: such a node takes several shapes.
- **One depth limit**: :data:`MAX_DEPTH` steps from the root, a step being a property or array item
  entered or a reference followed. A reference already being expanded on the way down (a cycle such
  as ``a -> b -> a``, or a type containing itself) stops at once. Either way the node is unknown (JSON
  text) with a note; its values are kept whole, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .pointers import pointer, split_pointer

__all__ = [
    "IDENTIFIER_CREDENTIALS",
    "KRATOS_EXTENSION",
    "MAX_DEPTH",
    "KratosExtension",
    "SchemaNode",
    "iter_nodes",
    "kratos_extension",
    "walk_traits",
]

MAX_DEPTH = 32
KRATOS_EXTENSION = "ory.sh/kratos"
# Credential types whose ory.sh/kratos config has an `identifier` flag (Kratos schema/extension.go,
# ExtensionConfig; identity/extension_credentials.go sets the identifiers of exactly these).
IDENTIFIER_CREDENTIALS: tuple[str, ...] = ("password", "webauthn", "code")
# Drafts in which keywords beside a reference apply together with it.
_SIBLINGS_APPLY = frozenset(
    {"https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema"}
)
_TOO_DEEP = f"more than {MAX_DEPTH} levels and references deep: kept as JSON"


@dataclass(frozen=True)
class KratosExtension:
    """What the ``ory.sh/kratos`` keyword of one node says (Kratos schema/extension.go, ExtensionConfig)."""

    identifier_credentials: tuple[str, ...] = ()
    code_via: str | None = None
    verification_via: str | None = None
    recovery_via: str | None = None

    @property
    def is_identifier(self) -> bool:
        """Whether the value is a login identifier of some credential (password, webauthn or code)."""
        return bool(self.identifier_credentials)


_NO_EXTENSION = KratosExtension()


def _text(raw: Any, *keys: str) -> str | None:
    for key in keys:
        raw = raw.get(key) if isinstance(raw, Mapping) else None
    return raw if isinstance(raw, str) else None


def kratos_extension(raw: Any) -> KratosExtension:
    """Read an ``ory.sh/kratos`` value; anything Kratos would not decode as a flag counts as unset."""
    if not isinstance(raw, Mapping):
        return KratosExtension()
    credentials = raw.get("credentials")
    credentials = credentials if isinstance(credentials, Mapping) else {}
    identifiers = tuple(
        kind
        for kind in IDENTIFIER_CREDENTIALS
        if isinstance(credentials.get(kind), Mapping) and credentials[kind].get("identifier") is True
    )
    return KratosExtension(
        identifiers,
        _text(credentials, "code", "via"),
        _text(raw, "verification", "via"),
        _text(raw, "recovery", "via"),
    )


@dataclass(frozen=True, eq=False)
class SchemaNode:
    """One node of the traits tree, with its references and ``allOf`` resolved.

    ``schema`` is the node's JSON Schema as written (references relative to the document), for
    validating a value with ``jsonschema``. ``declared_type`` is the ``type`` keyword after resolution
    (a list when several; None when absent). ``json_type`` is the one JSON type of its non-null values
    (``string, integer, number, boolean, array, object``; inferred from ``enum``/``const`` or from
    ``properties`` when ``type`` is absent), or None when there is not exactly one. ``keywords`` are
    all keywords met while resolving it. ``note`` says why a node is unknown (a reference not followed
    or the depth limit): then it describes nothing and any JSON value fits it.
    """

    path: tuple[str, ...]
    schema: Any
    declared_type: str | list[str] | None = None
    json_type: str | None = None
    format: str | None = None
    alternatives: bool = False
    boolean: bool = False
    keywords: frozenset[str] = frozenset()
    kratos: KratosExtension = _NO_EXTENSION
    properties: Mapping[str, SchemaNode] = field(default_factory=dict)
    item: SchemaNode | None = None
    note: str | None = None


@dataclass
class _Flat:
    """A node's keywords with its references and ``allOf`` merged away, and how it got there."""

    keywords: Mapping[str, Any]
    seen: frozenset[str]
    refs: tuple[str, ...]  # references expanded on the way down: a cycle shows up here
    depth: int
    boolean: bool = False
    note: str | None = None


@dataclass(frozen=True)
class _Document:
    root: Mapping[str, Any]
    siblings_apply: bool


def _lookup(document: Mapping[str, Any], ref: str) -> tuple[str, Any] | None:
    """``(normalised reference, target)`` of a local ``$ref``, or None when it names nothing here."""
    try:
        tokens = split_pointer(unquote(ref[1:]))
    except ValueError:  # "#name" (a plain-name fragment) is no JSON Pointer
        return None
    target: Any = document
    for key in tokens:
        if isinstance(target, Mapping) and key in target:
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            return None
    return "#" + pointer(*tokens), target


def _unknown(flat_refs: tuple[str, ...], depth: int, note: str) -> _Flat:
    return _Flat({}, frozenset(), flat_refs, depth, note=note)


def _follow(ref: str, doc: _Document, refs: tuple[str, ...], depth: int) -> _Flat:
    if not ref.startswith("#"):
        return _unknown(refs, depth, f"remote reference {ref!r} is not fetched: any JSON value")
    if depth >= MAX_DEPTH:
        return _unknown(refs, depth, _TOO_DEEP)
    found = _lookup(doc.root, ref)
    if found is None:
        return _unknown(refs, depth, f"reference {ref!r} names nothing in the schema: any JSON value")
    key, target = found
    if key in refs:
        return _unknown(refs, depth, f"recursive reference {ref!r}: kept as JSON")
    return _flatten(target, doc, (*refs, key), depth + 1)


def _flatten(raw: Any, doc: _Document, refs: tuple[str, ...], depth: int) -> _Flat:
    """Resolve a node's references and merge its ``allOf`` into one keyword dict."""
    if not isinstance(raw, Mapping):
        return _Flat({}, frozenset(), refs, depth, boolean=True)  # `true`/`false`: no keyword to read
    ref = raw.get("$ref")
    if isinstance(ref, str):
        target = _follow(ref, doc, refs, depth)
        siblings = {k: v for k, v in raw.items() if k != "$ref"}
        if doc.siblings_apply and siblings and target.note is None:
            return _conjoin(target, _flatten(siblings, doc, refs, depth))
        return target
    branches = raw.get("allOf")
    if isinstance(branches, list) and branches:
        flat = _Flat({k: v for k, v in raw.items() if k != "allOf"}, frozenset(raw), refs, depth)
        for branch in branches:
            part = _flatten(branch, doc, refs, depth)
            if part.note is not None:
                return part  # a conjunction with an unknown part is unknown
            flat = _conjoin(flat, part)
        return flat
    return _Flat(raw, frozenset(raw), refs, depth)


def _types(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    return [str(t) for t in value] if isinstance(value, list) else None


def _intersect_types(a: Any, b: Any) -> Any:
    """Both ``type`` keywords at once: what both allow, an integer counting as a number."""
    mine, theirs = _types(a), _types(b)
    if mine is None or theirs is None:
        return b if mine is None else a
    both = [t for t in mine if t in theirs or (t == "integer" and "number" in theirs)]
    both += [t for t in theirs if t == "integer" and "number" in mine and t not in both]
    return both[0] if len(both) == 1 else both


def _unite_properties(a: Any, b: Any) -> Any:
    if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
        return a
    out = dict(a)
    for key, sub in b.items():
        out[key] = {"allOf": [out[key], sub]} if key in out else sub
    return out


def _same_json(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b  # JSON: true is not 1


def _deep_merge(a: Any, b: Any) -> Any:
    if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
        return a
    return {**b, **{k: _deep_merge(v, b[k]) if k in b else v for k, v in a.items()}}


# How a keyword present in two allOf branches combines; any other keyword keeps the first value.
_MERGERS: dict[str, Callable[[Any, Any], Any]] = {
    "type": _intersect_types,
    "properties": _unite_properties,
    "items": lambda a, b: {"allOf": [a, b]} if isinstance(a, Mapping) and isinstance(b, Mapping) else a,
    "required": lambda a, b: list(dict.fromkeys([*a, *b])) if isinstance(a, list) and isinstance(b, list) else a,
    "enum": lambda a, b: (
        [v for v in a if any(_same_json(v, w) for w in b)] if isinstance(a, list) and isinstance(b, list) else a
    ),
    KRATOS_EXTENSION: _deep_merge,
}


def _conjoin(a: _Flat, b: _Flat) -> _Flat:
    keywords = dict(a.keywords)
    for key, value in b.keywords.items():
        keywords[key] = _MERGERS.get(key, lambda mine, _: mine)(keywords[key], value) if key in keywords else value
    refs = tuple(dict.fromkeys((*a.refs, *b.refs)))
    return _Flat(keywords, a.seen | b.seen, refs, max(a.depth, b.depth), boolean=a.boolean and b.boolean)


def _json_type_of(keywords: Mapping[str, Any]) -> str | None:
    """The single non-null JSON type a node declares or implies, else None."""
    types = [t for t in _types(keywords.get("type")) or [] if t != "null"]
    if len(types) == 1:
        return types[0]
    if types:
        return None
    enum = keywords.get("enum")
    values = enum if isinstance(enum, list) else [keywords["const"]] if "const" in keywords else None
    if values:
        kinds = {type(v) for v in values if v is not None}
        if kinds == {str}:
            return "string"
        if kinds == {bool}:
            return "boolean"
        if kinds == {int}:
            return "integer"
    if isinstance(keywords.get("properties"), Mapping):
        return "object"
    return None


def _node(raw: Any, path: tuple[str, ...], doc: _Document, refs: tuple[str, ...], depth: int) -> SchemaNode:
    if depth > MAX_DEPTH:
        return SchemaNode(path, raw, note=_TOO_DEEP)
    flat = _flatten(raw, doc, refs, depth)
    if flat.note is not None:
        return SchemaNode(path, raw, keywords=flat.seen, note=flat.note)
    keywords = flat.keywords
    json_type = _json_type_of(keywords)
    props, items = keywords.get("properties"), keywords.get("items")
    children: dict[str, SchemaNode] = {}
    item: SchemaNode | None = None
    note: str | None = None
    if json_type == "object" and isinstance(props, Mapping) and props:
        if flat.depth >= MAX_DEPTH:  # the object stays one JSON value rather than splitting into unknowns
            note = _TOO_DEEP
        else:
            children = {str(k): _node(v, (*path, str(k)), doc, flat.refs, flat.depth + 1) for k, v in props.items()}
    elif json_type == "array" and isinstance(items, Mapping | bool):
        item = _node(items, path, doc, flat.refs, flat.depth + 1)
    raw_type, fmt = keywords.get("type"), keywords.get("format")
    return SchemaNode(
        path=path,
        schema=raw,
        declared_type=raw_type if isinstance(raw_type, str | list) else None,
        json_type=json_type,
        format=fmt if isinstance(fmt, str) else None,
        alternatives="oneOf" in keywords or "anyOf" in keywords,
        boolean=flat.boolean,
        keywords=flat.seen,
        kratos=kratos_extension(keywords[KRATOS_EXTENSION]) if KRATOS_EXTENSION in keywords else _NO_EXTENSION,
        properties=children,
        item=item,
        note=note,
    )


def walk_traits(document: Mapping[str, Any]) -> SchemaNode | None:
    """The ``properties.traits`` node of an identity schema, walked; None when the schema has none.

    An array node's ``item`` is walked too (with the array's ``path``); object nodes hold their
    ``properties`` in schema order.
    """
    declared = document.get("$schema")
    doc = _Document(document, isinstance(declared, str) and declared.rstrip("#") in _SIBLINGS_APPLY)
    root = _flatten(document, doc, (), 0)
    props = root.keywords.get("properties")
    if not isinstance(props, Mapping) or "traits" not in props:
        return None
    return _node(props["traits"], (), doc, root.refs, root.depth)


def iter_nodes(node: SchemaNode | None) -> Iterator[SchemaNode]:
    """A node and every property node below it, depth first in schema order (array items not included)."""
    if node is None:
        return
    yield node
    for child in node.properties.values():
        yield from iter_nodes(child)
