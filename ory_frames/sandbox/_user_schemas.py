"""The user's own identity schemas: read from a mapping, a directory of ``*.json`` or a saved ``GET /schemas`` answer.

A sandbox shaped like an Ory project serves that project's schemas (``create_app(schemas=...)``,
``ory-frames sandbox --schemas DIR``) beside the four bundled ones, or instead of them, and takes more while it
runs (``PUT /__sandbox/schemas/{id}``), as a project's configuration can change. ``GET /schemas`` then answers
them in the order given, after the bundled ones (wire notes §11: configuration order).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import jsonschema

__all__ = ["SchemaSource", "check_schema_document", "load_schemas"]

SchemaSource: TypeAlias = "Mapping[str, Mapping[str, Any]] | str | os.PathLike[str]"


def check_schema_document(schema_id: str, document: Any) -> dict[str, Any]:
    """The document as a dict, if it is a JSON Schema Kratos could load; else a ValueError naming the schema.

    Kratos refuses an identity schema that is not a valid JSON Schema when it loads its configuration; the
    sandbox refuses it when it is given (at start, or by ``PUT /__sandbox/schemas/{id}``).
    """
    if not isinstance(schema_id, str) or not schema_id:
        raise ValueError(f"a schema id must be a non-empty string, got {schema_id!r}")
    if not isinstance(document, Mapping):
        raise ValueError(f"schema {schema_id!r} is not a JSON object but {type(document).__name__}")
    doc = dict(document)
    cls = jsonschema.validators.validator_for(doc, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(doc)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise ValueError(f"schema {schema_id!r} is not a valid JSON Schema at {where}: {exc.message}") from None
    return doc


def load_schemas(source: SchemaSource) -> dict[str, dict[str, Any]]:
    """``{schema_id: JSON Schema}`` from a mapping, a directory or a file, in a stable order.

    Parameters
    ----------
    source
        A mapping of schema id to JSON Schema; a directory whose ``*.json`` files are schemas, each named
        ``<schema id>.json`` (sorted by name); or one ``.json`` file holding what ``GET /schemas`` answers,
        ``[{"id": ..., "schema": {...}}, ...]`` (its order kept).

    Raises
    ------
    ValueError
        If a document is not a JSON object and a valid JSON Schema, a file is not JSON, a directory holds no
        ``*.json`` file, or an id appears twice.
    OSError
        If the path cannot be read.
    """
    if isinstance(source, Mapping):
        return {sid: check_schema_document(sid, doc) for sid, doc in source.items()}
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ValueError(f"{path} holds no *.json schema file")
        return {file.stem: check_schema_document(file.stem, _read_json(file)) for file in files}
    listed = _read_json(path)
    if not isinstance(listed, list):
        raise ValueError(f"{path} is not a GET /schemas answer (a list of {{id, schema}}); give a directory instead")
    out: dict[str, dict[str, Any]] = {}
    for item in listed:
        if not isinstance(item, Mapping) or "id" not in item or "schema" not in item:
            raise ValueError(f"{path}: every item of a GET /schemas answer has 'id' and 'schema', not {item!r:.80}")
        if item["id"] in out:
            raise ValueError(f"{path}: schema {item['id']!r} appears twice")
        out[item["id"]] = check_schema_document(item["id"], item["schema"])
    return out


def _read_json(file: Path) -> Any:
    """A JSON file's value, or a ValueError naming the file and the position of the error."""
    try:
        return json.loads(file.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file} is not JSON: {exc}") from None
