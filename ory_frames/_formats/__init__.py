"""JSON Schema ``format`` checks that accept exactly what Kratos accepts.

Kratos v1.3.1 validates identity traits with ory/jsonschema v3.0.8, whose ``formats.go`` registers
the formats below (Kratos adds ``no-validate``, which accepts anything). Every check is a port of
that file and of the Go standard library functions it calls (see the modules of this package);
formats it does not register are not checked at all, whatever the JSON Schema drafts say. A format
applies to every JSON type, not only to strings: ``{"format": "email"}`` refuses ``5`` and ``null``,
as Kratos does. One format is not checked here: ``regex`` is Go's RE2 syntax, which Python's ``re``
does not share, so it is left to Kratos (no string is refused locally).

``tel`` is libphonenumber in Go (nyaruka/phonenumbers), reproduced with the Python port (``_tel``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._gotime import is_date, is_date_time, is_time
from ._mail import is_email, is_hostname
from ._net import is_ipv4, is_ipv6
from ._tel import is_tel
from ._url import is_uri, is_uri_reference, is_uri_template

__all__ = ["KRATOS_FORMATS", "conforms", "format_checker", "kratos_errors"]


def is_json_pointer(value: str) -> bool:
    """RFC 6901: empty, or ``/``-prefixed with every ``~`` followed by ``0`` or ``1`` (Go also takes ``~~``)."""
    if value and not value.startswith("/"):
        return False
    i = value.find("~")
    while i >= 0:
        if i + 1 >= len(value) or value[i + 1] not in "~01":
            return False
        i = value.find("~", i + 1)
    return True


def is_relative_json_pointer(value: str) -> bool:
    """A non-negative integer (a leading ``0`` stands alone) followed by ``#`` or a JSON pointer."""
    if not value or not "0" <= value[0] <= "9":
        return False
    end = 1
    if value[0] != "0":
        while end < len(value) and "0" <= value[end] <= "9":
            end += 1
    rest = value[end:]
    return rest == "#" or is_json_pointer(rest)


def _any_string(value: str) -> bool:
    return True


# Format name -> check of a string value, as registered by formats.go (no-validate needs no entry).
KRATOS_FORMATS: dict[str, Callable[[str], bool]] = {
    "date-time": is_date_time,
    "date": is_date,
    "time": is_time,
    "hostname": is_hostname,
    "email": is_email,
    "tel": is_tel,
    "ip-address": is_ipv4,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "uri": is_uri,
    "iri": is_uri,
    "uri-reference": is_uri_reference,
    "uriref": is_uri_reference,
    "iri-reference": is_uri_reference,
    "uri-template": is_uri_template,
    "regex": _any_string,
    "json-pointer": is_json_pointer,
    "relative-json-pointer": is_relative_json_pointer,
}


def conforms(fmt: str, value: Any) -> bool:
    """Whether Kratos accepts ``value`` for ``"format": fmt``: formats it does not know (and its own
    ``no-validate``) accept anything, the ones it knows refuse every value that is not a string."""
    check = KRATOS_FORMATS.get(fmt)
    if check is None:
        return True
    return isinstance(value, str) and check(value)


def format_checker() -> Any:
    """A ``jsonschema.FormatChecker`` holding exactly Kratos' formats."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name in KRATOS_FORMATS:
        checker.checks(name)(lambda value, name=name: conforms(name, value))
    return checker


def kratos_errors(errors: Iterable[Any]) -> list[Any]:
    """``jsonschema`` errors as ory/jsonschema reports them: where a schema node's ``type`` fails, that
    is the node's only error (its validator returns there, ``schema.go``), so ``5`` under
    ``{"type": "string", "format": "email"}`` is "expected string", not also "not a valid email"."""
    found = list(errors)
    typed = [(tuple(e.absolute_path), tuple(e.absolute_schema_path)[:-1]) for e in found if e.validator == "type"]
    if not typed:
        return found

    def shadowed(error: Any) -> bool:
        path, schema = tuple(error.absolute_path), tuple(error.absolute_schema_path)
        return any(
            path[: len(at)] == at and schema[: len(node)] == node and schema != (*node, "type") for at, node in typed
        )

    return [e for e in found if not shadowed(e)]
