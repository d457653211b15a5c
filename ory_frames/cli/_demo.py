"""`ory-frames demo`: start a seeded sandbox, export its identities and sessions to Parquet and print a summary."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from ory_frames.cli._common import EXIT_CODES, add_progress_option, progress_wanted, wrap_help

__all__ = ["DEMO_IDENTITIES", "add_demo", "cmd_demo"]

DEMO_IDENTITIES = 5_000


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
    add_progress_option(p)
    p.set_defaults(run=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo job and print what was written."""
    # Imported here, not with the parser: `ory-frames --help` loads neither httpx nor pyarrow nor starlette.
    import pyarrow.parquet as pq

    from ory_frames.client import Client
    from ory_frames.export import export_identities, export_sessions
    from ory_frames.sandbox import running

    os.makedirs(args.out, exist_ok=True)
    progress = progress_wanted(args)
    started = time.perf_counter()
    print(f"starting the sandbox with {args.identities} seeded identities ...", flush=True)
    with running(seed_identities=args.identities, seed=args.seed) as url, Client(url) as client:
        print(f"sandbox on {url}", flush=True)
        ids = export_identities(client, os.path.join(args.out, "identities.parquet"), overwrite=True, progress=progress)
        sess = export_sessions(client, os.path.join(args.out, "sessions.parquet"), overwrite=True, progress=progress)
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
