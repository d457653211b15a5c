"""`ory-frames …`: parse the arguments, call one public function, print.

Each subcommand is an `add_<name>(subparsers)` function that builds its parser and sets `run=` to a
`cmd_<name>(args) -> int` function, in a module of its own (`_cli_demo`, `_cli_export`, `_cli_apply`;
what they share is `_cli_common`); `main` only dispatches. Exit codes: 0 ok, 1 runtime error (one line on
stderr), 2 usage error (argparse), 3 `apply` ran but some operations failed or conflicted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ._cli_apply import add_apply
from ._cli_common import EXIT_CODES, whole_number, wrap_help
from ._cli_demo import add_demo
from ._cli_export import add_export
from ._cli_subject import add_subject

TIERS = ("developer", "production", "growth", "enterprise")
TOP_EXIT_CODES = """\
exit codes:
  0  done
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error
  3  apply only: the plan ran, but some operations failed or conflicted
"""


class CommandError(Exception):
    """A runtime failure worth one line on stderr and exit code 1."""


_non_negative = whole_number(0, "is negative")


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def _instant(text: str) -> datetime:
    """An RFC 3339 / ISO 8601 instant; without an offset it is taken as UTC."""
    stripped = text.strip()
    if stripped[-1:] in ("Z", "z"):  # fromisoformat reads a trailing Z only from Python 3.11 on
        stripped = stripped[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time, e.g. 2026-11-01T00:00:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _fault_spec(text: str) -> str:
    from .sandbox._faults import FaultSpec

    try:
        FaultSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


# ---- sandbox ---------------------------------------------------------------------------------------------------


def add_sandbox(subparsers: Any) -> None:
    """`ory-frames sandbox`: serve a local Ory-compatible Identity admin API."""
    p = subparsers.add_parser(
        "sandbox",
        help="serve a local Ory-compatible Identity admin API",
        description="Serve a local, Ory-compatible Identity admin API until Ctrl-C.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=_port, required=True, help="TCP port (0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--db", default=":memory:", help="SQLite file, or :memory: (default)")
    p.add_argument("--seed-identities", type=_non_negative, default=0, metavar="N", help="generate N identities")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the generated data (default: 0)")
    p.add_argument("--api-key", default=None, metavar="KEY", help="require 'Authorization: Bearer KEY'")
    p.add_argument("--rate-limits", choices=TIERS, default=None, help="emulate Ory Network's limits of a tier")
    p.add_argument(
        "--faults", type=_fault_spec, default=None, metavar="SPEC", help="inject faults, e.g. '503=0.02,reset=0.01'"
    )
    p.add_argument("--fault-seed", type=int, default=0, metavar="N", help="seed of the fault dice (default: 0)")
    p.add_argument(
        "--now",
        type=_instant,
        default=None,
        metavar="TIME",
        help="start the sandbox's clock at TIME, e.g. 2026-11-01T00:00:00Z (default: the real time)",
    )
    p.add_argument(
        "--oidc-provider",
        action="append",
        dest="oidc_providers",
        metavar="ID",
        help="OIDC provider id test login flows accept (repeatable; default: google and github)",
    )
    p.set_defaults(run=cmd_sandbox)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Build the sandbox app, print its URL (never the key) and serve it with uvicorn until interrupted."""
    try:
        import uvicorn

        from . import sandbox
    except ImportError as exc:
        raise CommandError(f"the sandbox needs its extra: pip install 'ory-frames[sandbox]' ({exc})") from None
    port = args.port or _free_port(args.host)
    host_in_url = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host_in_url}:{port}"
    if args.seed_identities:
        print(f"seeding {args.seed_identities} identities (seed {args.seed}) ...", file=sys.stderr, flush=True)
    try:
        app = sandbox.create_app(
            db=args.db,
            api_key=args.api_key,
            rate_limits=args.rate_limits,
            faults=args.faults,
            fault_seed=args.fault_seed,
            oidc_providers=tuple(args.oidc_providers or ("google", "github")),
            seed_identities=args.seed_identities,
            seed=args.seed,
            public_url=url,
            now=args.now,
        )
    except (OSError, ValueError) as exc:
        raise CommandError(f"could not build the sandbox: {exc}") from None
    details = [f"db {args.db}"]
    if args.api_key:
        details.append("API key required")
    if args.rate_limits:
        details.append(f"{args.rate_limits} rate limits")
    if args.faults:
        details.append(f"faults {args.faults}")
    if args.now:
        details.append(f"clock from {args.now.isoformat()}")
    print(f"Ory sandbox on {url} ({', '.join(details)}); Ctrl-C to stop", flush=True)
    config = uvicorn.Config(app, host=args.host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    except SystemExit:  # uvicorn exits when it cannot bind; it has logged why
        raise CommandError(f"could not listen on {args.host}:{port}") from None
    return 0


def _free_port(host: str) -> int:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# ---- entry point -----------------------------------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[Any], None]] = [add_demo, add_export, add_apply, add_sandbox, add_subject]


def build_parser() -> argparse.ArgumentParser:
    """The `ory-frames` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="ory-frames",
        description=wrap_help(
            "The Ory Identity API in pandas and Jupyter. The project is named by ORY_SDK_URL "
            "(https://<slug>.projects.oryapis.com, or a Kratos admin URL) and ORY_API_KEY, or by --url. "
            "Run 'ory-frames COMMAND --help' for each command."
        ),
        epilog=TOP_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ory-frames` with `argv` (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on a usage error, 0 on --help
        return int(exc.code or 0)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # one line, never a traceback
        text = str(exc) if isinstance(exc, CommandError) else f"{type(exc).__name__}: {exc}"
        print(f"ory-frames {args.command}: {_redact(text, args)}", file=sys.stderr)
        return 1
    return code


def _redact(text: str, args: argparse.Namespace) -> str:
    """The text on one line, with the API key (given on the command line or in ORY_API_KEY) masked."""
    one_line = " ".join(line.strip() for line in text.splitlines())
    for key in (getattr(args, "api_key", None), os.environ.get("ORY_API_KEY")):
        if key:
            one_line = one_line.replace(key, "***")
    return one_line


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
