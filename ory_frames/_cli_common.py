"""What every `ory-frames` command shares: help text layout, exit codes, argument types and the progress option."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable

__all__ = ["EXIT_CODES", "add_progress_option", "progress_wanted", "usage_error", "whole_number", "wrap_help"]

EXIT_CODES = """\
exit codes:
  0  done
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error
"""


def wrap_help(text: str) -> str:
    """A help description wrapped to 88 columns (the formatters keep it raw so that epilogs stay tabular)."""
    return textwrap.fill(text, 88)


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


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--no-progress``; without either, a bar is drawn when stderr is a terminal."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="draw a progress bar on stderr (default: when stderr is a terminal)",
    )


def progress_wanted(args: argparse.Namespace) -> bool:
    """Whether to draw a progress bar: as asked, else when stderr is a terminal."""
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr is not None and sys.stderr.isatty()


def usage_error(command: str, message: str) -> int:
    """Print a usage error found after parsing as one line on stderr and return its exit code, 2."""
    print(f"ory-frames {command}: {message}", file=sys.stderr)
    return 2
