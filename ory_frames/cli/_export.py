"""`ory-frames export identities|sessions OUT`: stream a project's identities or sessions to a file or dataset."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ory_frames._errors import ExportError, InvalidInputError
from ory_frames._query import IDENTITY_FILTER_NAMES, SESSION_FILTER_NAMES
from ory_frames.cli._common import (
    EXIT_CODES,
    add_progress_option,
    cli_message,
    count_of,
    progress_wanted,
    usage_error,
    whole_number,
    wrap_help,
)

if TYPE_CHECKING:
    from ory_frames.export import ExportResult

__all__ = ["FILTER_FLAGS", "FORMATS", "INTERRUPTED", "MAX_SHARDS", "add_export", "cmd_export"]

INTERRUPTED = 130  # the shell's code for a command ended by SIGINT (128 + 2)

# The export formats (the keys of ory_frames.export._files.EXTENSIONS, which imports pyarrow: the parser is built
# without it, and a test keeps the two equal).
FORMATS: tuple[str, ...] = ("parquet", "csv", "jsonl")

# The most cursors --shards accepts (ory_frames.pages.MAX_SHARDS, which imports httpx; a test keeps the two equal).
MAX_SHARDS = 64

# The flag of each filter and its argparse options, by the filter's name in ory_frames._query (IdentityFilters,
# SessionFilters), which also says which kind of export a filter belongs to; a test checks every filter has one.
FILTER_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "ids": ("--id", {"action": "append", "metavar": "UUID", "help": "repeatable"}),
    "credentials_identifier": ("--credentials-identifier", {"metavar": "IDENTIFIER"}),
    "preview_credentials_identifier_similar": ("--preview-credentials-identifier-similar", {"metavar": "PREFIX"}),
    "organization_id": ("--organization-id", {"metavar": "UUID"}),
    "include_credential": (
        "--include-credential",
        {
            "action": "append",
            "metavar": "TYPE",
            "help": "also export this credential type's config (secrets!); repeatable",
        },
    ),
    "consistency": ("--consistency", {"choices": ("strong", "eventual"), "help": "Ory Network only"}),
    "active": (
        "--active",
        {
            "choices": ("true", "false"),
            "help": "true: active, unexpired sessions; with the identity expanded (the default), a session of an "
            "inactive identity still comes, reading active false, as Kratos does (docs/wire-notes.md §8)",
        },
    ),
    "expand": (
        "--expand",
        {
            "action": "append",
            "choices": ("identity", "devices", "none"),
            "help": "repeatable; default: identity and devices (the identity id needs it); 'none' expands nothing",
        },
    ),
}
_FILTER_GROUPS = (
    ("identity filters (export identities only)", IDENTITY_FILTER_NAMES),
    ("session filters (export sessions only)", SESSION_FILTER_NAMES),
)


def add_export(subparsers: Any) -> None:
    """`ory-frames export identities|sessions OUT`: stream a project's identities or sessions to a file."""
    p = subparsers.add_parser(
        "export",
        help="export identities or sessions to Parquet, CSV or JSONL",
        description=wrap_help(
            "Stream every identity (or session) of the project named by ORY_SDK_URL / ORY_API_KEY to OUT. "
            "The file appears under its name only when complete; --resume continues an interrupted export. "
            "The format is --format, else OUT's extension (.parquet/.pq, .csv, .jsonl/.ndjson), else Parquet; "
            "an extension that names another format than --format is refused."
        ),
        epilog=EXIT_CODES + f"  {INTERRUPTED}  interrupted (Ctrl-C); --resume continues\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=("identities", "sessions"), help="what to export")
    p.add_argument("out", help="output path or URL (a folder when --partition-by is given)")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from OUT's extension")
    p.add_argument("--partition-by", action="append", default=None, metavar="COLUMN", help="Parquet dataset by column")
    p.add_argument("--resume", action="store_true", help="continue an interrupted export of the same OUT")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument(
        "--page-size",
        type=whole_number(1, "is not a positive integer"),
        default=None,
        metavar="N",
        help="items per request (default: Ory's maximum, 500 identities or 1000 sessions)",
    )
    p.add_argument(
        "--shards",
        type=_shard_count,
        default=1,
        metavar="N",
        help="identities only: N keyset cursors read slices of the id space at once (default 1); "
        "the same rows, in another order",
    )
    add_progress_option(p)
    p.add_argument("--url", default=None, help="project or Kratos admin URL (default: $ORY_SDK_URL)")
    for title, names in _FILTER_GROUPS:
        group = p.add_argument_group(title)
        for name in names:
            flag, options = FILTER_FLAGS[name]
            group.add_argument(flag, dest=name, default=None, **options)
    p.set_defaults(run=cmd_export)


def _shard_count(text: str) -> int:
    """An argparse type: a number of cursors, 1 to MAX_SHARDS."""
    value = whole_number(1, "is not a positive integer")(text)
    if value > MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"{value} is more than {MAX_SHARDS} cursors")
    return value


def _misplaced_filters(args: argparse.Namespace) -> list[str]:
    """The flags given that filter the other kind of export (identity filters on sessions and vice versa)."""
    other = SESSION_FILTER_NAMES if args.what == "identities" else IDENTITY_FILTER_NAMES
    return [FILTER_FLAGS[name][0] for name in other if getattr(args, name) is not None]


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The filters given for what is exported, by their names in IdentityFilters or SessionFilters, as values."""
    names = IDENTITY_FILTER_NAMES if args.what == "identities" else SESSION_FILTER_NAMES
    filters = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if "active" in filters:
        filters["active"] = filters["active"] == "true"
    if "expand" in filters:
        filters["expand"] = [e for e in filters["expand"] if e != "none"]
    return filters


def cmd_export(args: argparse.Namespace) -> int:
    """Check the filters and the format, export, then print one line saying what was written."""
    # Imported here, not with the parser: `ory-frames --help` loads neither httpx nor pyarrow.
    from ory_frames.export import output_format

    misplaced = _misplaced_filters(args)
    if misplaced:
        kind = "sessions" if args.what == "identities" else "identities"
        flags = " and ".join([", ".join(misplaced[:-1]), misplaced[-1]] if len(misplaced) > 1 else misplaced)
        verb, pronoun = ("filters", "it") if len(misplaced) == 1 else ("filter", "they")
        return usage_error("export", f"{flags} {verb} {kind}; {pronoun} cannot be used with 'export {args.what}'")
    if args.what == "sessions" and args.shards > 1:
        return usage_error("export", "--shards splits identities only: a session page token is opaque (one cursor)")
    try:
        output_format(args.out, args.format, args.partition_by)
    except InvalidInputError as exc:
        return usage_error("export", "; ".join(p.reason for p in exc.problems))
    options: dict[str, Any] = {
        "format": args.format,
        "partition_by": args.partition_by,
        "resume": args.resume,
        "overwrite": args.overwrite,
        "progress": progress_wanted(args),
        "page_size": args.page_size,
    }
    try:
        result = _export(args, options)
    except ExportError as exc:  # a full disk, a denied write, another export of OUT: one line, no traceback
        print(f"ory-frames export: {cli_message(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"ory-frames export: interrupted; run the same command with --resume to continue where it stopped "
            f"({args.out} appears only once complete)",
            file=sys.stderr,
        )
        return INTERRUPTED
    resumed = " (resumed)" if result.resumed else ""
    cursors = f" by {result.shards} cursors" if result.shards > 1 else ""
    line = f"{count_of(result.rows, args.what)} → {result.path}{resumed} in {result.seconds:.1f} s{cursors}"
    print(line, file=sys.stdout)
    if result.shard_fallback and args.shards > 1:
        print(f"ory-frames export: note: {result.shard_fallback}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace, options: dict[str, Any]) -> ExportResult:
    """Call export_identities or export_sessions with the command line's filters (:func:`_filters`)."""
    from ory_frames.client import Client
    from ory_frames.export import export_identities, export_sessions

    with Client(args.url) as client, warnings.catch_warnings(), _export_notes_on_stderr():
        # a fallback to one cursor is said once, in the note printed by cmd_export, not also as a Python warning
        warnings.filterwarnings("ignore", message="the server cannot be read by several cursors")
        if args.what == "identities":
            result = export_identities(client, args.out, shards=args.shards, **options, **_filters(args))
        else:
            result = export_sessions(client, args.out, **options, **_filters(args))
    return result


class _NoteHandler(logging.Handler):
    """Print a record of the ``ory_frames.export`` logger as ``ory-frames export: note: …``, in the flags' words."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"ory-frames export: note: {cli_message(record.getMessage())}", file=sys.stderr)


@contextlib.contextmanager
def _export_notes_on_stderr() -> Iterator[None]:
    """While exporting, the export's notes (such as an interrupted export started over) go to stderr, said once."""
    notes = logging.getLogger("ory_frames.export")
    handler, propagate = _NoteHandler(logging.WARNING), notes.propagate
    notes.addHandler(handler)
    notes.propagate = False  # not also by a handler of the "ory_frames" logger or the root
    try:
        yield
    finally:
        notes.removeHandler(handler)
        notes.propagate = propagate
