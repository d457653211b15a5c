"""The operation builder: a frame diff becomes JSON Patch operations, batch-create bodies and deletes.

:class:`_Builder` visits only the cells :func:`~._diff.diff_frames` found changed, types each value for
the wire, validates the resulting traits and collects every problem; :func:`build_operations` runs
the diff and the builder for ``plan_changes`` and names the plan and its new rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ory_frames._errors import InvalidInputError, Problem
from ory_frames._schema import (
    SCALAR_JSON_TYPES,
    TRAITS_PREFIX,
    column_of_pointer,
    is_trait_column,
    json_type_for_dtype,
)
from ory_frames.convert import EXTRA_COLUMN, gc_paused

from ._create import (
    ADDRESS_COLUMNS,
    CREATE_FIELDS,
    IGNORED_NEW_ROW_COLUMNS,
    config_kind,
    create_body,
    credential_types,
    undeclared_traits,
    with_undeclared,
)
from ._diff import INPUT_COLUMNS, PASSWORD, FrameDiff, diff_frames
from ._engine import PlannedOp
from ._match import ID, frame_problems
from ._payloads import (
    ValueProblem,
    content_id,
    is_missing,
    mask_create_body,
    patch_id_for,
    row_json,
    timestamp_text,
    to_json_value,
)
from ._pointers import column_to_pointer, column_tokens, is_denied, unflatten
from ._validate import SchemaInfo, identifier_columns, load_schemas, normalise_identifier, state_problem

Action = Literal["create", "patch", "delete", "skip"]
SKIP_MISSING = "skipped: missing from edited, allow_delete=False"


@dataclass(repr=False)
class Operation(PlannedOp):
    """One planned change to one identity (or one new row); plain JSON fields only.

    ``not_imported`` names, for a new row, each credential its create body does not carry and why.
    """

    action: Action
    row: Any
    identity_id: str | None = None
    patch: list[dict[str, Any]] = field(default_factory=list)
    old: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    patch_id: str | None = None
    identifiers: list[str] = field(default_factory=list)
    updated_at: str | None = None
    note: str | None = None
    not_imported: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        # Passwords and hashes never show, as in previews and payloads.
        items = {**self.__dict__, "body": mask_create_body(self.body) if self.body else self.body}
        return f"Operation({', '.join(f'{k}={v!r}' for k, v in items.items())})"


# -- from differences to operations -------------------------------------------------------------------------------


class _Builder:
    """Turns a FrameDiff into operations, collecting every problem on the way."""

    def __init__(
        self,
        original: pd.DataFrame,
        edited: pd.DataFrame,
        infos: dict[str, SchemaInfo] | None,
        problems: list[Problem],
    ) -> None:
        self.original, self.edited, self.infos, self.problems = original, edited, infos, problems
        self._cache: dict[tuple[str, str], Any] = {}
        trait_cols = [c for c in edited.columns if isinstance(c, str) and is_trait_column(c)]
        trait_cols += [c for c in original.columns if isinstance(c, str) and is_trait_column(c) and c not in trait_cols]
        self.trait_cols = trait_cols
        self.traits_column = "traits" in edited.columns or "traits" in original.columns
        # States Ory itself sent in the original frame, new ones included: writing one back is not refused.
        read = original["state"].dropna() if "state" in original.columns else ()
        self.read_states = frozenset(v for v in read if isinstance(v, str))
        # Columns with a value in some new row that a create ignores (Ory sets or ory_frames derives them).
        self.ignored: dict[str, None] = {}

    # -- cell access ------------------------------------------------------------------------------
    def _values(self, which: str, column: str) -> Any:
        key = (which, column)
        if key not in self._cache:
            frame = self.original if which == "o" else self.edited
            values = frame[column]
            # Datetime arrays give Timestamps per element cheaply; converting them all is slow.
            is_time = isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M"
            if isinstance(values.dtype, pd.CategoricalDtype):
                # Category values as they are (to_numpy makes integer categories with NaN floats).
                self._cache[key] = values.astype(object).to_numpy()
            else:
                self._cache[key] = values.array if is_time else values.to_numpy(dtype=object)
        return self._cache[key]

    def _cell(self, column: str, epos: int | None, opos: int | None) -> Any:
        """The edited cell if the edited frame has the column, else the original cell, else None."""
        if epos is not None and column in self.edited.columns:
            return self._values("e", column)[epos]
        if opos is not None and column in self.original.columns:
            return self._values("o", column)[opos]
        return None

    def _problem(self, row: Any, column: str | None, reason: str) -> None:
        self.problems.append(Problem(row, column, reason))

    def _info(self, row: Any, schema_id: Any) -> SchemaInfo | None:
        if self.infos is None or not isinstance(schema_id, str):
            return None
        info = self.infos.get(schema_id)
        if info is None:
            known = ", ".join(sorted(self.infos)) or "none"
            self._problem(row, "schema_id", f"unknown schema {schema_id!r} (known: {known})")
        return info

    def _json_type(self, info: SchemaInfo | None, column: str) -> Any:
        if column == "external_id" or column == "schema_id" or column == "organization_id":
            return "string"
        if info is not None:
            return info.column_types.get(column)
        if not is_trait_column(column):
            return None
        # Without a schema, a boolean or integer dtype says which JSON type the cells are.
        for frame in (self.original, self.edited):
            if column in frame.columns and (json_type := json_type_for_dtype(frame[column].dtype)) is not None:
                return json_type
        return None

    def _convert(self, row: Any, column: str, value: Any, info: SchemaInfo | None) -> tuple[bool, Any]:
        try:
            return True, to_json_value(value, self._json_type(info, column))
        except ValueProblem as exc:
            where = f" (schema {info.schema_id!r})" if info is not None else ""
            self._problem(row, column, f"{exc}{where}")
            return False, None

    def _traits(self, row: Any, epos: int | None, opos: int | None, info: SchemaInfo | None, report: bool) -> Any:
        """The row's resulting traits document, nested from the flattened columns."""
        base = self._cell("traits", epos, opos)
        flat: dict[str, Any] = {}
        for column in self.trait_cols:
            value = self._cell(column, epos, opos)
            if is_missing(value):
                continue
            if report:
                ok, value = self._convert(row, column, value, info)
                if not ok:
                    continue
            else:
                try:
                    value = to_json_value(value, self._json_type(info, column))
                except ValueProblem:
                    try:
                        value = to_json_value(value)
                    except ValueProblem:
                        continue
            flat[column[len(TRAITS_PREFIX) :]] = value
        traits = to_json_value(base) if isinstance(base, dict) else {}
        for key, value in unflatten(flat).items():
            traits[key] = value
        extra = None if self.traits_column else self._undeclared(epos, opos)
        return with_undeclared(traits, extra) if extra else traits

    def _undeclared(self, epos: int | None, opos: int | None) -> dict[str, Any] | None:
        return undeclared_traits(self._cell(EXTRA_COLUMN, epos, opos))

    def _validate(self, row: Any, traits: Any, info: SchemaInfo | None, reported: set[str]) -> None:
        if info is None:
            return
        known = set(self.trait_cols)
        for column, reason in info.validate_traits(traits, known):
            if column not in reported:
                self._problem(row, column, reason)

    # -- operations -------------------------------------------------------------------------------
    def _cell_op(
        self, row: Any, column: str, old: Any, new: Any, info: SchemaInfo | None
    ) -> tuple[dict[str, Any], Any] | None:
        ptr = column_to_pointer(column)
        if ptr is None or is_denied(ptr):
            self._problem(row, column, f"{column!r} maps to no path Ory lets us patch")
            return None
        if column in ("state", "schema_id") and is_missing(new):
            self._problem(row, column, f"{column!r} cannot be removed")
            return None
        if column == "state":
            problem = state_problem(row, new.item() if isinstance(new, np.generic) else new, self.read_states)
            if problem is not None:
                self.problems.append(problem)
                return None
        ok, value = self._convert(row, column, new, info)
        if not ok:
            return None
        try:
            old_value = to_json_value(old)
        except ValueProblem:
            old_value = repr(old)
        if value is None:
            return {"op": "remove", "path": ptr}, old_value
        verb = "add" if is_missing(old) else "replace"
        return {"op": verb, "path": ptr, "value": value}, old_value

    def patches(self, diff: FrameDiff) -> list[Operation]:
        by_row: dict[int, list[str]] = defaultdict(list)
        for column, where in diff.changed.items():
            for i in where.tolist():
                by_row[i].append(column)
        ops: list[Operation] = []
        for i in sorted(by_row):
            epos, opos = int(diff.edited_pos[i]), int(diff.original_pos[i])
            row = row_json(self.edited.index[epos])
            identity_id = str(self._values("e", ID)[epos])
            schema_id = self._cell("schema_id", epos, opos)
            if is_missing(schema_id):
                schema_id = self._cell("schema_id", None, opos)
            info = self._info(row, schema_id)
            patch: list[dict[str, Any]] = []
            old: dict[str, Any] = {}
            count = len(self.problems)
            for column in by_row[i]:
                made = self._cell_op(row, column, self._cell(column, None, opos), self._cell(column, epos, None), info)
                if made is not None:
                    patch.append(made[0])
                    old[made[0]["path"]] = made[1]
            reported = {p.column for p in self.problems[count:] if p.column}
            if info is not None and _leaf_only(info, patch) and not self._undeclared(epos, opos):
                # The stored traits passed Kratos's validation; replacing known leaves of a schema
                # without cross-property keywords can only break those leaves' own subschemas.
                for item in patch:
                    column = column_of_pointer(item["path"])
                    if column in info.column_types and column not in reported:
                        for col, reason in info.validate_leaf(column, item["value"]):
                            self._problem(row, col, reason)
            else:
                self._validate(row, self._traits(row, epos, opos, info, report=False), info, reported)
            updated_at = timestamp_text(self._cell("updated_at", None, opos))
            ops.append(Operation(f"patch:{identity_id}", "patch", row, identity_id, patch, old, updated_at=updated_at))
        return ops

    def _new_row_columns(self, row: Any, epos: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new row's address cells and credential configs by type; note its ignored columns."""
        found: dict[str, Any] = {}
        configs: dict[str, Any] = {}
        for column in self.edited.columns:
            if not isinstance(column, str) or column in INPUT_COLUMNS or column in CREATE_FIELDS:
                continue
            if column_tokens(column) is not None or is_missing(value := self._cell(column, epos, None)):
                continue
            if column == EXTRA_COLUMN and isinstance(value, dict) and value.keys() <= {"traits"}:
                continue  # only undeclared traits, which the create body takes (_traits)
            if column in IGNORED_NEW_ROW_COLUMNS:
                self.ignored[column] = None
            elif column in ADDRESS_COLUMNS:
                found[column] = value
            elif (kind := config_kind(column)) is not None:
                configs[kind] = value
            else:
                self._problem(row, column, "not an identity field a new row can set; leave it empty")
        return found, configs

    def creates(self, new_pos: np.ndarray) -> list[Operation]:
        ops: list[Operation] = []
        for epos in new_pos.tolist():
            row = row_json(self.edited.index[epos])
            count = len(self.problems)
            schema_id = self._cell("schema_id", epos, None)
            schema_id = "default" if is_missing(schema_id) else schema_id
            if not isinstance(schema_id, str):
                self._problem(row, "schema_id", f"{schema_id!r} is not a schema id")
            info = self._info(row, schema_id)
            traits = self._traits(row, epos, None, info, report=True)
            # The row as an identity document, for the one create-body maker (_create.create_body).
            doc: dict[str, Any] = {"schema_id": schema_id, "traits": traits}
            for column in CREATE_FIELDS:
                value = self._cell(column, epos, None)
                if is_missing(value):
                    continue
                if column == "state" and (problem := state_problem(row, value, self.read_states)) is not None:
                    self.problems.append(problem)
                    continue
                ok, value = self._convert(row, column, value, info)
                if ok:
                    doc[column] = value
            found, configs = self._new_row_columns(row, epos)
            doc.update(found)
            plaintext = self._cell(PASSWORD, epos, None)
            if not is_missing(plaintext) and not (isinstance(plaintext, str) and plaintext):
                self._problem(row, PASSWORD, "a password must be a non-empty string")
            plaintext = plaintext if isinstance(plaintext, str) and plaintext else None
            creds: dict[str, dict[str, Any]] = {
                t: {} for t in credential_types(self._cell("credential_types", epos, None))
            }
            for kind, config in configs.items():
                creds.setdefault(kind, {})["config"] = config
            if plaintext is not None:
                creds.pop(PASSWORD, None)  # a plaintext password wins over an imported one
            made = create_body({**doc, "credentials": creds})
            for column, reason in made.problems:
                self._problem(row, column, reason)
            body = made.body
            if plaintext is not None:
                body["credentials"] = {PASSWORD: {"config": {"password": plaintext}}, **body.get("credentials", {})}
            reported = {p.column for p in self.problems[count:] if p.column}
            self._validate(row, traits, info, reported)
            identifiers = [
                normalise_identifier(str(traits_value))
                for column in identifier_columns(info, self.trait_cols)
                if isinstance(traits_value := self._cell(column, epos, None), str) and traits_value.strip()
            ]
            ops.append(Operation("", "create", row, body=body, identifiers=identifiers, not_imported=made.not_imported))
        return ops

    def deletes(self, missing_pos: np.ndarray, allow_delete: bool) -> list[Operation]:
        ops: list[Operation] = []
        for opos in missing_pos.tolist():
            identity_id = str(self._values("o", ID)[opos])
            row = row_json(self.original.index[opos])
            updated_at = timestamp_text(self._cell("updated_at", None, opos))
            if allow_delete:
                ops.append(Operation(f"delete:{identity_id}", "delete", row, identity_id, updated_at=updated_at))
            else:
                ops.append(Operation(f"skip:{identity_id}", "skip", row, identity_id, note=SKIP_MISSING))
        return ops


_LEAF_TYPES = frozenset(SCALAR_JSON_TYPES)


def _leaf_only(info: SchemaInfo, patch: list[dict[str, Any]]) -> bool:
    """True when a patch only adds or replaces scalar trait leaves the schema knows (or non-traits)."""
    if info.cross_property:
        return False
    for item in patch:
        path = item["path"]
        if path == "/schema_id" or path == "/traits":
            return False
        if path.startswith("/traits/"):
            json_type = info.column_types.get(column_of_pointer(path))
            if item["op"] == "remove" or not isinstance(json_type, str) or json_type not in _LEAF_TYPES:
                return False
    return True


def _frame_schemas(frame: pd.DataFrame) -> Any:
    """The schemas a frame was read with (``frames.py`` stores them in ``attrs``), if authoritative."""
    meta = frame.attrs.get("ory_frames") if isinstance(frame.attrs, dict) else None
    if not isinstance(meta, dict) or meta.get("schemas_inferred") or not isinstance(meta.get("schemas"), dict):
        return None
    return meta["schemas"]


def _plan_id(operations: list[Operation]) -> str:
    """A plan id derived from the planned content (passwords masked), so equal plans get equal ids."""
    content = [
        [op.action, op.row, op.identity_id, op.patch, mask_create_body(op.body) if op.body else None]
        for op in operations
    ]
    return content_id(content)


def build_operations(
    original: pd.DataFrame,
    edited: pd.DataFrame,
    *,
    schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
    allow_delete: bool,
) -> tuple[str, list[Operation], tuple[str, ...]]:
    """The plan id, the operations that take ``original`` to ``edited`` and the columns new rows ignore.

    See ``plan_changes``.

    Raises :class:`InvalidInputError` with every problem found.
    """
    if problems := frame_problems(original, edited):
        raise InvalidInputError(problems)
    if schemas is None:
        schemas = _frame_schemas(original)
    infos = load_schemas(schemas)
    # A plan is acyclic plain data, made of a few containers per operation; while it grows, the cyclic GC would
    # make full passes over every live object, the frames' JSON cells included (benchmarks/plan.py).
    with gc_paused():
        diff = diff_frames(original, edited)
        problems = list(diff.problems)
        builder = _Builder(original, edited, infos, problems)
        creates = builder.creates(diff.new_pos)
        patches = builder.patches(diff)
        deletes = builder.deletes(diff.missing_pos, allow_delete)
        if problems:
            raise InvalidInputError(problems)
        operations = [*creates, *patches, *deletes]
        plan_id = _plan_id(operations)
    for op in creates:
        op.patch_id = patch_id_for(plan_id, op.row)
        op.key = f"create:{op.patch_id}"
    return plan_id, operations, tuple(builder.ignored)
