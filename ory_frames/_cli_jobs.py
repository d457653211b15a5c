"""`ory-frames demo` and `ory-frames export …`: the main job, from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any, NamedTuple

DEMO_IDENTITIES = 5_000
FORMATS = ("parquet", "csv", "jsonl")
EXIT_CODES = """\
exit codes:
  0  done
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error
"""
EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def wrap_help(text: str) -> str:
    """A help description wrapped to 88 columns (the formatters keep it raw so that epilogs stay tabular)."""
    return textwrap.fill(text, 88)


def add_demo(subparsers: Any) -> None:
    """`ory-frames demo`: seeded sandbox → export identities and sessions → summary."""
    p = subparsers.add_parser(
        "demo",
        help="export a seeded local sandbox to Parquet and print a summary",
        description=wrap_help(
            "Start the local Ory sandbox on a free loopback port with seeded identities and sessions, export "
            "both to Parquet under OUT, print a short summary and stop the server. No Ory account needed."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--identities", type=int, default=DEMO_IDENTITIES, help=f"identities to seed ({DEMO_IDENTITIES})")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated user base (default: 0)")
    p.set_defaults(run=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo job and print what was written."""
    import pyarrow.parquet as pq

    from . import Client, export_identities, export_sessions, sandbox

    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    print(f"starting the sandbox with {args.identities} seeded identities ...", flush=True)
    with sandbox.running(seed_identities=args.identities, seed=args.seed) as url, Client(url) as client:
        print(f"sandbox on {url}", flush=True)
        ids = export_identities(client, os.path.join(args.out, "identities.parquet"), overwrite=True)
        sess = export_sessions(client, os.path.join(args.out, "sessions.parquet"), overwrite=True)
    identities = pq.read_table(ids.path, columns=["schema_id", "state", "email_verified"]).to_pandas()
    sessions = pq.read_table(sess.path, columns=["active"]).to_pandas()
    print()
    print(f"identities: {ids.rows:>8,} rows → {ids.path} ({ids.bytes / 1e6:.1f} MB, {ids.rows / ids.seconds:,.0f}/s)")
    print(
        f"sessions:   {sess.rows:>8,} rows → {sess.path} ({sess.bytes / 1e6:.1f} MB, {sess.rows / sess.seconds:,.0f}/s)"
    )
    print("by schema:  " + ", ".join(f"{k} {v:,}" for k, v in identities["schema_id"].value_counts().items()))
    print("by state:   " + ", ".join(f"{k} {v:,}" for k, v in identities["state"].value_counts().items()))
    verified = identities["email_verified"].mean(skipna=True)
    print(f"verified:   {verified:.1%} of identities with an email address")
    print(f"active:     {int(sessions['active'].sum()):,} of {len(sessions):,} sessions")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def add_export(subparsers: Any) -> None:
    """`ory-frames export identities|sessions OUT`: stream a project's identities or sessions to a file."""
    p = subparsers.add_parser(
        "export",
        help="export identities or sessions to Parquet, CSV or JSONL",
        description=wrap_help(
            "Stream every identity (or session) of the project named by ORY_SDK_URL / ORY_API_KEY to OUT. "
            "The file appears under its name only when complete; --resume continues an interrupted export."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=("identities", "sessions"), help="what to export")
    p.add_argument("out", help="output path or URL (a folder when --partition-by is given)")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from OUT's extension, else parquet")
    p.add_argument("--partition-by", action="append", default=None, metavar="COLUMN", help="Parquet dataset by column")
    p.add_argument("--resume", action="store_true", help="continue an interrupted export of the same OUT")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--progress", action="store_true", help="draw a progress bar on stderr")
    p.add_argument("--url", default=None, help="project or Kratos admin URL (default: $ORY_SDK_URL)")
    g = p.add_argument_group("identity filters")
    g.add_argument("--id", dest="ids", action="append", default=None, metavar="UUID", help="repeatable")
    g.add_argument("--credentials-identifier", default=None, metavar="IDENTIFIER")
    g.add_argument("--preview-credentials-identifier-similar", default=None, metavar="PREFIX")
    g.add_argument("--organization-id", default=None, metavar="UUID")
    g.add_argument(
        "--include-credential",
        action="append",
        default=None,
        metavar="TYPE",
        help="also export this credential type's config (secrets!)",
    )
    s = p.add_argument_group("session filters")
    s.add_argument("--active", choices=("true", "false"), default=None)
    s.add_argument(
        "--expand",
        action="append",
        choices=("identity", "devices", "none"),
        default=None,
        help="repeatable; default: identity and devices (the identity id needs it); 'none' expands nothing",
    )
    p.set_defaults(run=cmd_export)


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    for name, ext in EXTENSIONS.items():
        if str(args.out).endswith(ext):
            return name
    return "parquet"


def cmd_export(args: argparse.Namespace) -> int:
    """Export, then print one line saying what was written."""
    from . import Client, export_identities, export_sessions

    options: dict[str, Any] = {
        "format": _format_of(args),
        "partition_by": args.partition_by,
        "resume": args.resume,
        "overwrite": args.overwrite,
        "progress": args.progress,
    }
    with Client(args.url) as client:
        if args.what == "identities":
            result = export_identities(
                client,
                args.out,
                ids=args.ids,
                credentials_identifier=args.credentials_identifier,
                preview_credentials_identifier_similar=args.preview_credentials_identifier_similar,
                organization_id=args.organization_id,
                include_credential=args.include_credential,
                **options,
            )
        else:
            active = None if args.active is None else args.active == "true"
            if args.expand is not None:
                options["expand"] = [e for e in args.expand if e != "none"]
            result = export_sessions(client, args.out, active=active, **options)
    resumed = " (resumed)" if result.resumed else ""
    print(f"{result.rows} {args.what} → {result.path}{resumed} in {result.seconds:.1f} s", file=sys.stdout)
    return 0


# ---- apply -----------------------------------------------------------------------------------------------------

APPLY_EXIT_CODES = """\
exit codes:
  0  every operation was applied (or skipped by the plan, or applied by an earlier run)
  1  runtime error: no URL, network failure, interrupted (progress is saved; run again to resume)
  2  usage error: bad arguments, or PLAN is not a readable plan file
  3  the plan ran, but some operations failed or conflicted (see the report)
"""
FAILED_STATUSES = ("failed", "conflict")
REPORT_STATUSES = ("applied", "failed", "conflict", "skipped")
SHOWN_FAILURES = 10


class PlanFile(NamedTuple):
    """The PLAN argument: where it was read from, and the ``Plan`` or ``SessionPlan`` it holds."""

    path: str
    plan: Any


def _plan_file(text: str) -> PlanFile:
    """Argument type of PLAN: the file read as a ``Plan`` or ``SessionPlan`` (any problem is a usage error)."""
    from ._errors import InvalidInputError
    from .writeback import Plan, SessionPlan

    try:
        with open(text, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {exc.strerror or exc}") from None
    try:
        kind = json.loads(raw).get("format")
    except (ValueError, AttributeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON") from None
    reader = SessionPlan.from_json if kind == "ory_frames.session_plan" else Plan.from_json
    try:
        return PlanFile(text, reader(raw))
    except InvalidInputError as exc:
        reasons = "; ".join(p.reason for p in exc.problems) or str(exc)
        raise argparse.ArgumentTypeError(f"{text!r}: {reasons}") from None


def whole_number(minimum: int, too_small: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``; ``too_small`` ends the error message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} {too_small}")
        return value

    return parse


def add_apply(subparsers: Any) -> None:
    """`ory-frames apply PLAN.json`: send a write-back plan saved with ``Plan.to_json()``."""
    p = subparsers.add_parser(
        "apply",
        help="apply a write-back plan saved with Plan.to_json()",
        description=wrap_help(
            "Send the operations of PLAN (written by Plan.to_json() or SessionPlan.to_json()) to the project "
            "named by ORY_SDK_URL / ORY_API_KEY, print a summary of the report and save the plan's progress "
            "back into PLAN, so that running the same command again resumes and skips what was applied. "
            "--dry-run prints the summary and the exact requests (plaintext passwords masked) and sends nothing."
        ),
        epilog=APPLY_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("plan", type=_plan_file, metavar="PLAN.json", help="the plan file")
    p.add_argument("--dry-run", action="store_true", help="print the summary and the payloads; send nothing")
    p.add_argument(
        "--workers",
        type=whole_number(1, "is not a positive integer"),
        default=8,
        metavar="N",
        help="concurrent requests (default: 8)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write even where the identity changed since the plan's original frame was read",
    )
    p.add_argument("--report", default=None, metavar="REPORT.csv", help="write the report frame as CSV")
    p.add_argument("--no-save-progress", action="store_true", help="leave PLAN unchanged after applying")
    p.add_argument("--progress", action="store_true", help="draw a progress bar on stderr")
    p.add_argument("--url", default=None, help="project or Kratos admin URL (default: $ORY_SDK_URL)")
    p.set_defaults(run=cmd_apply)


def _print_dry_run(plan: Any) -> None:
    """The summary, then one block per request: method, path and the JSON body (passwords masked)."""
    summary = plan.summary()
    print("dry run: nothing is sent")
    print("summary: " + ", ".join(f"{k} {v:,}" for k, v in summary.items()))
    payloads = plan.payloads()  # masks plaintext passwords unless asked not to
    print(f"{len(payloads)} request(s):")
    for item in payloads:
        print(f"{item['method']} {item['path']}")
        if item["body"] is not None:
            print(json.dumps(item["body"], indent=2, ensure_ascii=False, default=str))


def _save_progress(path: str, plan: Any) -> None:
    """Write the plan with its progress back to ``path`` atomically (passwords stay as they were in the file)."""
    from .writeback import Plan

    text = plan.to_json(include_passwords=True) if isinstance(plan, Plan) else plan.to_json()
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _print_report(report: Any) -> int:
    """Counts per status and the first failures; returns 3 if any failed or conflicted, else 0."""
    counts = report["status"].value_counts()
    print(
        "report: " + ", ".join(f"{s} {int(counts.get(s, 0)):,}" for s in ("applied", "failed", "conflict", "skipped"))
    )
    bad = report[report["status"].isin(FAILED_STATUSES)]
    for rec in bad.head(SHOWN_FAILURES).itertuples(index=False):
        who = rec.identity_id if isinstance(rec.identity_id, str) else "(new)"
        status = "" if rec.http_status is None or str(rec.http_status) == "<NA>" else f" HTTP {rec.http_status}"
        detail = " — ".join(str(x) for x in (rec.reason, rec.message) if isinstance(x, str) and x)
        print(f"  row {rec.row} {rec.action} {who}: {rec.status}{status} {detail}".rstrip())
    if len(bad) > SHOWN_FAILURES:
        print(f"  ... and {len(bad) - SHOWN_FAILURES} more (see --report)")
    return 3 if len(bad) else 0


def cmd_apply(args: argparse.Namespace) -> int:
    """Dry-run or apply the plan; print the summary, save progress and the report; exit 0, 1 or 3."""
    from . import Client
    from .writeback import Plan

    path, plan = args.plan
    if args.dry_run:
        _print_dry_run(plan)
        return 0
    kwargs: dict[str, Any] = {"workers": args.workers, "progress": args.progress}
    if isinstance(plan, Plan):
        kwargs["overwrite"] = args.overwrite
    report = None
    with Client(args.url) as client:
        try:
            report = plan.apply(client, **kwargs)
        except BaseException as exc:
            report = getattr(exc, "report", None)
            if not args.no_save_progress:
                _save_progress(path, plan)
            if report is not None and args.report:
                report.to_csv(args.report, index=False)
            if isinstance(exc, KeyboardInterrupt):
                print("ory-frames apply: interrupted; progress saved, run the same command to resume", file=sys.stderr)
                return 1
            raise
    if not args.no_save_progress:
        _save_progress(path, plan)
    if args.report:
        report.to_csv(args.report, index=False)
        print(f"report ({len(report)} rows) → {args.report}")
    return _print_report(report)
