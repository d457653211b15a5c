"""`ory-frames …`: parse the arguments, call one public function, print.

Each subcommand is an `add_<name>(subparsers)` function that builds its parser and sets `run=` to a
`cmd_<name>(args) -> int` function, in a module of its own (`_cli_demo`, `_cli_export`, `_cli_apply`;
what they share is `_cli_common`); `main` only dispatches. Exit codes: 0 ok, 1 runtime error (one line on
stderr), 2 usage error (argparse), 3 `apply` or `copy` ran but some operations failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ory_frames.cli._apply import add_apply
from ory_frames.cli._common import error_line, wrap_help
from ory_frames.cli._copy import add_copy
from ory_frames.cli._demo import add_demo
from ory_frames.cli._diff import add_diff
from ory_frames.cli._export import add_export
from ory_frames.cli._load import add_load
from ory_frames.cli._sandbox import add_sandbox
from ory_frames.cli._subject import add_subject

TOP_EXIT_CODES = """\
exit codes:
  0  done
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error
  3  apply and copy: they ran, but some operations failed or conflicted
"""


class CommandError(Exception):
    """A runtime failure worth one line on stderr and exit code 1."""


# ---- entry point -----------------------------------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[Any], None]] = [
    add_demo,
    add_export,
    add_diff,
    add_load,
    add_apply,
    add_copy,
    add_sandbox,
    add_subject,
]


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
        text = str(exc) if isinstance(exc, CommandError) else error_line(exc)
        print(f"ory-frames {args.command}: {_redact(text, args)}", file=sys.stderr)
        return 1
    return code


def _redact(text: str, args: argparse.Namespace) -> str:
    """The text on one line, with the API key (given on the command line or in ORY_API_KEY) masked."""
    one_line = " ".join(line.strip() for line in text.splitlines())
    for key in (getattr(args, "api_key", None), os.environ.get("ORY_API_KEY"), os.environ.get("ORY_SOURCE_API_KEY")):
        if key:
            one_line = one_line.replace(key, "***")
    return one_line
