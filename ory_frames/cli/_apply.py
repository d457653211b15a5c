"""`ory-frames apply PLAN.json`: send a write-back plan saved with ``Plan.to_json()``, resumably, and report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NamedTuple

from ory_frames._errors import InvalidInputError
from ory_frames.cli._common import add_progress_option, print_failures, progress_wanted, whole_number, wrap_help

__all__ = ["APPLY_EXIT_CODES", "add_apply", "cmd_apply"]

APPLY_EXIT_CODES = """\
exit codes:
  0  every operation was applied (or skipped by the plan, or applied by an earlier run)
  1  runtime error: no URL, network failure, interrupted (progress is saved; run again to resume)
  2  usage error: bad arguments, or PLAN is not a readable plan file
  3  the plan ran, but some operations failed or conflicted (see the report)
"""
FAILED_STATUSES = ("failed", "conflict")
REPORT_STATUSES = ("applied", "failed", "conflict", "skipped")


class PlanFile(NamedTuple):
    """The PLAN argument: where it was read from, and the ``Plan`` or ``SessionPlan`` it holds."""

    path: str
    plan: Any


def _plan_file(text: str) -> PlanFile:
    """Argument type of PLAN: the file read as a ``Plan`` or ``SessionPlan`` (any problem is a usage error)."""
    # Write-back (pandas) is imported when a plan is read, not with the parser: `--help` stays fast.
    from ory_frames.writeback import Plan, SessionPlan

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
        "--ignore-conflicts",
        action="store_true",
        help="write even where the identity changed since the plan's original frame was read",
    )
    p.add_argument("--report", default=None, metavar="REPORT.csv", help="write the report frame as CSV")
    p.add_argument(
        "--tier", default=None, help="pace requests (and estimate the time) at an Ory Network tier, e.g. production"
    )
    p.add_argument("--no-save-progress", action="store_true", help="leave PLAN unchanged after applying")
    add_progress_option(p)
    p.add_argument("--url", default=None, help="project or Kratos admin URL (default: $ORY_SDK_URL)")
    p.set_defaults(run=cmd_apply)


def _print_estimate(plan: Any, client: Any, args: argparse.Namespace) -> None:
    """Requests per endpoint and the expected time at the client's rate budget (``Plan.estimate``)."""
    options = {"ignore_conflicts": True} if args.ignore_conflicts else {}
    print(str(plan.estimate(client, workers=args.workers, **options)))


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
    from ory_frames.writeback import Plan

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
    return print_failures(bad, _row_label, "see --report")


def _row_label(rec: Any) -> str:
    who = rec.identity_id if isinstance(rec.identity_id, str) else "(new)"
    return f"row {rec.row} {rec.action} {who}: {rec.status}"


def cmd_apply(args: argparse.Namespace) -> int:
    """Dry-run or apply the plan; print the summary, save progress and the report; exit 0, 1 or 3."""
    from ory_frames.client import Client
    from ory_frames.writeback import Plan

    path, plan = args.plan
    if args.dry_run:
        _print_dry_run(plan)
        if args.url or os.environ.get("ORY_SDK_URL"):
            with Client(args.url, budget=args.tier) as client:  # for its rate budget only; nothing is sent
                _print_estimate(plan, client, args)
        else:
            _print_estimate(plan, None, args)  # no project named: the estimate assumes no rate limit
        return 0
    kwargs: dict[str, Any] = {"workers": args.workers, "progress": progress_wanted(args)}
    if args.ignore_conflicts and isinstance(plan, Plan):  # a session plan has no conflicts to ignore
        kwargs["ignore_conflicts"] = True
    report = None
    with Client(args.url, budget=args.tier) as client:
        _print_estimate(plan, client, args)
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
