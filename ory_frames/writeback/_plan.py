"""Plan and plan_changes: identity changes from an edited frame, as creates, JSON Patches and deletes.

A plan is a value: it holds plain JSON only, can be written with :meth:`Plan.to_json` and read back
with :meth:`Plan.from_json`, and records which operations an earlier :meth:`Plan.apply` finished so
that applying it again skips them. Review, report, save/load and the apply loop are the plan
engine's (``_engine.py``); this module says what an identity operation looks like and how it is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._apply import send_creates, send_one
from ._build import Operation, build_operations
from ._create import note_path
from ._engine import PlanEngine, ReportRow, Result, Target, report_frame
from ._payloads import batch_body, chunk_creates, has_password, has_password_hash, mask_create_body

if TYPE_CHECKING:
    from ory_frames.client import Client


class Plan(PlanEngine[Operation]):
    """Planned identity changes; review with :meth:`preview`, send with :meth:`apply`.

    Build one with :func:`ory_frames.plan_changes` (or ``edited.ory.plan(original)``).

    Attributes
    ----------
    plan_id : str
        Derived from the planned content: equal plans get equal ids.
    operations : list of Operation
        Creates (in batches of 1000, or 200 with a password; wire notes §4), then patches, then
        deletes, and rows missing from the edited frame that are skipped.
    done : dict
        Results of the operations an earlier :meth:`apply` finished, by operation key.
    ignored_columns : tuple of str
        Columns with a value in some new row that creates ignore: the summaries and credential
        lists ory_frames derives, and the fields Ory sets itself (``created_at``, ...). Shown by
        :meth:`summary` (its name), ``repr``, :meth:`notes` and saved by :meth:`to_json`.

    Examples
    --------
    >>> import pandas as pd
    >>> from ory_frames import Plan, plan_changes
    >>> original = pd.DataFrame({"id": ["5ff66179-c240-4703-b0d8-494592cefff5"], "traits.name.first": ["ada"]})
    >>> plan = plan_changes(original, original.assign(**{"traits.name.first": "Ada"}))
    >>> plan.preview()[["action", "path", "old", "new"]]
        action                path  old  new
    0  replace  /traits/name/first  ada  Ada
    >>> Plan.from_json(plan.to_json()).payloads() == plan.payloads()
    True
    """

    _FORMAT = "ory_frames.plan"
    _WHAT = "plan"
    _ACTIONS = ("create", "patch", "delete", "skip")
    _COUNTED = "identities"

    def __init__(
        self,
        plan_id: str,
        operations: list[Operation],
        *,
        done: Mapping[str, Result] | None = None,
        ignored_columns: Sequence[str] = (),
    ) -> None:
        super().__init__(plan_id, operations, done=done)
        self.ignored_columns = tuple(ignored_columns)

    def summary(self) -> pd.Series:
        """Identities per action, and how many new rows leave a credential behind (``not imported``, when any).

        The series' name lists the columns new rows ignore, if any.
        """
        counts = super().summary()
        missing = sum(1 for op in self.operations if op.action == "create" and op.not_imported)
        if missing:
            counts["not imported"] = missing
        if self.ignored_columns:
            counts.name = f"{self._COUNTED} (new rows ignore: {', '.join(self.ignored_columns)})"
        return counts

    def notes(self) -> list[str]:
        """The columns new rows ignore, and the new rows whose credentials are not all imported."""
        notes = []
        if self.ignored_columns:
            notes.append(f"new rows ignore: {', '.join(self.ignored_columns)}")
        missing = [op for op in self.operations if op.action == "create" and op.not_imported]
        if missing:
            rows = ", ".join(repr(op.row) for op in missing[:5]) + (", ..." if len(missing) > 5 else "")
            notes.append(f"{len(missing)} new row(s) with credentials not imported (rows {rows}; see preview())")
        return notes

    def _json_fields(self) -> dict[str, Any]:
        return {"ignored_columns": list(self.ignored_columns)}

    @classmethod
    def _from_saved(cls, plan_id: str, operations: list[Any], done: dict[str, Result], data: Mapping[str, Any]) -> Plan:
        ignored = data.get("ignored_columns", [])
        if not isinstance(ignored, list) or not all(isinstance(c, str) for c in ignored):
            raise ValueError("ignored_columns is not a list of column names")
        return cls(plan_id, operations, done=done, ignored_columns=ignored)

    def _targets(self, op: Operation) -> list[Target]:
        return [Target(op.row, op.identity_id, None, op.patch_id)]

    def _settled(self, op: Operation) -> Result | None:
        return Result("skipped", reason=op.note) if op.action == "skip" else None

    def _preview_rows(self, op: Operation) -> list[tuple[Any, ...]]:
        # ``action`` is the JSON Patch op (add, replace, remove) for changes to existing identities,
        # create (``new`` is the request body, password masked), delete, or skip.
        if op.action == "patch":
            return [
                (op.row, op.identity_id, item["op"], item["path"], op.old.get(item["path"]), item.get("value"))
                for item in op.patch
            ]
        if op.action == "create":
            # Each credential the body does not carry gets a row of its own: never dropped silently.
            notes = [(op.row, None, "not imported", note_path(note), None, note) for note in op.not_imported]
            return [(op.row, None, "create", None, None, mask_create_body(op.body or {})), *notes]
        return [(op.row, op.identity_id, op.action, None, None, op.note)]

    def create_chunks(self, ops: Iterable[Operation] | None = None) -> list[list[Operation]]:
        """The create operations (of ``ops``, default all) grouped per batch request: 1000, or 200 with a password."""
        creates = [op for op in (self.operations if ops is None else ops) if op.action == "create"]
        flags = [(op.body or {}, has_password(op.body or {})) for op in creates]
        return [[creates[i] for i in chunk] for chunk in chunk_creates(flags)]

    def _schedule(self, ops: list[Operation]) -> tuple[list[list[Operation]], list[Operation]]:
        # Ory blocks concurrent batch writes (wire notes §14): the create batches go one at a time.
        return self.create_chunks(ops), [op for op in ops if op.action in ("patch", "delete")]

    def _request(self, ops: list[Operation], *, reveal_passwords: bool) -> dict[str, Any]:
        op = ops[0]
        if op.action == "create":
            items = [(o.patch_id or "", o.body or {}) for o in ops]
            if not reveal_passwords:
                items = [(patch_id, mask_create_body(body)) for patch_id, body in items]
            return {"method": "PATCH", "path": "/admin/identities", "body": batch_body(items)}
        if op.action == "patch":
            return {"method": "PATCH", "path": f"/admin/identities/{op.identity_id}", "body": op.patch}
        return {"method": "DELETE", "path": f"/admin/identities/{op.identity_id}", "body": None}

    def _reads(self, op: Operation, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        # The conflict check reads the identity before a patch, and before a delete of a row read with updated_at.
        if options.get("ignore_conflicts") or (op.action == "delete" and not op.updated_at):
            return []
        return [("GET", "/admin/identities/{id}")]

    def _secrets(self) -> list[str]:
        bodies = [op.body or {} for op in self.operations if op.action == "create"]
        secrets = ["plaintext passwords"] if any(has_password(body) for body in bodies) else []
        return secrets + (["password hashes"] if any(has_password_hash(body) for body in bodies) else [])

    @classmethod
    def _load_operation(cls, data: dict[str, Any]) -> Operation:
        return Operation(**data)

    def apply(
        self, client: Client, *, workers: int = 8, ignore_conflicts: bool = False, progress: bool = False
    ) -> pd.DataFrame:
        """Send the plan; return the report frame (one row per planned operation).

        Batch creates go one at a time; patches and deletes run on ``workers`` threads, each after
        reading the identity again to detect a change made since the original frame was read.
        Operations an earlier ``apply`` finished are skipped, so applying again resumes.

        Parameters
        ----------
        client : Client
            Where to send.
        workers : int
            Concurrent per-identity requests (patches, deletes).
        ignore_conflicts : bool
            Write even when the identity changed since the original frame was read.
        progress : bool
            Draw a tqdm progress bar.

        Returns
        -------
        pandas.DataFrame
            Columns ``row, identity_id, session_id, action, status, http_status, reason, message,
            request_id, patch_id``; ``status`` is applied, failed, conflict or skipped; for creates
            ``identity_id`` is the new identity's id; ``session_id`` is empty.

        Raises
        ------
        ValueError
            ``workers`` is less than 1.
        KeyboardInterrupt, Exception
            An interrupted run re-raises with the report so far attached as ``exc.report``; the
            plan keeps its progress, so calling ``apply`` again resumes.

        Examples
        --------
        >>> from ory_frames import Client, plan_changes, read_identities, sandbox
        >>> with sandbox.running(seed_identities=3) as url, Client(url) as client:
        ...     original = read_identities(client)
        ...     edited = original.assign(metadata_admin=[{"reviewed": True}] * len(original))
        ...     report = plan_changes(original, edited).apply(client)
        >>> report["status"].value_counts().to_dict()
        {'applied': 3}
        """
        return report_frame(
            self.apply_rows(client, workers=workers, ignore_conflicts=ignore_conflicts, progress=progress)
        )

    def apply_rows(
        self, client: Client, *, workers: int = 8, ignore_conflicts: bool = False, progress: bool = False
    ) -> list[ReportRow]:
        """Send the plan as :meth:`apply` does; return the report as objects, one :class:`ReportRow` per row.

        ``apply`` makes its report frame of these; a caller that reads the outcome row by row (a copy, say)
        takes them as they are, with ``http_status`` an int or None.
        """
        return self._apply(
            workers=workers,
            progress=progress,
            send_batch=partial(send_creates, client),
            send_one=partial(send_one, client, ignore_conflicts=ignore_conflicts),
        )


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
        None/NaN/NaT/NA becomes ``remove``. Rows without an id are created as they stand, e.g. rows
        copied from ``read_identities`` output: the traits, ``state``, metadata, ``external_id``,
        ``organization_id``, ``verifiable_addresses`` (value, via, verified, status) and
        ``recovery_addresses`` are imported, and so are the credentials read with
        ``include_credential``: the password hash of ``credentials.password.config`` and the
        providers of ``credentials.oidc.config``/``credentials.saml.config``. Columns ory_frames
        derives and columns Ory sets are ignored and listed once (``Plan.ignored_columns``); other
        credentials (TOTP, lookup secrets, WebAuthn, passkeys) are named per row in ``preview()``
        as ``not imported``. A ``password`` column sets a plaintext password on new rows only.
        Rows missing from ``edited`` are deleted only with ``allow_delete=True``; otherwise they
        are listed as skipped.
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
    >>> import pandas as pd
    >>> from ory_frames import plan_changes
    >>> original = pd.DataFrame({"id": ["5ff66179-c240-4703-b0d8-494592cefff5"], "traits.name.first": ["ada"]})
    >>> edited = original.assign(**{"traits.name.first": "Ada"})
    >>> plan_changes(original, edited).payloads()[0]["body"]
    [{'op': 'replace', 'path': '/traits/name/first', 'value': 'Ada'}]
    """
    plan_id, operations, ignored = build_operations(original, edited, schemas=schemas, allow_delete=allow_delete)
    return Plan(plan_id, operations, ignored_columns=ignored)
