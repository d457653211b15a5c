"""`ory-frames sandbox`: parse the options and serve a local Ory-compatible admin API through `sandbox.serve`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from ory_frames._rfc3339 import parse_rfc3339
from ory_frames.cli._common import whole_number

TIERS = ("developer", "production", "growth", "enterprise")
EPILOG = """\
Binding to anything but a loopback interface (127.0.0.1, ::1, localhost) needs --api-key, or
--insecure-no-api-key to serve the admin API open on purpose. A --db file is created readable
by its owner only: a sandbox of copied users holds their password hashes.

exit codes:
  0  stopped with Ctrl-C
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error, or a non-loopback --host without --api-key (one line saying why)
"""


_non_negative = whole_number(0, "is negative")


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of milliseconds") from None
    if not 0 <= value <= 600_000:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 600000 ms")
    return value


def _instant(text: str) -> datetime:
    """An RFC 3339 instant; without an offset it is taken as UTC."""
    stripped = text.strip()
    for candidate in (stripped, f"{stripped}Z"):
        try:
            return parse_rfc3339(candidate)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")


def _fault_spec(text: str) -> str:
    from ory_frames.sandbox import FaultSpec

    try:
        FaultSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_sandbox(subparsers: Any) -> None:
    """`ory-frames sandbox`: serve a local Ory-compatible Identity admin API."""
    p = subparsers.add_parser(
        "sandbox",
        help="serve a local Ory-compatible Identity admin API",
        description="Serve a local, Ory-compatible Identity admin API until Ctrl-C.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=_port, required=True, help="TCP port (0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--db", default=":memory:", help="SQLite file (created mode 0600), or :memory: (default)")
    p.add_argument("--seed-identities", type=_non_negative, default=0, metavar="N", help="generate N identities")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the generated data (default: 0)")
    p.add_argument("--api-key", default=None, metavar="KEY", help="require 'Authorization: Bearer KEY'")
    p.add_argument(
        "--insecure-no-api-key",
        action="store_true",
        help="allow a non-loopback --host without --api-key: the admin API is then open to the network",
    )
    p.add_argument("--rate-limits", choices=TIERS, default=None, help="emulate Ory Network's limits of a tier")
    p.add_argument(
        "--faults", type=_fault_spec, default=None, metavar="SPEC", help="inject faults, e.g. '503=0.02,reset=0.01'"
    )
    p.add_argument("--fault-seed", type=int, default=0, metavar="N", help="seed of the fault dice (default: 0)")
    p.add_argument(
        "--latency", type=_milliseconds, default=0.0, metavar="MS", help="delay every answer by MS milliseconds"
    )
    p.add_argument(
        "--max-body-bytes",
        type=_non_negative,
        default=None,
        metavar="N",
        help="answer 413 to request bodies over N bytes (default: 8 MiB)",
    )
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
    p.add_argument(
        "--drift",
        action="store_true",
        help="drift mode: answers carry fields and enum values no client knows yet, fixed by --seed",
    )
    p.set_defaults(run=cmd_sandbox)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox through `sandbox.serve` until Ctrl-C; errors are one line on stderr, never with the key."""
    from ory_frames import sandbox

    options: dict[str, Any] = {
        "db": args.db,
        "api_key": args.api_key,
        "rate_limits": args.rate_limits,
        "faults": args.faults,
        "fault_seed": args.fault_seed,
        "oidc_providers": tuple(args.oidc_providers or ("google", "github")),
        "seed_identities": args.seed_identities,
        "seed": args.seed,
        "now": args.now,
        "latency_ms": args.latency,
    }
    if args.drift:
        options["drift"] = True
    if args.max_body_bytes is not None:
        options["max_body_bytes"] = args.max_body_bytes
    try:
        sandbox.serve(host=args.host, port=args.port, insecure_no_api_key=args.insecure_no_api_key, **options)
    except KeyboardInterrupt:
        return 0
    except sandbox.UnsafeBindingError as exc:
        return _fail(2, str(exc), args)
    except ImportError as exc:
        return _fail(1, str(exc), args)
    except (OSError, ValueError) as exc:
        return _fail(1, f"could not serve the sandbox: {exc}", args)
    return 0


def _fail(code: int, text: str, args: argparse.Namespace) -> int:
    """Print `ory-frames sandbox: <text>` on one line of stderr, with the API key masked; return `code`."""
    line = " ".join(part.strip() for part in text.splitlines())
    if args.api_key:
        line = line.replace(args.api_key, "***")
    print(f"ory-frames sandbox: {line}", file=sys.stderr)
    return code
