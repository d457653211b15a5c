"""The one model of identity JSON Schemas: the traits walk, every type mapping, and column <-> JSON Pointer names.

Reads, frames, export and write-back all see a schema through this package, so a frame column and
the write-back check cannot disagree about a trait. Pure: no I/O and no httpx; pandas is imported
only when :func:`pandas_types_mapper` is asked for real dtypes.

- :mod:`.walk`: the traits tree of one schema (references, ``allOf``, the ``ory.sh/kratos``
  extension, the depth limit) as :class:`SchemaNode` objects;
- :mod:`.columns`: schemas -> ``traits.<path>`` columns (:class:`TraitInfo`, Arrow fields);
- :mod:`.mappings`: JSON Schema -> Arrow -> pandas dtype tables, dtype/Arrow -> JSON type for
  write-back, the exact Python types of each JSON type;
- :mod:`.pointers`: column names <-> RFC 6901 pointers and their ``~0``/``~1`` escaping.
"""

from __future__ import annotations

from .columns import TraitInfo, infer_schemas, normalize_schemas, trait_arrow_fields, trait_columns
from .mappings import (
    ARROW_JSON_TYPES,
    DTYPE_KIND_JSON_TYPES,
    EXACT_PYTHON_TYPES,
    JSON_FIELD_METADATA,
    JSON_TYPE,
    PANDAS_DTYPE_NAMES,
    SCALAR_ARROW_TYPES,
    SCALAR_JSON_TYPES,
    STRING_FORMAT_ARROW_TYPES,
    has_exact_type,
    is_json_field,
    is_nested_arrow,
    json_type_for_dtype,
    json_type_of_arrow,
    pandas_types_mapper,
)
from .pointers import (
    TRAITS,
    TRAITS_PREFIX,
    column_of_pointer,
    column_of_tokens,
    escape_token,
    is_trait_column,
    pointer,
    pointer_of_column,
    representable,
    split_pointer,
    trait_column,
    trait_path,
    trait_pointer,
    unescape_token,
)
from .walk import (
    IDENTIFIER_CREDENTIALS,
    KRATOS_EXTENSION,
    MAX_DEPTH,
    KratosExtension,
    SchemaNode,
    iter_nodes,
    kratos_extension,
    walk_traits,
)

__all__ = [
    "ARROW_JSON_TYPES",
    "DTYPE_KIND_JSON_TYPES",
    "EXACT_PYTHON_TYPES",
    "IDENTIFIER_CREDENTIALS",
    "JSON_FIELD_METADATA",
    "JSON_TYPE",
    "KRATOS_EXTENSION",
    "MAX_DEPTH",
    "PANDAS_DTYPE_NAMES",
    "SCALAR_ARROW_TYPES",
    "SCALAR_JSON_TYPES",
    "STRING_FORMAT_ARROW_TYPES",
    "TRAITS",
    "TRAITS_PREFIX",
    "KratosExtension",
    "SchemaNode",
    "TraitInfo",
    "column_of_pointer",
    "column_of_tokens",
    "escape_token",
    "has_exact_type",
    "infer_schemas",
    "is_json_field",
    "is_nested_arrow",
    "is_trait_column",
    "iter_nodes",
    "json_type_for_dtype",
    "json_type_of_arrow",
    "kratos_extension",
    "normalize_schemas",
    "pandas_types_mapper",
    "pointer",
    "pointer_of_column",
    "representable",
    "split_pointer",
    "trait_arrow_fields",
    "trait_column",
    "trait_columns",
    "trait_path",
    "trait_pointer",
    "unescape_token",
    "walk_traits",
]
