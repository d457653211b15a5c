"""What every `ory-frames` command shares: help text layout, exit codes, argument types and the progress option."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from ory_frames._errors import InvalidInputError, OryFramesError

__all__ = [
    "EXIT_CODES",
    "SHOWN_FAILURES",
    "add_progress_option",
    "cli_message",
    "count_of",
    "error_line",
    "print_failures",
    "progress_wanted",
    "usage_error",
    "whole_number",
    "wrap_help",
]

SHOWN_FAILURES = 10  # failed rows printed by apply and copy; the report has them all

EXIT_CODES = """\
exit codes:
  0  done
  1  runtime error (one line on stderr, never a traceback or the API key)
  2  usage error
"""


# The library's messages name Python arguments (its users call functions); on the command line the same advice
# names the flags. Translated here, at the edge, so that the Python API keeps its own words. Longest first.
CLI_WORDS: tuple[tuple[str, str], ...] = (
    ("pass base_url=... or set ORY_SDK_URL", "pass --url or set ORY_SDK_URL"),
    ("pass overwrite=True to replace it", "run the same command with --overwrite to replace it"),
    ("export without resume=True", "export without --resume"),
    ("resume=True", "--resume"),
    ("overwrite=True", "--overwrite"),
    ("base_url ", "the URL "),
    ("partition_by ", "--partition-by "),
)


def count_of(n: int, noun: str) -> str:
    """``n`` with ``noun`` (a plural: ``identities``, ``sessions``) in the singular when ``n`` is 1: ``1 identity``."""
    if n != 1:
        return f"{n} {noun}"
    return "1 " + (noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s"))


def cli_message(text: str) -> str:
    """A library message with its Python argument names (``overwrite=True``) replaced by the command's flags."""
    for python, flag in CLI_WORDS:
        text = text.replace(python, flag)
    return text


def error_line(exc: BaseException) -> str:
    """What an exception says on the command line: its message in the flags' words, without a Python class name.

    Errors the library raises on purpose (its own, an OSError, a ValueError, an ImportError naming an extra) speak
    for themselves; anything else is a bug, and keeps its class name so that a report can say what happened.
    """
    text = str(exc)
    if isinstance(exc, InvalidInputError) and len(exc.problems) == 1:
        text = str(exc.problems[0])  # not the "1 problem found; nothing was sent:" list of the Python message
    if isinstance(exc, (OryFramesError, OSError, ValueError, ImportError)) and text:
        return cli_message(text)
    return f"unexpected error ({type(exc).__name__}: {text}); please report it" if text else type(exc).__name__


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
    print(f"ory-frames {command}: {cli_message(message)}", file=sys.stderr)
    return 2


def print_failures(failed: Any, label: Callable[[Any], str], more: str) -> int:
    """Print the first failed rows of a report (``label`` names each), with Ory's status and texts; 3 if any, else 0.

    ``failed`` is the report's DataFrame of failed rows (with ``http_status``, ``reason``, ``message``).
    """
    for rec in failed.head(SHOWN_FAILURES).itertuples(index=False):
        status = "" if rec.http_status is None or str(rec.http_status) == "<NA>" else f" HTTP {rec.http_status}"
        detail = " — ".join(str(x) for x in (rec.reason, rec.message) if isinstance(x, str) and x)
        print(f"  {label(rec)}{status} {detail}".rstrip())
    if len(failed) > SHOWN_FAILURES:
        print(f"  ... and {len(failed) - SHOWN_FAILURES} more ({more})")
    return 3 if len(failed) else 0
