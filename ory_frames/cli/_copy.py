"""`ory-frames copy`: copy identities with their credentials from a source project to a target, resumably."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ory_frames.cli._common import (
    add_progress_option,
    count_of,
    print_failures,
    progress_wanted,
    usage_error,
    wrap_help,
)

__all__ = ["COPY_EXIT_CODES", "DEFAULT_REPORT", "add_copy", "cmd_copy"]

COPY_EXIT_CODES = """\
exit codes:
  0  every source identity was created, matched or skipped by a filter
  1  runtime error: network failure, interrupted (run the same command again to resume)
  2  usage error: bad arguments, no source or target URL, an unknown --tier, an unknown schema in
     --schema-map or --schema-id, a state file of another copy
  3  the copy ran, but some identities failed (see the report)
"""
DEFAULT_REPORT = "ory-frames-copy.csv"
SHOWN_ITEMS = 3


def _pair(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old or not new:
        raise argparse.ArgumentTypeError(f"{text!r} is not OLD=NEW (two schema ids)")
    return old, new


def add_copy(subparsers: Any) -> None:
    """`ory-frames copy`: copy identities between projects."""
    p = subparsers.add_parser(
        "copy",
        help="copy identities with their credentials from one project to another",
        description=wrap_help(
            "Copy identities, with their password hashes and OIDC/SAML providers, from the source project "
            "(ORY_SOURCE_URL / ORY_SOURCE_API_KEY, or --from-url) to the target (ORY_SDK_URL / ORY_API_KEY, or "
            "--url). API keys are read from the environment only. Identities the target already has (same "
            "external_id, else a same login identifier) are matched, not duplicated. The report (CSV) maps every "
            "source id to its target id with a status; the state file beside it makes the copy resumable: after "
            "any interruption, run the same command again. --dry-run reads both projects, prints the counts, the time "
            "the projects' rate tiers need and a few samples of what would be sent, with personal data masked "
            "(--show-personal-data: the first items in full, password hashes still masked), and sends nothing."
        ),
        epilog=COPY_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--from-url", default=None, help="source project or Kratos admin URL (default: $ORY_SOURCE_URL)")
    p.add_argument("--url", default=None, help="target project or Kratos admin URL (default: $ORY_SDK_URL)")
    p.add_argument(
        "--schema-map",
        type=_pair,
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="source schema -> target schema",
    )
    p.add_argument("--report", default=None, metavar="REPORT.csv", help=f"the report (default: {DEFAULT_REPORT})")
    p.add_argument("--state", default=None, metavar="STATE.json", help="the state file (default: beside the report)")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent and the time needed; send nothing")
    p.add_argument(
        "--show-personal-data",
        action="store_true",
        help="with --dry-run: print the first items of the request in full (traits, addresses), not masked",
    )
    p.add_argument("--tier", default=None, help="pace requests at an Ory Network tier (developer, production, ...)")
    add_progress_option(p)
    g = p.add_argument_group("filters (the source identities left out are reported as skipped)")
    g.add_argument("--schema-id", action="append", default=None, metavar="ID", help="only this schema (repeatable)")
    g.add_argument("--identity-state", choices=("active", "inactive"), default=None, help="only this state")
    g.add_argument("--organization-id", default=None, metavar="UUID", help="only this organization")
    g.add_argument("--id", action="append", default=None, dest="ids", metavar="UUID", help="only this id (repeatable)")
    p.set_defaults(run=cmd_copy)


# Values a dry run shows as they are: names of Ory's own vocabulary and generated ids, never a person's data.
PLAIN_KEYS = frozenset({"patch_id", "schema_id", "state", "via", "status", "type", "provider", "hashed_password"})


def mask(value: Any, key: str = "") -> Any:
    """``value`` with every string masked but those under :data:`PLAIN_KEYS`.

    ``ada@example.org`` → ``a***@example.org``, ``Ada`` → ``A***``; numbers, booleans and the JSON's shape are kept.
    """
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    if not isinstance(value, str) or not value or key in PLAIN_KEYS:
        return value
    local, at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if at and local and "." in domain else f"{value[:1]}***"


def _print_dry_run(result: Any, show_personal_data: bool) -> None:
    print("dry run: nothing is sent")
    print("would: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    for request in result.requests[:1]:
        items = request["body"]["identities"]
        first = f"first request: {request['method']} {request['path']} with {count_of(len(items), 'identities')}"
        if show_personal_data:
            more = f" (first {SHOWN_ITEMS} shown; password hashes masked)" if len(items) > SHOWN_ITEMS else ""
            print(first + more)
            print(json.dumps({"identities": items[:SHOWN_ITEMS]}, indent=2, ensure_ascii=False, default=str))
            continue
        print(f"{first}; {min(len(items), SHOWN_ITEMS)} samples, personal data masked (--show-personal-data shows it):")
        for item in items[:SHOWN_ITEMS]:
            print("  " + json.dumps(mask(item.get("create", item)), ensure_ascii=False, default=str))


def _print_report(result: Any) -> int:
    print("report: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    report = result.report
    missing = int(report["not_imported"].notna().sum())
    if missing:
        verb = "has" if missing == 1 else "have"
        print(f"  {count_of(missing, 'identities')} {verb} credentials Ory cannot import (column not_imported)")
    bad = report[report["status"] == "failed"]
    return print_failures(bad, lambda rec: f"{rec.source_id}: failed", "see the report")


def cmd_copy(args: argparse.Namespace) -> int:
    """Copy (or dry-run); print the counts, the estimate and the failures; exit 0, 1, 2 or 3."""
    from ory_frames._errors import InvalidInputError
    from ory_frames.client import Client
    from ory_frames.copy import copy_identities

    source_url = args.from_url or os.environ.get("ORY_SOURCE_URL")
    if not source_url:
        return usage_error("copy", "no source: pass --from-url or set ORY_SOURCE_URL")
    schema_map = dict(args.schema_map)
    if args.show_personal_data and not args.dry_run:
        return usage_error("copy", "--show-personal-data goes with --dry-run (a copy prints no identity)")
    if len(schema_map) != len(args.schema_map):
        return usage_error("copy", "--schema-map names a source schema more than once")
    report = args.report or (None if args.dry_run else DEFAULT_REPORT)
    # The source key comes from ORY_SOURCE_API_KEY only: an empty string keeps Client from taking ORY_API_KEY.
    source_key = os.environ.get("ORY_SOURCE_API_KEY") or ""
    try:
        with (
            Client(source_url, api_key=source_key, budget=args.tier) as source,
            Client(args.url, budget=args.tier) as target,
        ):
            result = copy_identities(
                source,
                target,
                report=report if not args.dry_run else None,
                state=args.state,
                schema_id=args.schema_id,
                identity_state=args.identity_state,
                organization_id=args.organization_id,
                ids=args.ids,
                schema_map=schema_map,
                dry_run=args.dry_run,
                progress=progress_wanted(args),
            )
    except InvalidInputError as exc:
        return usage_error("copy", " ".join(line.strip() for line in str(exc).splitlines()))
    except KeyboardInterrupt:
        print("ory-frames copy: interrupted; run the same command to resume", file=sys.stderr)
        return 1
    if args.dry_run:
        _print_dry_run(result, args.show_personal_data)
        if args.report:
            result.to_csv(args.report)
        print(str(result.estimate))
        return 0
    print(f"report ({len(result.report):,} rows) → {result.report_path}; state → {result.state_path}")
    code = _print_report(result)
    print(str(result.estimate))
    return code
