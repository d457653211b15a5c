"""`ory-frames demo` and `ory-frames export …`: the main job, from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

DEMO_IDENTITIES = 5_000
FORMATS = ("parquet", "csv", "jsonl")
EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def add_demo(subparsers: Any) -> None:
    """`ory-frames demo`: seeded sandbox → export identities and sessions → summary."""
    p = subparsers.add_parser(
        "demo",
        help="export a seeded local sandbox to Parquet and print a summary",
        description=(
            "Start the local Ory sandbox on a free loopback port with seeded identities and sessions, export "
            "both to Parquet under OUT, print a short summary and stop the server. No Ory account needed."
        ),
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
        sess = export_sessions(client, os.path.join(args.out, "sessions.parquet"), expand="identity", overwrite=True)
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
        description=(
            "Stream every identity (or session) of the project named by ORY_SDK_URL / ORY_API_KEY to OUT. "
            "The file appears under its name only when complete; --resume continues an interrupted export."
        ),
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
    s.add_argument("--expand", action="append", choices=("identity", "devices"), default=None)
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
            result = export_sessions(client, args.out, active=active, expand=args.expand, **options)
    resumed = " (resumed)" if result.resumed else ""
    print(f"{result.rows} {args.what} → {result.path}{resumed} in {result.seconds:.1f} s", file=sys.stdout)
    return 0
