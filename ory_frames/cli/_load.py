"""`ory-frames load`: load a project's identities, sessions and identity schemas into any dlt destination."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ory_frames._errors import OryFramesError
from ory_frames.cli._common import (
    EXIT_CODES,
    add_progress_option,
    progress_wanted,
    usage_error,
    whole_number,
    wrap_help,
)

__all__ = ["RESOURCE_NAMES", "add_load", "cmd_load"]

# ory_frames.dlt.RESOURCES (which imports dlt: the parser is built without it; a test keeps the two equal).
RESOURCE_NAMES: tuple[str, ...] = ("identities", "sessions", "identity_schemas")

EPILOG = """\
Each run reads everything and merges it by id: changed rows are replaced, new ones added, and rows
whose id Ory no longer lists get deleted_at set (their other columns emptied). A trait added to a
schema becomes a new column. Credentials: --url, else dlt's sources.ory.url / sources.ory.api_key,
else ORY_SDK_URL / ORY_API_KEY.

DuckDB 2.0 reads a name that is both the database file's and the dataset's (ory in ory.duckdb) as
ambiguous, so the two must differ (default: dataset ory in ory_frames.duckdb).

"""


def add_load(subparsers: Any) -> None:
    """`ory-frames load`: run the dlt source `ory_frames.dlt.ory_source` into a destination."""
    p = subparsers.add_parser(
        "load",
        help="load identities, sessions and schemas into DuckDB or any dlt destination (needs ory-frames[dlt])",
        description=wrap_help(
            "Load the identities, sessions and identity schemas of the project named by ORY_SDK_URL / "
            "ORY_API_KEY into a dlt destination (default: a DuckDB file), merged by id, so that running it "
            "again brings the destination up to date. Prints one line per resource."
        ),
        epilog=EPILOG + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--destination", default="duckdb", metavar="NAME", help="a dlt destination name (default: duckdb)")
    p.add_argument("--dataset", default="ory", metavar="NAME", help="dataset (schema) to load into (default: ory)")
    p.add_argument(
        "--pipeline-name", default="ory_frames", metavar="NAME", help="dlt pipeline name (default: ory_frames)"
    )
    p.add_argument(
        "--duckdb-file",
        default=None,
        metavar="PATH",
        help="with --destination duckdb: the database file (default: PIPELINE_NAME.duckdb)",
    )
    p.add_argument(
        "--pipelines-dir", default=None, metavar="DIR", help="where dlt keeps pipeline state (default: dlt's own)"
    )
    p.add_argument(
        "--resource",
        dest="resources",
        action="append",
        choices=RESOURCE_NAMES,
        default=None,
        help="load only this resource (repeatable; default: all three)",
    )
    p.add_argument(
        "--page-size",
        type=whole_number(1, "is not a positive integer"),
        default=None,
        metavar="N",
        help="items per request (default: Ory's maximum)",
    )
    add_progress_option(p)
    p.add_argument(
        "--url", default=None, help="project or Kratos admin URL (default: dlt's sources.ory.url, else $ORY_SDK_URL)"
    )
    p.set_defaults(run=cmd_load)


def _duckdb_file(args: argparse.Namespace) -> Path:
    """The DuckDB file the load writes: --duckdb-file, else dlt's default, PIPELINE_NAME.duckdb."""
    return Path(args.duckdb_file or f"{args.pipeline_name}.duckdb")


def cmd_load(args: argparse.Namespace) -> int:
    """Check the names, run the pipeline, print one line per resource."""
    is_duckdb = args.destination == "duckdb"
    if args.duckdb_file is not None and not is_duckdb:
        return usage_error("load", "--duckdb-file goes with --destination duckdb only")
    if is_duckdb and _duckdb_file(args).stem == args.dataset:
        return usage_error(
            "load",
            f"--dataset {args.dataset} is also the name of the DuckDB file {_duckdb_file(args).name}, which "
            "DuckDB reads as ambiguous; give another --dataset or --duckdb-file",
        )
    try:
        import dlt

        from ory_frames.dlt import ory_source
    except ImportError:
        print("ory-frames load: needs dlt: pip install 'ory-frames[dlt]'", file=sys.stderr)
        return 1
    if not (args.url or dlt.config.get("sources.ory.url") or os.environ.get("ORY_SDK_URL")):
        return usage_error("load", "no Ory URL: give --url, set ORY_SDK_URL, or sources.ory.url in dlt's config")
    try:
        destination: Any = dlt.destinations.duckdb(str(_duckdb_file(args))) if is_duckdb else args.destination
        pipeline = dlt.pipeline(
            pipeline_name=args.pipeline_name,
            destination=destination,
            dataset_name=args.dataset,
            pipelines_dir=args.pipelines_dir,
        )
    except Exception as exc:  # dlt's own errors for an unknown destination or a bad name
        return usage_error("load", f"--destination {args.destination}: {_first_line(exc)}")
    started = time.monotonic()
    # --url, else dlt's config and secrets (sources.ory.*), else ORY_SDK_URL / ORY_API_KEY: ory_source's order
    given = {"url": args.url} if args.url else {}
    source = ory_source(page_size=args.page_size, progress=progress_wanted(args), **given)
    if args.resources:
        source = source.with_resources(*args.resources)
    try:
        pipeline.run(source)
    except Exception as exc:  # dlt wraps a step's error (PipelineStepFailed, ResourceExtractionError): say the cause
        raise _cause(exc) from None
    seconds = time.monotonic() - started
    where = str(_duckdb_file(args)) if is_duckdb else args.destination
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    counts: dict[str, int] = normalized.row_counts if normalized is not None else {}
    for name in args.resources or RESOURCE_NAMES:
        print(f"{name}: {counts.get(name, 0)} rows → {where} (dataset {args.dataset})")
    print(f"loaded in {seconds:.1f} s")
    return 0


def _cause(exc: BaseException) -> BaseException:
    """The error dlt wrapped: the first ory_frames error in the chain, else the innermost one."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        if isinstance(current, OryFramesError):
            return current
        seen.append(current)
        current = getattr(current, "exception", None) or current.__cause__
    return seen[-1]


def _first_line(exc: BaseException) -> str:
    """An exception as `Type: first line of its message` (dlt's messages run over many lines)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
