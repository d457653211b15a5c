"""Cell values -> plain JSON values, and the request bodies write-back sends.

Every value that leaves a plan passes through :func:`to_json_value`, so a payload never holds a numpy
scalar, a pandas timestamp or a float where the schema wants an integer.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ory_frames._digest import json_digest

# wire notes §4: at most 1000 items per batch, and at most 200 carrying a plaintext password.
MAX_BATCH_ITEMS = 1000
MAX_BATCH_ITEMS_WITH_PASSWORD = 200

# The namespace of plan ids (uuid5 of a content digest) and patch ids (uuid5 of f"{plan_id}:{row}").
PATCH_ID_NAMESPACE = uuid.UUID("6f1c3f1e-5f0b-4b8e-9a53-7d0c1e0a2b44")
PASSWORD_MASK = "***"
# Our client's JSON encoder (orjson) and Ory's Go server both stop at 64-bit integers.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ValueProblem(ValueError):
    """A cell value that cannot become the JSON type its schema asks for; the message is the reason."""


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (the values that mean "remove" in an edited frame)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def _type_names(json_type: str | Sequence[str] | None) -> set[str]:
    if json_type is None:
        return set()
    if isinstance(json_type, str):
        return {json_type}
    return set(json_type)


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` of a value (numpy scalars unwrapped), cut to about ``limit`` characters for messages."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def to_json_value(value: Any, json_type: str | Sequence[str] | None = None) -> Any:
    """A plain JSON value (dict, list, str, int, float, bool, None) for a cell.

    ``json_type`` is the JSON Schema ``type`` of the target, if known: an integral float becomes an
    ``int`` for ``integer``; a non-integral number there, or a non-boolean for ``boolean``, raises
    :class:`ValueProblem`. Without a type, values keep their natural JSON type.
    """
    types = _type_names(json_type)
    if is_missing(value):
        return None
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        value = value.item()  # a 0-d array is what pandas stores for some assigned arrays
    if isinstance(value, bool):
        if types and not types & {"boolean"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        return value
    if isinstance(value, int):
        if types and not types & {"integer", "number"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueProblem(f"{short_repr(value)} is too large: integers must fit in 64 bits to be sent")
        return value
    if isinstance(value, float):
        if math.isinf(value):
            raise ValueProblem(f"{short_repr(value)} is not a finite number")
        if "integer" in types and "number" not in types:
            if not value.is_integer():
                raise ValueProblem(f"{short_repr(value)} is not an integer")
            if not _INT64_MIN <= value <= _INT64_MAX:  # 2.0**64 is integral, yet no 64-bit integer
                raise ValueProblem(f"{short_repr(value)} is too large: integers must fit in 64 bits to be sent")
            return int(value)
        if types and not types & {"number", "integer"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        return value
    if isinstance(value, str):
        if types and not types & {"string"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        return value
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        # Ory's string fields (schema_id, external_id) and typed traits take no object or array.
        if types and not types & {"object"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.api.extensions.ExtensionArray):
        if types and not types & {"array"}:
            raise ValueProblem(f"{short_repr(value)} is not {_article(types)}")
        return [to_json_value(v) for v in value]
    raise ValueProblem(f"{short_repr(value)} of type {type(value).__name__} cannot be sent as JSON")


def _article(types: set[str]) -> str:
    names = sorted(types - {"null"}) or sorted(types)
    words = {"integer": "an integer", "object": "an object", "array": "an array"}
    return " or ".join(words.get(n, f"a {n}") for n in names)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of two plain JSON values where ``1 == 1.0`` but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)


def stable_id(name: str) -> str:
    """A UUID for ``name`` that is the same in every run (uuid5 in the namespace of plan and patch ids)."""
    return str(uuid.uuid5(PATCH_ID_NAMESPACE, name))


def patch_id_for(plan_id: str, row: Any) -> str:
    """The deterministic ``patch_id`` of a new row: uuid5 of the plan id and the row label."""
    return stable_id(f"{plan_id}:{row!r}")


def content_id(content: Any) -> str:
    """A deterministic id for planned content (plain JSON): equal content, equal id."""
    return stable_id(json_digest(content))


def mask_create_body(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of a create body whose plaintext password and password hash (if any) read ``***``."""
    config = body.get("credentials", {}).get("password", {}).get("config", {})
    secrets = {key: PASSWORD_MASK for key in _PASSWORD_SECRETS if key in config}
    if not secrets:
        return body
    masked = dict(body)
    masked["credentials"] = {**body["credentials"], "password": {"config": {**config, **secrets}}}
    return masked


# The password config fields that are secrets: a plaintext password, or a hash (wire notes §5).
_PASSWORD_SECRETS = ("password", "hashed_password")


def has_password(body: dict[str, Any]) -> bool:
    """True when a create body carries a plaintext password (the 200-item limit applies)."""
    return "password" in body.get("credentials", {}).get("password", {}).get("config", {})


def has_password_hash(body: dict[str, Any]) -> bool:
    """True when a create body imports a password hash (a secret, though not under the 200-item limit)."""
    return "hashed_password" in body.get("credentials", {}).get("password", {}).get("config", {})


def chunk_creates(items: Sequence[tuple[dict[str, Any], bool]]) -> Iterator[list[int]]:
    """Indices of create items per batch request, in order: 1000 per chunk, 200 if one has a password."""
    chunk: list[int] = []
    with_password = False
    for index, (_, password) in enumerate(items):
        limit = MAX_BATCH_ITEMS_WITH_PASSWORD if (with_password or password) else MAX_BATCH_ITEMS
        if len(chunk) >= limit:
            yield chunk
            chunk, with_password = [], False
        chunk.append(index)
        with_password = with_password or password
    if chunk:
        yield chunk


def batch_body(items: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The ``PATCH /admin/identities`` body for ``(patch_id, create body)`` pairs (wire notes §4)."""
    return {"identities": [{"patch_id": patch_id, "create": body} for patch_id, body in items]}


def row_json(value: Any) -> Any:
    """A row label as plain JSON (numpy scalars unwrapped, tuples as lists, others as text)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, tuple):
        return [row_json(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def timestamp_text(value: Any) -> str | None:
    """A timestamp cell as ISO text (None when missing)."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    return str(value)
