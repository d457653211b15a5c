"""The sandbox's identity schemas: loading, Kratos-style validation text and identifier extraction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from .._formats import format_checker, kratos_errors
from ._wire import WireError, bad_request

SCHEMA_IDS = ("default", "username", "phone", "b2b")
EXTENSION_KEY = "ory.sh/kratos"

# The formats Kratos registers, checked as Kratos checks them (ory_frames._formats).
_FORMATS = format_checker()


@dataclass(frozen=True)
class Extension:
    """One trait carrying an `ory.sh/kratos` extension, at a path of object keys (`*` for array items)."""

    path: tuple[str, ...]
    password_identifier: bool = False
    webauthn_identifier: bool = False
    code_via: str | None = None
    verification_via: str | None = None
    recovery_via: str | None = None
    fmt: str | None = None


@dataclass
class Derived:
    """What an identity's traits imply: credential identifiers and addresses."""

    password: list[str] = field(default_factory=list)
    webauthn: list[str] = field(default_factory=list)
    code: list[tuple[str, str]] = field(default_factory=list)  # (channel, address)
    verification: list[tuple[str, str]] = field(default_factory=list)  # (via, value)
    recovery: list[tuple[str, str]] = field(default_factory=list)


def _walk_extensions(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Extension]:
    ext = node.get(EXTENSION_KEY)
    if isinstance(ext, Mapping):
        creds = ext.get("credentials") or {}
        code = creds.get("code") or {}
        yield Extension(
            path=path,
            password_identifier=bool((creds.get("password") or {}).get("identifier")),
            webauthn_identifier=bool((creds.get("webauthn") or {}).get("identifier")),
            code_via=(code.get("via") or "email") if code.get("identifier") else None,
            verification_via=(ext.get("verification") or {}).get("via"),
            recovery_via=(ext.get("recovery") or {}).get("via"),
            fmt=node.get("format"),
        )
    for key, child in (node.get("properties") or {}).items():
        if isinstance(child, Mapping):
            yield from _walk_extensions(child, (*path, key))
    items = node.get("items")
    if isinstance(items, Mapping):
        yield from _walk_extensions(items, (*path, "*"))


def _values_at(doc: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield doc
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(doc, list):
            for item in doc:
                yield from _values_at(item, rest)
    elif isinstance(doc, Mapping) and head in doc:
        yield from _values_at(doc[head], rest)


def _unique_append(items: list[Any], value: Any) -> None:
    if value not in items:
        items.append(value)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_message(err: ValidationError) -> str:
    """The message santhosh-tekuri/jsonschema (ory's fork) prints for a failed keyword."""
    kw: Any = err.validator
    want: Any = err.validator_value
    got: Any = err.instance
    schema: Any = err.schema
    if kw == "type":
        types = want if isinstance(want, list) else [want]
        return f"expected {' or '.join(types)}, but got {_json_type(got)}"
    if kw == "format":
        return f"{json.dumps(got)} is not valid {json.dumps(want)}"
    if kw == "required":
        missing = [p for p in want if isinstance(got, Mapping) and p not in got]
        return "missing properties: " + ", ".join(json.dumps(p) for p in missing)
    if kw == "additionalProperties" and isinstance(got, Mapping):
        allowed = set((schema.get("properties") or {}).keys())
        extra = [k for k in got if k not in allowed]
        return "additionalProperties " + ", ".join(json.dumps(k) for k in extra) + " not allowed"
    if kw == "minLength":
        return f"length must be >= {want}, but got {len(got)}"
    if kw == "maxLength":
        return f"length must be <= {want}, but got {len(got)}"
    if kw == "pattern":
        return f"does not match pattern {json.dumps(want)}"
    if kw == "enum":
        return "value must be one of " + ", ".join(json.dumps(v) for v in want)
    if kw == "const":
        return f"value must be {json.dumps(want)}"
    if kw == "minimum":
        return f"must be >= {_num(want)} but found {_num(got)}"
    if kw == "maximum":
        return f"must be <= {_num(want)} but found {_num(got)}"
    if kw == "exclusiveMinimum":
        return f"must be > {_num(want)} but found {_num(got)}"
    if kw == "exclusiveMaximum":
        return f"must be < {_num(want)} but found {_num(got)}"
    if kw == "minItems":
        return f"minimum {want} items allowed, but found {len(got)} items"
    if kw == "maxItems":
        return f"maximum {want} items allowed, but found {len(got)} items"
    return str(err.message)


def _pointer(parts: Any) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "#" + "".join("/" + p for p in escaped)


@dataclass(frozen=True)
class SchemaProblem:
    """One validation failure: instance pointer, schema pointer and Go-style message."""

    instance: str
    schema: str
    message: str

    def __str__(self) -> str:
        return f"I[{self.instance}] S[{self.schema}] {self.message}"


# The order in which the validator meets an object's keywords: `required`, then `properties`, then
# `additionalProperties` (any other keyword sorts with `properties`).
_KEYWORD_ORDER = {"required": 0, "additionalProperties": 2}


def _segments(pointer: str) -> list[str]:
    return [p for p in pointer[1:].split("/") if p]


def _common(lists: list[list[str]]) -> list[str]:
    out: list[str] = []
    for parts in zip(*lists, strict=False):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return out


def _grouped(found: list[SchemaProblem]) -> str:
    """Several failures as the validator prints them: `validation failed` at the deepest schema node that
    holds them all (`I[#/traits] S[#/properties/traits]`), then one indented line per failure (wire notes
    "Validation text"; Kratos' identity/extension_recovery_test.go shows the shape)."""
    instance = _common([_segments(p.instance) for p in found])
    # A failure's schema node is its pointer without the keyword; nodes sit at even depths (properties/<name>).
    nodes = _common([_segments(p.schema)[:-1] for p in found])
    nodes = nodes[: len(nodes) - len(nodes) % 2]

    def order(p: SchemaProblem) -> tuple[int, str, str]:
        rest = _segments(p.schema)[len(nodes) :]
        return _KEYWORD_ORDER.get(rest[0] if rest else "", 1), p.instance, p.schema

    head = f"I[#{''.join('/' + x for x in instance)}] S[#{''.join('/' + x for x in nodes)}] validation failed"
    return head + "".join(f"\n  {p}" for p in sorted(found, key=order))


class IdentitySchema:
    """One identity schema document with its validator and extension map."""

    def __init__(self, schema_id: str, document: dict[str, Any]) -> None:
        self.id = schema_id
        self.document = document
        self.raw = json.dumps(document).encode()
        cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
        self._validator = cls(document, format_checker=_FORMATS)
        traits = (document.get("properties") or {}).get("traits") or {}
        self.extensions = tuple(_walk_extensions(traits, ()))

    def problems(self, traits: Any) -> list[SchemaProblem]:
        """Every validation failure of `{"traits": traits}`, sorted by instance pointer."""
        seen: dict[tuple[str, str], SchemaProblem] = {}
        for err in kratos_errors(self._validator.iter_errors({"traits": traits})):
            problem = SchemaProblem(_pointer(err.absolute_path), _pointer(err.absolute_schema_path), _go_message(err))
            seen.setdefault((problem.instance, problem.schema), problem)
        return sorted(seen.values(), key=lambda p: (p.instance, p.schema))

    def validation_text(self, traits: Any) -> str | None:
        """Kratos' error text for the traits, or None when they are valid (wire notes §5)."""
        found = self.problems(traits)
        if not found:
            return None
        if len(found) == 1:
            return str(found[0])
        return _grouped(found)

    def derive(self, traits: Any) -> Derived:
        """Identifiers and addresses the traits imply under the schema's extension."""
        out = Derived()
        for ext in self.extensions:
            for value in _values_at(traits, ext.path):
                if not isinstance(value, str) or not value:
                    continue
                norm = value.strip().lower()
                if ext.password_identifier:
                    _unique_append(out.password, norm)
                if ext.webauthn_identifier:
                    _unique_append(out.webauthn, norm)
                if ext.code_via:
                    _unique_append(out.code, (ext.code_via, norm if ext.code_via == "email" else value.strip()))
                if ext.verification_via:
                    _unique_append(out.verification, (ext.verification_via, norm))
                if ext.recovery_via:
                    _unique_append(out.recovery, (ext.recovery_via, norm))
        return out


class SchemaRegistry:
    """The configured schemas, in config order."""

    def __init__(self, schemas: Mapping[str, dict[str, Any]]) -> None:
        self._schemas = {sid: IdentitySchema(sid, doc) for sid, doc in schemas.items()}

    @classmethod
    def bundled(cls) -> SchemaRegistry:
        """The four schemas shipped in `ory_frames/sandbox/schemas/`."""
        base = resources.files("ory_frames.sandbox").joinpath("schemas")
        return cls({sid: json.loads(base.joinpath(f"{sid}.json").read_text("utf-8")) for sid in SCHEMA_IDS})

    def add(self, schema_id: str, document: dict[str, Any]) -> bool:
        """Serve ``document`` as ``schema_id`` from now on, after the others (a new id) or in its place; True if new.

        As a change to an Ory project's configuration: identities already stored are not validated again.
        """
        is_new = schema_id not in self._schemas
        self._schemas[schema_id] = IdentitySchema(schema_id, document)
        return is_new

    @property
    def ids(self) -> list[str]:
        return list(self._schemas)

    def get(self, schema_id: str) -> IdentitySchema | None:
        return self._schemas.get(schema_id)

    def require(self, schema_id: str) -> IdentitySchema:
        """The schema, or the 400 Kratos answers for an unknown id (wire notes §5)."""
        found = self._schemas.get(schema_id)
        if found is None:
            raise bad_request(f"Unable to find JSON Schema ID: {schema_id}")
        return found

    def validate(self, schema_id: str, traits: Any) -> IdentitySchema:
        """Raise the Kratos-style 400 if the traits do not validate; return the schema otherwise."""
        schema = self.require(schema_id)
        text = schema.validation_text(traits)
        if text is not None:
            raise WireError(400, reason=text)
        return schema
