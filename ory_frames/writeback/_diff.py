"""plan_changes: which cells, rows and identities differ between two frames, as planned operations.

Rows are matched by id in ``_match.py``. The comparison runs column by column over whole arrays
(:func:`diff_frames`); Python code only visits the cells that changed, which :class:`_Builder` turns
into typed, validated operations.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ory_frames._errors import InvalidInputError, Problem

from ._match import ID, frame_problems, match_rows, row_label
from ._payloads import (
    PATCH_ID_NAMESPACE,
    ValueProblem,
    is_missing,
    json_equal,
    mask_create_body,
    patch_id_for,
    to_json_value,
)
from ._plan import SKIP_MISSING, Operation, Plan
from ._pointers import (
    TRAITS_PREFIX,
    column_to_pointer,
    column_tokens,
    is_denied,
    is_trait_column,
    pointer_to_column,
    unflatten,
)
from ._validate import SchemaInfo, identifier_columns, load_schemas, normalise_identifier, state_problem

PASSWORD = "password"
# Columns that carry write-back inputs rather than identity fields.
INPUT_COLUMNS: frozenset[str] = frozenset({ID, PASSWORD})


@dataclass
class FrameDiff:
    """Positions of what changed. ``edited_pos``/``original_pos`` are aligned per matched row."""

    edited_pos: np.ndarray
    original_pos: np.ndarray
    # column -> indices into edited_pos/original_pos of the rows whose cell changed
    changed: dict[str, np.ndarray] = field(default_factory=dict)
    new_pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    missing_pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    problems: list[Problem] = field(default_factory=list)


def _cell_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a_missing, b_missing = is_missing(a), is_missing(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    try:
        return json_equal(to_json_value(a), to_json_value(b))
    except ValueError:
        return False


_cell_equal_ufunc = np.frompyfunc(_cell_equal, 2, 1)


def _plain(values: pd.Series) -> pd.Series:
    """A series whose dtype compares by value: categories become their values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        try:
            return values.astype(values.cat.categories.dtype)
        except (TypeError, ValueError):  # integer or boolean categories cannot hold NaN
            return values.astype(object)
    return values


def changed_mask(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Boolean array: True where the two aligned series differ (all missing kinds are equal)."""
    old, new = _plain(old.reset_index(drop=True)), _plain(new.reset_index(drop=True))
    old_na, new_na = old.isna().to_numpy(), new.isna().to_numpy()
    if old.dtype != object and new.dtype != object:
        try:
            equal = (old == new).to_numpy(dtype=bool, na_value=False)
            return np.asarray((old_na != new_na) | (~old_na & ~new_na & ~equal))
        except (TypeError, ValueError):
            pass
    equal = _cell_equal_ufunc(old.to_numpy(dtype=object), new.to_numpy(dtype=object)).astype(bool)
    return np.asarray(~equal)


def diff_frames(original: pd.DataFrame, edited: pd.DataFrame) -> FrameDiff:
    """Match rows by ``id`` and find changed cells, new rows, rows gone from edited, and id problems."""
    empty = np.empty(0, dtype=np.int64)
    problems = frame_problems(original, edited)
    if problems:
        return FrameDiff(empty, empty, problems=problems)

    match = match_rows(original, edited)
    problems.extend(match.problems)
    matched, orig_positions = match.edited_pos, match.original_pos

    diff = FrameDiff(matched, orig_positions, new_pos=match.new_pos, missing_pos=match.missing_pos)
    for column in edited.columns:
        if column in INPUT_COLUMNS or not isinstance(column, str):
            if not isinstance(column, str):
                problems.append(Problem(None, str(column), "column names must be strings"))
            continue
        new_values = edited[column].iloc[matched]
        if column in original.columns:
            old_values = original[column].iloc[orig_positions]
        else:
            old_values = pd.Series([None] * len(matched), dtype=object)
        mask = changed_mask(old_values, new_values)
        if not mask.any():
            continue
        where = np.flatnonzero(mask)
        if column_tokens(column) is None:
            for i in where[:1000]:
                problems.append(Problem(row_label(edited, matched[i]), column, _read_only_reason(column)))
            continue
        diff.changed[column] = where
    if PASSWORD in edited.columns and len(matched):
        has_pw = edited[PASSWORD].iloc[matched].notna().to_numpy(dtype=bool)
        for i in np.flatnonzero(has_pw):
            problems.append(
                Problem(row_label(edited, matched[i]), PASSWORD, "a password can only be given for a new row (no id)")
            )
    diff.problems = problems
    return diff


# Summary columns derived from verifiable_addresses by ory_frames._convert: read-only here.
SUMMARY_COLUMNS: frozenset[str] = frozenset(
    {"email", "email_verified", "emails", "verified_emails", "phone", "phone_verified", "phones",
     "verified_address_count"}
)  # fmt: skip


def _read_only_reason(column: str) -> str:
    if column in SUMMARY_COLUMNS:
        return (
            f"{column!r} is a summary derived from the verifiable addresses and cannot be written; "
            "change the trait it comes from (e.g. 'traits.email') instead"
        )
    if column in ("created_at", "updated_at", "state_changed_at", "organization_id", "schema_url"):
        return f"{column!r} is set by Ory and cannot be changed"
    if column.startswith("credential") or column in ("verifiable_addresses", "recovery_addresses"):
        return f"{column!r} is read-only here; credentials and addresses follow from the traits"
    return (
        f"{column!r} is not a patchable identity field (a derived summary or unknown column); "
        "edit the traits.* column it comes from instead"
    )


# -- from differences to operations -------------------------------------------------------------------------------
# Columns Ory fills in itself; a value in a new row (say, one copied from another row) is ignored.
_ORY_SET_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "state_changed_at",
        "schema_url",
        "credentials",
        "credential_types",
        "credential_identifiers",
        "verifiable_addresses",
        "recovery_addresses",
    }
)
_CREATE_FIELDS = ("state", "metadata_public", "metadata_admin", "external_id", "organization_id")


def _label(value: Any) -> Any:
    """A row label as plain JSON (numpy scalars unwrapped, tuples as lists, others as text)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, tuple):
        return [_label(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _timestamp_text(value: Any) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    return str(value)


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
        for frame in (self.original, self.edited):
            if column in frame.columns:
                dtype = frame[column].dtype
                if isinstance(dtype, pd.CategoricalDtype):
                    dtype = dtype.categories.dtype
                if pd.api.types.is_bool_dtype(dtype):
                    return "boolean"
                if pd.api.types.is_integer_dtype(dtype):
                    return "integer"
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
        return traits

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
            problem = state_problem(row, new.item() if isinstance(new, np.generic) else new)
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
            row = _label(self.edited.index[epos])
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
            if info is not None and _leaf_only(info, patch):
                # The stored traits passed Kratos's validation; replacing known leaves of a schema
                # without cross-property keywords can only break those leaves' own subschemas.
                for item in patch:
                    column = pointer_to_column(item["path"])
                    if column in info.column_types and column not in reported:
                        for col, reason in info.validate_leaf(column, item["value"]):
                            self._problem(row, col, reason)
            else:
                self._validate(row, self._traits(row, epos, opos, info, report=False), info, reported)
            updated_at = _timestamp_text(self._cell("updated_at", None, opos))
            ops.append(Operation(f"patch:{identity_id}", "patch", row, identity_id, patch, old, updated_at=updated_at))
        return ops

    def creates(self, new_pos: np.ndarray) -> list[Operation]:
        ops: list[Operation] = []
        for epos in new_pos.tolist():
            row = _label(self.edited.index[epos])
            count = len(self.problems)
            schema_id = self._cell("schema_id", epos, None)
            schema_id = "default" if is_missing(schema_id) else schema_id
            if not isinstance(schema_id, str):
                self._problem(row, "schema_id", f"{schema_id!r} is not a schema id")
            info = self._info(row, schema_id)
            traits = self._traits(row, epos, None, info, report=True)
            body: dict[str, Any] = {"schema_id": schema_id, "traits": traits}
            for column in _CREATE_FIELDS:
                value = self._cell(column, epos, None)
                if is_missing(value):
                    continue
                if column == "state" and (problem := state_problem(row, value)) is not None:
                    self.problems.append(problem)
                    continue
                ok, value = self._convert(row, column, value, info)
                if ok:
                    body[column] = value
            password = self._cell(PASSWORD, epos, None)
            if not is_missing(password):
                if isinstance(password, str) and password:
                    body["credentials"] = {"password": {"config": {"password": password}}}
                else:
                    self._problem(row, PASSWORD, "a password must be a non-empty string")
            for column in self.edited.columns:
                if (
                    isinstance(column, str)
                    and column not in INPUT_COLUMNS
                    and column not in _ORY_SET_COLUMNS
                    and column_tokens(column) is None
                    and column not in _CREATE_FIELDS
                    and not is_missing(self._cell(column, epos, None))
                ):
                    self._problem(row, column, "not an identity field a new row can set; leave it empty")
            reported = {p.column for p in self.problems[count:] if p.column}
            self._validate(row, traits, info, reported)
            identifiers = [
                normalise_identifier(str(traits_value))
                for column in identifier_columns(info, self.trait_cols)
                if isinstance(traits_value := self._cell(column, epos, None), str) and traits_value.strip()
            ]
            ops.append(Operation("", "create", row, body=body, identifiers=identifiers))
        return ops

    def deletes(self, missing_pos: np.ndarray, allow_delete: bool) -> list[Operation]:
        ops: list[Operation] = []
        for opos in missing_pos.tolist():
            identity_id = str(self._values("o", ID)[opos])
            row = _label(self.original.index[opos])
            updated_at = _timestamp_text(self._cell("updated_at", None, opos))
            if allow_delete:
                ops.append(Operation(f"delete:{identity_id}", "delete", row, identity_id, updated_at=updated_at))
            else:
                ops.append(Operation(f"skip:{identity_id}", "skip", row, identity_id, note=SKIP_MISSING))
        return ops


_LEAF_TYPES = frozenset({"string", "integer", "number", "boolean"})


def _leaf_only(info: SchemaInfo, patch: list[dict[str, Any]]) -> bool:
    """True when a patch only adds or replaces scalar trait leaves the schema knows (or non-traits)."""
    if info.cross_property:
        return False
    for item in patch:
        path = item["path"]
        if path == "/schema_id" or path == "/traits":
            return False
        if path.startswith("/traits/"):
            json_type = info.column_types.get(pointer_to_column(path))
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
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return str(uuid.uuid5(PATCH_ID_NAMESPACE, digest))


def plan_changes(
    original: pd.DataFrame,
    edited: pd.DataFrame,
    *,
    schemas: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    allow_delete: bool = False,
) -> Plan:
    """Compare an edited identities frame with the original and plan the API calls; no I/O.

    Parameters
    ----------
    original : pandas.DataFrame
        The frame as read (``read_identities``); rows are matched by ``id``.
    edited : pandas.DataFrame
        The edited copy. Changed cells in ``traits.*``, ``metadata_public``, ``metadata_admin``,
        ``state``, ``schema_id`` and ``external_id`` become JSON Patch operations; a cell set to
        None/NaN/NaT/NA becomes ``remove``. Rows without an id are created (a ``password`` column
        sets a plaintext password on new rows only). Rows missing from ``edited`` are deleted only
        with ``allow_delete=True``; otherwise they are listed as skipped.
    schemas : mapping or list, optional
        Identity JSON schemas, ``{schema_id: schema}`` or the ``GET /schemas`` list
        ``[{"id", "schema"}]``. Defaults to the schemas ``read_identities`` stored in
        ``original.attrs["ory_frames"]`` (unless they were inferred from the records). With schemas,
        resulting traits are validated and typed by them; without, integer and boolean columns are
        typed by their dtype only and nothing else is checked against a schema.
    allow_delete : bool
        Plan deletes for identities missing from ``edited``.

    Returns
    -------
    Plan

    Raises
    ------
    InvalidInputError
        Every problem found (duplicate or unknown ids, read-only columns changed, type errors,
        schema violations, invalid states), each naming its row and column. Nothing is sent.

    Examples
    --------
    >>> from ory_frames import plan_changes, read_identities
    >>> original = read_identities(client)
    >>> edited = original.copy()
    >>> edited.at[0, "metadata_public"] = {"reviewed": True}
    >>> plan_changes(original, edited).summary().to_dict()
    {'create': 0, 'patch': 1, 'delete': 0, 'skip': 0}
    """
    if problems := frame_problems(original, edited):
        raise InvalidInputError(problems)
    if schemas is None:
        schemas = _frame_schemas(original)
    infos = load_schemas(schemas)
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
    return Plan(plan_id, operations)
